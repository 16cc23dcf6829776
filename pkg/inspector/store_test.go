package inspector

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// testSlot is the slot of delivery seq, received at unix seconds, forwarded and
// answered after latency when it is not 0, awaiting its answer when pending.
func testSlot(seq, unix int64, latency time.Duration, pending bool) slot {
	d := &receiver.Delivery{Seq: seq, ReceivedAt: time.Unix(unix, 0), Method: "POST", Path: "/", Body: []byte(`{"a":1}`),
		Status: 200, Event: "user.deleted", Candidates: []string{"user.deleted"}, IsJSON: true, Warnings: []string{}}
	if pending {
		d.ForwardTo, d.Status = "http://127.0.0.1:1/", 0
	} else if latency != 0 {
		d.ForwardTo = "http://127.0.0.1:1/"
		d.Forward = &receiver.ForwardResult{Seq: seq, URL: d.ForwardTo, Status: 200, Answered: 200, Latency: latency}
	}
	sl, _ := newSlot(d, "", 0, "", nil)
	return sl
}

func ids(slots []slot) []int64 {
	var out []int64
	for _, sl := range slots {
		out = append(out, sl.id)
	}
	return out
}

// TestSinceCatchesUpAReaderFarBehind: a reader more than keep changes behind gets
// what is kept, in the order of the changes, in pieces, and nothing twice.
func TestSinceCatchesUpAReaderFarBehind(t *testing.T) {
	s := NewStore(4)
	for i := range int64(10) {
		s.add(testSlot(i+1, 1000, 0, false))
	}
	var got []int64
	v := int64(0)
	for {
		piece, next := s.since(v, 3, nil)
		if len(piece) > 3 {
			t.Fatalf("a piece of %d, limit 3", len(piece))
		}
		got = append(got, ids(piece)...)
		if next == v || len(piece) == 0 {
			break
		}
		v = next
	}
	if want := []int64{7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Errorf("caught up with %v, want %v", got, want)
	}
}

// TestEvictedWhilePending: a delivery evicted while its forward answer was awaited
// is forgotten, and the answer does not come back as an entry.
func TestEvictedWhilePending(t *testing.T) {
	s := NewStore(2)
	s.add(testSlot(1, 1000, 0, true))
	if len(s.pending) != 1 {
		t.Fatalf("pending %v", s.pending)
	}
	s.add(testSlot(2, 1000, 0, false))
	s.add(testSlot(3, 1000, 0, false)) // evicts 1
	if len(s.pending) != 0 {
		t.Errorf("the evicted delivery is still awaited: %v", s.pending)
	}
	if s.replacePending(1, testSlot(1, 1000, time.Millisecond, false)) {
		t.Error("the answer of an evicted delivery replaced something")
	}
	if s.Len() != 2 || s.Dropped() != 1 {
		t.Errorf("kept %d, dropped %d", s.Len(), s.Dropped())
	}
	// Still awaited: the answer replaces it in place, at a later version.
	s.add(testSlot(4, 1000, 0, true)) // id 4
	before, _ := s.get(4)
	if !s.replacePending(4, testSlot(4, 1000, 2*time.Millisecond, false)) {
		t.Fatal("the answer of a kept delivery was not taken")
	}
	after, _ := s.get(4)
	if after.pending || !after.forwarded || after.version <= before.version {
		t.Errorf("replaced: pending %v forwarded %v version %d (before %d)", after.pending, after.forwarded, after.version, before.version)
	}
}

// TestStatsPerSecondInTimeOrder: the per-second counts are in time order whatever
// order the entries came in (inspect reads files in the order given), and the
// events are counted without unpacking the deliveries.
func TestStatsPerSecondInTimeOrder(t *testing.T) {
	store := NewStore(0)
	for i, unix := range []int64{2000, 2000, 1000, 3000, 1000} {
		store.add(testSlot(int64(i+1), unix, time.Duration(i+1)*time.Millisecond, false))
	}
	srv := &Server{opts: Options{Store: store}}
	w := httptest.NewRecorder()
	srv.stats(w, httptest.NewRequest("GET", "/api/stats", nil))
	var got struct {
		Deliveries int            `json:"deliveries"`
		ByEvent    map[string]int `json:"byEvent"`
		PerSecond  []struct {
			T   int64   `json:"t"`
			N   int     `json:"n"`
			P99 float64 `json:"p99"`
		} `json:"perSecond"`
		Latency struct {
			Count int     `json:"count"`
			P50   float64 `json:"p50"`
			Max   float64 `json:"max"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err, w.Body)
	}
	var ts []int64
	var ns []int
	for _, s := range got.PerSecond {
		ts, ns = append(ts, s.T), append(ns, s.N)
	}
	if !slices.Equal(ts, []int64{1000, 2000, 3000}) || !slices.Equal(ns, []int{2, 2, 1}) {
		t.Errorf("per second: %v %v", ts, ns)
	}
	if got.Deliveries != 5 || got.ByEvent["user.deleted"] != 5 {
		t.Errorf("deliveries %d, by event %v", got.Deliveries, got.ByEvent)
	}
	if got.Latency.Count != 5 || got.Latency.P50 != 3 || got.Latency.Max != 5 || got.PerSecond[0].P99 != 5 {
		t.Errorf("latency %+v, first second %+v", got.Latency, got.PerSecond[0])
	}
}
