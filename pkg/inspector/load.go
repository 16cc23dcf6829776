package inspector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/savefile"
)

// LoadResult counts what Load read.
type LoadResult struct {
	// Loaded counts the deliveries added; Skipped the lines that were not one.
	Loaded, Skipped int
}

// reorderWindow is how far out of order Load puts lines back in order: listen saves
// a forwarded delivery once its answer came, so lines follow the answers, not the
// arrivals, by about as many deliveries as were forwarded at once.
const reorderWindow = 4096

// Load adds the deliveries of a `listen --save` file to the store, in the order of
// their seq (within reorderWindow lines). A line that is not a saved delivery is
// reported to warn with its number and skipped. Lines saved by an older listen,
// without the detection, are detected afresh.
func Load(ctx context.Context, store *Store, m *events.Matcher, name string, r io.Reader, warn func(string)) (LoadResult, error) {
	var res LoadResult
	var (
		window  []slot // sorted by seq
		scratch []byte
	)
	flush := func(keep int) {
		for len(window) > keep {
			store.add(window[0])
			window = window[1:]
		}
	}
	lines := savefile.NewReader(r, name, func(warning string) {
		warn(warning)
		res.Skipped++
	})
	for {
		l, err := lines.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("cannot read %s: %w", name, err)
		}
		var sl slot
		sl, scratch = newSlot(savedDelivery(l, m), name, 0, "", scratch)
		i, _ := slices.BinarySearchFunc(window, sl.seq, func(r slot, seq int64) int { return cmp.Compare(r.seq, seq+1) })
		window = slices.Insert(window, i, sl)
		flush(reorderWindow)
		res.Loaded++
	}
	flush(0)
	store.notify()
	return res, nil
}

// savedDelivery rebuilds the delivery a line records, so that it is encoded as
// listen encodes deliveries.
func savedDelivery(l *savefile.Line, m *events.Matcher) *receiver.Delivery {
	body, _ := l.Bytes() // decoded by Parse
	headers, _ := l.HeaderMap()
	h := http.Header{}
	for k, v := range headers {
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
	d := &receiver.Delivery{
		Seq:         int64(*l.Seq),
		ReceivedAt:  l.Time(),
		Method:      l.Method,
		Path:        l.Path,
		Header:      h,
		Body:        body,
		Size:        int64(len(body)),
		Status:      l.Status,
		Event:       l.Event,
		Candidates:  l.Candidates,
		Warnings:    l.Warnings,
		Notes:       l.Notes,
		RepeatOf:    l.RepeatOf,
		DuplicateOf: l.DuplicateOf,
	}
	if d.Method == "" {
		d.Method = http.MethodPost
	}
	if d.Event == "" {
		// Saved without the detection: detected as listen would have.
		saved := d.Warnings
		d.Detect(m)
		if saved != nil {
			d.Warnings = saved
		}
	} else {
		d.IsJSON = d.Payload().JSON
	}
	if d.Candidates == nil {
		d.Candidates = []string{}
	}
	if d.Warnings == nil {
		d.Warnings = []string{}
	}
	if f := l.Forward; f != nil {
		fr := &receiver.ForwardResult{
			Seq:      d.Seq,
			URL:      f.URL,
			Answered: l.Status,
			Latency:  time.Duration(math.Round(f.LatencyMs*1000)) * time.Microsecond,
			Body:     []byte(f.Answer),
			BodySize: int64(len(f.Answer)),
			Delivery: d,
		}
		if f.Status != nil {
			fr.Status = *f.Status
		}
		if f.Error != nil {
			fr.Message = *f.Error
			fr.Err = errors.New(*f.Error)
		}
		d.ForwardTo, d.Forward = f.URL, fr
	}
	return d
}
