package inspector

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

const benchBody = `{"name":"John Doe","email":"john@example.com","phone":"1234567890","timezone":"+05:30","webinar":"Introduction to Digital Marketing","webinarId":"634fc35ddaf58580e2418c40","webinarLink":"https://meet.google.com/abc-defg-hij","webinarFromTime":"2024-03-15T10:00:00.000Z","webinarToTime":"2024-03-15T11:00:00.000Z","webinarFromTimeInCreatorTimezone":"2024-03-15T15:30:00.000Z","creatorTimezone":"+05:30","mangoes":"Marketing Community, Digital Course Hub"}`

// benchSlot is the slot of a webinar reminder, as the renderer makes it.
func benchSlot(b *testing.B) slot {
	b.Helper()
	c, _ := events.Load()
	m := events.NewMatcher(c)
	body := []byte(benchBody)
	det, checks := m.Examine("/", m.Parse(body))
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Go-http-client/1.1"}, "Content-Length": {strconv.Itoa(len(body))}}
	d := &receiver.Delivery{Seq: 1, ReceivedAt: time.Now(), Method: "POST", Path: "/", Header: h, Body: body, Size: int64(len(body)),
		Status: 200, Event: det.Event, Candidates: det.Candidates, IsJSON: true, Warnings: checks}
	sl, _ := newSlot(d, "", 0, "", nil)
	b.ReportAllocs()
	return sl
}

// BenchmarkAppendEntry is what a full entry costs a reader: unpacking and encoding.
func BenchmarkAppendEntry(b *testing.B) {
	sl := benchSlot(b)
	var (
		buf []byte
		u   receiver.Unpacker
	)
	for range b.N {
		r := sl.open(&u)
		buf = r.appendEntry(buf[:0], false)
	}
}

// BenchmarkAppendListEntry is what the page's stream (view=list) costs per entry
// and reader.
func BenchmarkAppendListEntry(b *testing.B) {
	sl := benchSlot(b)
	var buf []byte
	for range b.N {
		buf = sl.appendListEntry(buf[:0])
	}
}
