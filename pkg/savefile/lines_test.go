package savefile

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestLineScannerSkipsLongLines(t *testing.T) {
	in := `{"seq":1}` + "\n" + `{"seq":2,"pad":"` + strings.Repeat("y", 300<<10) + `"}` + "\n" + `{"seq":3}`
	s := NewScanner(strings.NewReader(in), 256<<10)
	type got struct {
		line    string
		no      int
		problem string
	}
	var out []got
	for {
		line, no, problem, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g := got{line: string(line), no: no}
		if problem != nil {
			g.problem = problem.Error()
		}
		out = append(out, g)
	}
	want := []got{{`{"seq":1}`, 1, ""}, {"", 2, "longer than 256 KiB, more than listen --save writes"}, {`{"seq":3}`, 3, ""}}
	if len(out) != len(want) {
		t.Fatalf("%+v", out)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i+1, out[i], want[i])
		}
	}
}

// zeros is /dev/zero that presses Ctrl-C after giving n bytes.
type zeros struct {
	n      int64
	cancel context.CancelFunc
}

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n -= int64(len(p))
	if z.n <= 0 {
		z.cancel()
	}
	return len(p), nil
}

// TestLineScannerEndlessLineIsBounded: 512 MiB of a line without end costs a few
// pieces of memory, not the line, and the interruption ends the read.
func TestLineScannerEndlessLineIsBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewScanner(&zeros{n: 512 << 20, cancel: cancel}, MaxLineBytes)
	_, _, _, err := s.Next(ctx)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want the interruption", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("reading 512 MiB of one line allocated %d MiB", grew>>20)
	}
}

func TestReaderPassesOverBlankAndBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"seq":1,"body":{}}`,
		``,
		`   `,
		`nope`,
		strings.Repeat("x", 70<<10),
		`{"body":{}}`,
		`{"seq":2,"raw":"a","rawBase64":"YQ=="}`,
		`{"seq":3,"body":{}}`,
	}, "\n") + "\n\n"
	var warnings []string
	r := NewReader(strings.NewReader(in), "f.jsonl", func(w string) { warnings = append(warnings, w) })
	var seqs []int
	for {
		l, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, *l.Seq)
	}
	if len(seqs) != 2 || seqs[0] != 1 || seqs[1] != 3 {
		t.Errorf("seqs %v, want [1 3]", seqs)
	}
	want := []string{
		`f.jsonl line 4: not JSON (invalid character 'o' in literal null (expecting 'u')); skipped`,
		`f.jsonl line 5: not a JSON object: not a line of listen --save; skipped`,
		`f.jsonl line 6: no "seq": not a line of listen --save; skipped`,
		`f.jsonl line 7: both "raw" and "rawBase64": not what listen --save writes; skipped`,
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}

// TestReaderStopsWhenInterrupted: once ctx is done, Next says so and reports nothing.
func TestReaderStopsWhenInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := NewReader(strings.NewReader("nope\n"), "f", func(w string) { t.Errorf("reported %q", w) })
	if _, err := r.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want the interruption", err)
	}
}
