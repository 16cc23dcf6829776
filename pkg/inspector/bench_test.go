package inspector_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// BenchmarkRender is the inspector's cost on the receiver's processing goroutine,
// per delivery.
func BenchmarkRender(b *testing.B) {
	m := events.NewMatcher(testCatalog(b))
	store := inspector.NewStore(0)
	r := inspector.NewRenderer(store, nil, "", nil)
	body := []byte(reminderPayload)
	det, checks := m.Examine("/", m.Parse(body))
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Go-http-client/1.1"}, "Content-Length": {strconv.Itoa(len(body))}}
	b.ReportAllocs()
	d := &receiver.Delivery{ReceivedAt: time.Now(), Method: "POST", Path: "/", Header: h, Body: body, Size: int64(len(body)),
		Status: 200, Event: det.Event, Candidates: det.Candidates, IsJSON: true, Warnings: checks}
	d.Payload() // as the engine's detection leaves it
	for i := range b.N {
		d.Seq = int64(i + 1)
		_ = r.Render(d)
		if i%64 == 0 {
			_ = r.Flush()
		}
	}
}
