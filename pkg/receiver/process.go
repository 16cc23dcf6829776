// The processing side: one goroutine drains the queue — detect, check, de-duplicate,
// commit the --save batch, render — and owns the fields marked so in Engine.

package receiver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// flushDelay is how long output may wait in the buffer for more entries once the
// queue is empty: a burst is written in 64 KiB blocks, not one write per delivery,
// and a lone delivery still shows within a couple of milliseconds.
const flushDelay = 2 * time.Millisecond

// maxUnflushed bounds the entries rendered between two Flushes: under a steady
// load the queue is never idle, and what is not yet known to be shown is held.
const maxUnflushed = 512

// process is the one goroutine behind the handlers. Per batch: detect and check
// every entry, write the --save lines in one write and release the handlers waiting
// for it, then render.
func (e *Engine) process() {
	var batch []Entry
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	dirty := false
	for {
		wait := time.Duration(0)
		if dirty {
			wait = flushDelay
		}
		var (
			c        *commit
			idle, ok bool
		)
		batch, c, idle, ok = e.q.popAll(batch, wait, timer)
		if !ok || idle {
			if dirty {
				e.flush()
			}
			dirty = false
			if !ok {
				return
			}
			continue
		}
		if e.abandoned.Load() {
			if c != nil {
				close(c.done)
			}
			continue
		}
		e.mu.Lock()
		for _, ent := range batch {
			e.prepare(ent)
		}
		e.mu.Unlock()
		notice := e.commit(batch)
		if c != nil {
			close(c.done)
		}
		if notice != nil {
			e.show(notice)
		}
		for _, ent := range batch {
			e.show(ent)
		}
		dirty = true
		if len(e.unflushed) >= maxUnflushed {
			e.flush()
			dirty = false
		}
	}
}

// prepare decides what becomes of an entry and queues its --save line; e.mu is held.
func (e *Engine) prepare(ent Entry) {
	switch v := ent.(type) {
	case *Delivery:
		e.prepareDelivery(v)
	case *ForwardResult:
		d := e.pending[v.Seq]
		if d == nil {
			// Its delivery was not shown (it came after --count): not saved either.
			if v.wait {
				v.Answered = http.StatusServiceUnavailable
			}
			return
		}
		delete(e.pending, v.Seq)
		v.Delivery, d.Forward = d, v
		e.toSave(d)
	case *Notice:
		if v.Status != 0 {
			e.summary.Other++
		}
	}
}

func (e *Engine) prepareDelivery(d *Delivery) {
	if e.summary.CountReached {
		e.summary.Late++
		d.hidden = true
		if d.wait {
			d.Status = http.StatusServiceUnavailable // nobody will see it: better a retry
		}
		return
	}
	e.detect(d)
	// Refused deliveries are shown whatever --events says: they may be why an
	// expected event did not arrive.
	if !d.Rejected && !e.selected(d) {
		e.summary.Hidden++
		d.hidden = true
		return
	}
	// Detect left the body's warnings: the refusal goes before them, a duplicate
	// after.
	warnings := d.Warnings
	failedChecks := len(warnings)
	if d.rejection != "" {
		warnings = append([]string{d.rejection}, warnings...)
	}
	if d.Status != http.StatusRequestEntityTooLarge {
		if first, nth := e.dup.seen(d.Body, d.Seq); first != 0 {
			e.repeatOrDuplicate(d, first, nth, &warnings)
		}
	}
	d.Warnings = warnings
	d.warned = failedChecks > 0

	if d.Rejected {
		e.summary.Refused++
	}
	if d.ForwardTo != "" {
		e.pending[d.Seq] = d // saved with its answer
	} else {
		e.toSave(d)
	}
	if !d.Rejected && e.cfg.Count > 0 {
		e.counted++
		if e.counted >= e.cfg.Count {
			e.summary.CountReached = true
			e.stopping.Store(true)
			e.signalStop()
		}
	}
}

// repeatOrDuplicate tells the nth delivery of a body first seen as #first: a repeat
// while the catalog says the event is sent that many times with the same body
// (webinar.reminder.all's reminders), a duplicate beyond.
func (e *Engine) repeatOrDuplicate(d *Delivery, first, nth int64, warnings *[]string) {
	event, sends := e.cfg.Matcher.IdenticalSends(d.Candidates)
	if nth <= int64(sends) {
		d.RepeatOf = first
		d.Notes = []string{fmt.Sprintf("round %d of %d: same body as #%d (%s is sent %d times)", nth, sends, first, event, sends)}
		return
	}
	// One concatenation: a burst of duplicates costs one allocation each.
	msg := "duplicate of #" + strconv.FormatInt(first, 10) + " (identical body)"
	if sends > 1 {
		msg = "duplicate of #" + strconv.FormatInt(first, 10) + " (identical body); more than the " + strconv.Itoa(sends) + " sends of " + event
	}
	d.DuplicateOf = first
	*warnings = append(*warnings, msg)
}

