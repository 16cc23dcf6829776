package receiver

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestPackedEncodesTheSame packs deliveries of every shape and checks that what
// Unpack gives back writes the same --json and --save lines and has the same header,
// while holding no map and no parsed members.
func TestPackedEncodesTheSame(t *testing.T) {
	many := http.Header{}
	for i := range 300 {
		many["X-Field-"+strconv.Itoa(i)] = []string{"v" + strconv.Itoa(i) + string(bytes.Repeat([]byte("x"), i))}
	}
	headers := []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}, "User-Agent": {"TagMango"}, "Content-Length": {"35"}},
		{"X-Repeated": {"a", "b", ""}, "X-Quote": {`"\` + "\u202e\x7f"}, "": {"empty key"}, "X-None": {}},
		many,
	}
	forward := &ForwardResult{Seq: 3, URL: "http://127.0.0.1:1/h", Status: 201, Answered: 201, Latency: 1500 * time.Microsecond,
		Header: http.Header{"Server": {"x"}}, Body: []byte(`{"ok":true}`), BodySize: -1, Message: "", Err: errors.New("kept out")}
	failed := &ForwardResult{Seq: 3, URL: "http://127.0.0.1:1/h", Answered: 502, Latency: time.Second, Message: "connection refused", BodySize: 0}
	deep := bytes.Repeat([]byte("["), 10001)
	bodies := []string{`{"name":"A","email":"a@example.com"}`, "{ \"spaced\" : [1, 2] }\n", "not json \x1b[31m", `{"bidi":"` + "\u202e" + `"}`, "", "\xff\xfe binary", string(deep)}
	var u Unpacker
	var packed []byte
	for _, body := range bodies {
		for i, h := range headers {
			for _, fw := range []*ForwardResult{nil, forward, failed} {
				d := &Delivery{Seq: 3, ReceivedAt: time.Date(2026, 12, 1, 12, 30, 1, 123456789, time.FixedZone("IST", 19800)),
					Method: "POST", Path: "/hooks?x=1", Header: h, Body: []byte(body), Size: int64(len(body)), Status: 200,
					ForwardTo: "http://127.0.0.1:1/h", Rejected: i == 2, Event: "course.completed.*", ByPath: i == 1,
					Candidates: []string{"course.completed.50", "course.completed.100"}, Warnings: []string{"missing field email", "duplicate of #1"},
					Notes: []string{"round 2 of 3"}, DuplicateOf: 1, RepeatOf: 2, Forward: fw}
				if i == 0 {
					d.Candidates, d.Warnings, d.Notes, d.DuplicateOf, d.RepeatOf = []string{}, []string{}, nil, 0, 0
				}
				d.IsJSON = d.Payload().JSON
				packed = AppendPacked(packed[:0], d)
				c := u.Unpack(packed)
				name := strconv.Quote(body[:min(len(body), 20)]) + ", header " + strconv.Itoa(i)
				if got, want := AppendSaveLine(nil, c), AppendSaveLine(nil, d); !bytes.Equal(got, want) {
					t.Errorf("%s: the unpacked save line is\n%.300s\nwant\n%.300s", name, got, want)
				}
				if got, want := AppendJSONLine(nil, c), AppendJSONLine(nil, d); !bytes.Equal(got, want) {
					t.Errorf("%s: the unpacked --json line is\n%.300s\nwant\n%.300s", name, got, want)
				}
				if got, want := AppendListLine(nil, c), AppendListLine(nil, d); !bytes.Equal(got, want) {
					t.Errorf("%s: the unpacked list line differs", name)
				}
				if c.Payload().Members != nil || c.Header != nil {
					t.Errorf("%s: the unpacked delivery holds members or a map", name)
				}
				if got := c.Headers(); len(h) > 0 && !reflect.DeepEqual(got, nilEmpty(h)) || len(h) == 0 && len(got) != 0 {
					t.Errorf("%s: Headers() = %v, want %v", name, got, h)
				}
				if c.ForwardTo != d.ForwardTo || c.Rejected != d.Rejected || c.ByPath != d.ByPath || c.Size != d.Size || !c.ReceivedAt.Equal(d.ReceivedAt) {
					t.Errorf("%s: the unpacked delivery lost a field: %+v", name, c)
				}
				if fw != nil && (c.Forward.Header != nil || c.Forward.Err != nil || c.Forward.Delivery != nil) {
					t.Errorf("%s: the unpacked forward result holds more than the lines show", name)
				}
				if cl := c.Clone(); !bytes.Equal(AppendSaveLine(nil, cl), AppendSaveLine(nil, d)) {
					t.Errorf("%s: the clone differs", name)
				}
			}
		}
	}
}

// nilEmpty is h as a map made from its packed form has it: a key without values
// has a nil list.
func nilEmpty(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestUnpackedOutlivesItsPacker: a Clone stays the same after the Unpacker reads
// another delivery.
func TestUnpackedOutlivesItsPacker(t *testing.T) {
	var u Unpacker
	a := AppendPacked(nil, &Delivery{Seq: 1, Event: "a", Candidates: []string{"a"}, Warnings: []string{"w"}, Body: []byte("1")})
	b := AppendPacked(nil, &Delivery{Seq: 2, Event: "b", Candidates: []string{"b"}, Warnings: []string{}, Body: []byte("2")})
	first := u.Unpack(a).Clone()
	u.Unpack(b)
	if first.Seq != 1 || first.Event != "a" || first.Candidates[0] != "a" || first.Warnings[0] != "w" || string(first.Body) != "1" {
		t.Fatalf("the clone changed: %+v", first)
	}
}

// BenchmarkPack is what keeping a delivery costs the receiver's processing
// goroutine, and reading it back a reader.
func BenchmarkPack(b *testing.B) {
	body := []byte(`{"name":"John Doe","email":"john@example.com","phone":"1234567890","timezone":"+05:30","webinar":"Introduction to Digital Marketing","webinarId":"634fc35ddaf58580e2418c40"}`)
	d := &Delivery{Seq: 1, ReceivedAt: time.Now(), Method: "POST", Path: "/", Body: body, Size: int64(len(body)), Status: 200,
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Go-http-client/1.1"}, "Content-Length": {"170"}},
		Event:  "webinar.reminder.all", Candidates: []string{"webinar.reminder.all"}, Warnings: []string{}, IsJSON: true}
	d.Payload()
	b.Run("pack", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_ = AppendPacked(make([]byte, 0, 512), d)
		}
	})
	b.Run("unpack", func(b *testing.B) {
		packed := AppendPacked(nil, d)
		var u Unpacker
		b.ReportAllocs()
		for range b.N {
			_ = u.Unpack(packed)
		}
	})
}
