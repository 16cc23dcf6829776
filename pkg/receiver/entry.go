// Package receiver is the receiver behind `tagmango-hooks listen`: an HTTP engine that
// answers TagMango's deliveries first and reports them afterwards, as typed entries,
// to renderers (pretty, JSON lines, a saved file).
//
// The engine never waits on the display to answer a sender and never drops an entry:
// a handler reads the body, queues it with its sequence number and answers; one
// goroutine behind it detects the event, runs the checks and hands the entries to the
// renderer in arrival order. When the queue is full, handlers wait for room — the
// sender feels back-pressure rather than losing a delivery.
package receiver

import (
	"net/http"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// Entry is one thing the engine reports: *Ready, *Delivery, *ForwardResult or *Notice
// (the error entry). Renderers receive them from one goroutine, in arrival order.
type Entry interface{ isEntry() }

// Ready says the listener is bound and serving.
type Ready struct {
	// URL is http://HOST:PORT/PATH, with the port actually bound.
	URL string
	// Addr is the bound address, HOST:PORT.
	Addr string
	// Lines complete the Ready block (the tunnel, the subscriptions): terminal-safe
	// text, one line each.
	Lines []string
}

// Delivery is one POST received on the path.
type Delivery struct {
	// Seq numbers the deliveries received, from 1, in arrival order — including those
	// --events hides, so a gap shows that something else came in between.
	Seq int64
	// ReceivedAt is when the request's body had been read.
	ReceivedAt time.Time
	// Method is the request's method (always POST: other methods are refused).
	Method string
	// Path is the request target as received: path and query.
	Path string
	// Header is the request's header; nil in an unpacked delivery (see Headers).
	Header http.Header
	// Body is the body, byte for byte; empty for a body refused as too large.
	Body []byte
	// Size is the body's length; for a refused body, the length it announced (-1
	// when it did not announce one).
	Size int64
	// Status is the answer given to the sender; 0 when the delivery was forwarded, in
	// which case the ForwardResult tells it.
	Status int
	// ForwardTo is the URL the delivery was relayed to, "" when it was not.
	ForwardTo string
	// Rejected marks a delivery answered 401 (--require-header) or 413 (--max-body):
	// shown with a warning, never counted.
	Rejected bool

	// The engine fills in the rest before the renderer sees the delivery.

	// Event is the detected event: a name, a family ("course.completed.*") or
	// "unknown".
	Event string
	// Candidates are the matching catalog events; never nil, shared between
	// deliveries: do not modify.
	Candidates []string
	// ByPath reports that the path named the event.
	ByPath bool
	// IsJSON reports that Body is valid JSON.
	IsJSON bool
	// Warnings are why it was refused, the body's warnings (see Detect), then
	// "duplicate of #N"; never nil.
	Warnings []string
	// DuplicateOf is the seq of an earlier delivery with the same body, 0 when none
	// (or when it is a repeat).
	DuplicateOf int64
	// RepeatOf is the seq of the first delivery with the same body when the event is
	// sent several times with it (the catalog's identical sends), 0 otherwise.
	RepeatOf int64
	// Notes say what is worth knowing but not wrong ("round 2 of 3: same body as
	// #1 …"); nil when none.
	Notes []string
	// Forward is what the handler of --forward-to answered, set before that
	// ForwardResult is rendered; nil until then, and when not forwarded.
	Forward *ForwardResult

	payload  *jsonscan.Result
	detected bool
	// packedHeader is the header of an unpacked delivery (see appendPackedHeader).
	packedHeader []byte
	// rejection is the warning the handler attached to a refused delivery.
	rejection string
	// wait marks a delivery whose handler waits for its --save line to be written
	// before answering; the engine may turn Status into 503 meanwhile.
	wait bool
	// hidden marks a delivery not shown: --events did not select it, or it came
	// after --count. warned: a check failed (duplicates aside).
	hidden, warned bool
}

// Payload is the parsed body.
func (d *Delivery) Payload() *jsonscan.Result {
	if d.payload == nil {
		d.payload = jsonscan.Scan(d.Body, nil)
	}
	return d.payload
}

// ForwardResult is what the handler of a forwarded delivery answered.
type ForwardResult struct {
	// Seq is the delivery's.
	Seq int64
	// URL is where it was relayed.
	URL string
	// Status is the target's status; 0 when it did not answer.
	Status int
	// Answered is the status the sender got: the target's, 502 when it could not be
	// reached, 504 when it did not answer in time.
	Answered int
	// Latency runs from sending the request to the end of the answer's body.
	Latency time.Duration
	// Header is the target's answer header.
	Header http.Header
	// Body is the beginning of the target's answer (Config.ForwardBodyLimit bytes).
	Body []byte
	// BodySize is the answer body's full length; -1 when the answer went on beyond
	// Body and the entry was made before its end (with --save, the line is written
	// before the answer is relayed).
	BodySize int64
	// Message explains in plain words why no answer came; "" when one came.
	Message string
	// Err is the underlying error, nil when an answer came.
	Err error
	// Delivery is the delivery forwarded, set by the engine before rendering.
	Delivery *Delivery

	// wait: see Delivery.wait; the engine may turn Answered into 503.
	wait bool
}

// Failed reports whether the target did not answer, or answered other than 2xx.
func (r *ForwardResult) Failed() bool {
	return r.Err != nil || r.Status < 200 || r.Status > 299
}

// Notice is the error entry: a request refused without being a delivery (wrong
// path, wrong method, after --count) or a problem while serving.
type Notice struct {
	Time time.Time
	// Method and Path are the request's, when the notice is about one.
	Method, Path string
	// Status is the answer given, 0 when none.
	Status int
	// Message says what happened.
	Message string
}

func (*Ready) isEntry()         {}
func (*Delivery) isEntry()      {}
func (*ForwardResult) isEntry() {}
func (*Notice) isEntry()        {}