// toSave adds the --save line of d to the batch's.
func (e *Engine) toSave(d *Delivery) {
	if e.cfg.Save != nil && e.saveErr == nil {
		e.saveBuf = AppendSaveLine(e.saveBuf, d)
	}
}

// commit writes the batch's --save lines with one write. When a write fails, the
// waiting entries of that batch and of every later one are answered 503.
func (e *Engine) commit(batch []Entry) *Notice {
	if e.cfg.Save == nil {
		return nil
	}
	var notice *Notice
	if len(e.saveBuf) > 0 && e.saveErr == nil {
		msg, err := e.cfg.Save.Save(e.saveBuf)
		if msg != "" {
			notice = &Notice{Time: e.now(), Message: msg}
		}
		if err != nil {
			e.mu.Lock()
			e.saveErr = err
			e.mu.Unlock()
			e.broken.Store(true)
			e.stopping.Store(true)
			e.signalStop()
		}
	}
	if cap(e.saveBuf) > 4<<20 {
		e.saveBuf = nil // a burst of large bodies is not held for the rest of the run
	}
	e.saveBuf = e.saveBuf[:0]
	if e.saveErr == nil {
		return notice
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ent := range batch {
		var seq int64
		switch v := ent.(type) {
		case *Delivery:
			if !v.wait || v.Status == http.StatusServiceUnavailable {
				continue
			}
			v.Status, seq = http.StatusServiceUnavailable, v.Seq
		case *ForwardResult:
			if !v.wait || v.Answered == http.StatusServiceUnavailable {
				continue
			}
			v.Answered, seq = http.StatusServiceUnavailable, v.Seq
		default:
			continue
		}
		e.summary.NotSaved++
		if e.notSavedFrom == 0 || seq < e.notSavedFrom {
			e.notSavedFrom = seq
		}
	}
	return notice
}

// show renders an entry, unless it is not to be shown or the display has failed.
func (e *Engine) show(ent Entry) {
	switch v := ent.(type) {
	case *Delivery:
		if v.hidden {
			return
		}
	case *ForwardResult:
		if v.Delivery == nil {
			return
		}
	}
	if e.abandoned.Load() {
		return
	}
	if e.outErr != nil {
		e.mu.Lock()
		e.notShown(ent)
		e.mu.Unlock()
		return
	}
	e.unflushed = append(e.unflushed, ent)
	if err := e.renderer.Render(ent); err != nil {
		e.displayFailed(err)
	}
}

// flush writes out what the renderer holds, and counts what it showed.
func (e *Engine) flush() {
	if e.outErr == nil && !e.abandoned.Load() {
		if err := e.renderer.Flush(); err != nil {
			e.displayFailed(err)
			return
		}
	}
	e.mu.Lock()
	for _, ent := range e.unflushed {
		switch v := ent.(type) {
		case *Delivery:
			if v.Rejected {
				continue
			}
			e.summary.Deliveries++
			e.summary.ByEvent[v.Event]++
			if v.DuplicateOf != 0 {
				e.summary.Duplicates++
			}
			if v.RepeatOf != 0 {
				e.summary.Repeats++
			}
			if v.warned {
				e.summary.WithWarnings++
			}
		case *ForwardResult:
			if v.Failed() {
				e.summary.ForwardFailures++
			}
		}
	}
	e.mu.Unlock()
	clear(e.unflushed)
	e.unflushed = e.unflushed[:0]
}

// displayFailed stops the engine on a display error: the entries since the last
// Flush are not known to be shown, and nothing more will be.
func (e *Engine) displayFailed(err error) {
	e.mu.Lock()
	e.outErr = err
	for _, ent := range e.unflushed {
		e.notShown(ent)
	}
	e.mu.Unlock()
	clear(e.unflushed)
	e.unflushed = e.unflushed[:0]
	if !errors.Is(err, syscall.EPIPE) {
		e.broken.Store(true)
	}
	e.stopping.Store(true)
	e.signalStop()
}

// notShown counts a delivery that will not be shown; e.mu is held.
func (e *Engine) notShown(ent Entry) {
	if d, ok := ent.(*Delivery); ok && !d.Rejected {
		e.summary.NotShown++
		if e.notShownFrom == 0 || d.Seq < e.notShownFrom {
			e.notShownFrom = d.Seq
		}
	}
}
