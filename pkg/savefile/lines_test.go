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
