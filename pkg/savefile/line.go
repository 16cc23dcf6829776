package savefile

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Line is one line of a `listen --save` file: the `listen --json` line with the
// body's exact bytes (raw or rawBase64). Fields a line lacks stay zero; lines written
// by older versions of listen lack some.
type Line struct {
	Seq *int `json:"seq"`
	// ReceivedAt is an RFC 3339 time (see Time).
	ReceivedAt string          `json:"receivedAt"`
	Event      string          `json:"event"`
	Candidates []string        `json:"candidates"`
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	Headers    json.RawMessage `json:"headers"`
	Body       json.RawMessage `json:"body"`
	Warnings   []string        `json:"warnings"`
	Notes      []string        `json:"notes"`
	RepeatOf   int64           `json:"repeatOf"`
	// DuplicateOf is the earlier seq with the same body, 0 when none.
	DuplicateOf int64 `json:"duplicateOf"`
	// Status is the answer the sender got.
	Status  int      `json:"status"`
	Forward *Forward `json:"forward"`
	// Raw is the body's exact bytes when they are valid UTF-8, RawBase64 (standard
	// base64) when they are not; lines saved before listen wrote them have neither.
	Raw       *string `json:"raw"`
	RawBase64 *string `json:"rawBase64"`

	// What Parse decoded, so that reading it costs no second decoding of a body of
	// up to 64 MiB or of the headers.
	parsed bool
	body   []byte
	header map[string][]string
}

// Forward is what the handler of --forward-to answered, as a line records it.
type Forward struct {
	URL string `json:"url"`
	// Status is nil when the handler did not answer.
	Status    *int    `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
	Error     *string `json:"error"`
	Answer    string  `json:"answer"`
}

// Parse reads one line; the error says in a few words why it is not a saved
// delivery. The Line keeps the body and headers it decoded: Bytes, HeaderMap and
// ContentType return them, without seeing later changes to the fields.
func Parse(line []byte) (*Line, error) {
	var s Line
	if err := json.Unmarshal(line, &s); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, fmt.Errorf("not JSON (%w)", syn)
		case errors.As(err, &typ):
			if typ.Field == "" {
				return nil, errors.New("not a JSON object")
			}
			return nil, fmt.Errorf("%q is %s, not what listen --save writes", typ.Field, typ.Value)
		}
		return nil, err
	}
	if s.Seq == nil {
		return nil, errors.New(`no "seq": not a line of listen --save`)
	}
	body, err := s.decodeBody()
	if err != nil {
		return nil, err
	}
	header, err := s.decodeHeaders()
	if err != nil {
		return nil, err
	}
	s.parsed, s.body, s.header = true, body, header
	return &s, nil
}

// Bytes is the body to send: the exact bytes listen received ("raw" or "rawBase64");
// for a line saved before listen kept them, the "body" field: a JSON value as its
// text in the line, a string (a body that was not JSON) as its content. For a Line
// from Parse, they are the ones it decoded, shared by every call.
func (s *Line) Bytes() ([]byte, error) {
	if s.parsed {
		return s.body, nil
	}
	return s.decodeBody()
}

func (s *Line) decodeBody() ([]byte, error) {
	switch {
	case s.Raw != nil && s.RawBase64 != nil:
		return nil, errors.New(`both "raw" and "rawBase64": not what listen --save writes`)
	case s.Raw != nil:
		return []byte(*s.Raw), nil
	case s.RawBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*s.RawBase64)
		if err != nil {
			return nil, fmt.Errorf(`"rawBase64" is not standard base64 (%w)`, err)
		}
		return b, nil
	case len(s.Body) == 0:
		return nil, errors.New(`no "body": not a line of listen --save`)
	case s.Body[0] == '"':
		var text string
		if err := json.Unmarshal(s.Body, &text); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		return []byte(text), nil
	}
	return []byte(s.Body), nil
}

// HeaderMap is the saved headers: names mapped to a string, or to a list of strings
// (joined with ", "), in any case; nil when the line has none.
func (s *Line) HeaderMap() (map[string]string, error) {
	h, err := s.headers()
	if err != nil || h == nil {
		return nil, err
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out, nil
}

// Time is ReceivedAt, the zero time when the line has none or it is not RFC 3339.
func (s *Line) Time() time.Time {
	t, err := time.Parse(time.RFC3339Nano, s.ReceivedAt)
	if err != nil {
		return time.Time{}
	}
	return t
}

// ContentType is the saved content-type, application/json when none was saved.
func (s *Line) ContentType() (string, error) {
	h, err := s.headers()
	if err != nil {
		return "", err
	}
	for k, v := range h {
		if strings.EqualFold(k, "content-type") && len(v) > 0 && v[0] != "" {
			return v[0], nil
		}
	}
	return "application/json", nil
}

// headers is the saved headers, decoded by Parse or now.
func (s *Line) headers() (map[string][]string, error) {
	if s.parsed {
		return s.header, nil
	}
	return s.decodeHeaders()
}

// decodeHeaders reads "headers": each name mapped to a string (a list of one) or a
// list of strings; a value of another kind is left out. nil when the line has none.
func (s *Line) decodeHeaders() (map[string][]string, error) {
	if len(s.Headers) == 0 || string(s.Headers) == "null" {
		return nil, nil
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(s.Headers, &h); err != nil {
		return nil, errors.New(`"headers" is not an object`)
	}
	out := make(map[string][]string, len(h))
	for k, v := range h {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = []string{str}
			continue
		}
		var list []string
		if json.Unmarshal(v, &list) == nil {
			out[k] = list
		}
	}
	return out, nil
}
