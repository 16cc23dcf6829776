package emulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// Machine codes of the emulator's error envelopes (`errorCode`).
const (
	CodeInvalidJSON          = "INVALID_JSON"
	CodeHookURLRequired      = "HOOK_URL_REQUIRED"
	CodeEventRequired        = "EVENT_REQUIRED"
	CodeInvalidEvent         = "INVALID_EVENT"
	CodeInvalidHookURL       = "INVALID_HOOK_URL"
	CodeInvalidFilter        = "INVALID_FILTER"
	CodeWebhookNotFound      = "WEBHOOK_NOT_FOUND"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeInvalidParticipants  = "INVALID_PARTICIPANTS"
	CodeFilterNotApplicable  = "FILTER_NOT_APPLICABLE"
	CodeInvalidPayload       = "INVALID_PAYLOAD"
	CodeStateWriteFailed     = "STATE_WRITE_FAILED"
	CodeTooManyDeliveries    = "TOO_MANY_DELIVERIES"
)

// Envelope is TagMango's success answer.
type Envelope struct {
	Message       string `json:"message"`
	Success       bool   `json:"success"`
	Result        any    `json:"result"`
	Code          int    `json:"code"`
	StatusMessage string `json:"statusMessage"`
}

// ErrorEnvelope is TagMango's error answer, e.g.
// {"code":401,"type":"Unauthorized","statusMessage":"UNAUTHORIZED","message":"Invalid token","success":false}.
type ErrorEnvelope struct {
	Code          int    `json:"code"`
	Type          string `json:"type"`
	StatusMessage string `json:"statusMessage"`
	ErrorCode     string `json:"errorCode,omitempty"`
	Message       string `json:"message"`
	Success       bool   `json:"success"`
}

// requestError is a client error answered with an ErrorEnvelope.
type requestError struct {
	status int
	code   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(code, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

// statusConstant turns "Not Found" into "NOT_FOUND", as TagMango's statusMessage.
func statusConstant(status int) string {
	return strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(http.StatusText(status)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"code":500,"type":"Internal Server Error","statusMessage":"INTERNAL_SERVER_ERROR","message":"encoding the answer failed","success":false}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorEnvelope{
		Code:          status,
		Type:          http.StatusText(status),
		StatusMessage: statusConstant(status),
		ErrorCode:     code,
		Message:       msg,
	})
}

func writeRequestError(w http.ResponseWriter, err error) {
	if re, ok := errors.AsType[*requestError](err); ok {
		writeError(w, re.status, re.code, re.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, "", err.Error())
}

func writeOK(w http.ResponseWriter, msg string, result any) {
	writeJSON(w, http.StatusOK, Envelope{Message: msg, Success: true, Result: result, Code: http.StatusOK, StatusMessage: "OK"})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
}

// readBody reads at most MaxRequestBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &requestError{status: http.StatusRequestEntityTooLarge, code: CodePayloadTooLarge,
				msg: fmt.Sprintf("Request body is larger than %d KiB", MaxRequestBody>>10)}
		}
		return nil, badRequest(CodeInvalidJSON, "Could not read the request body: %v", err)
	}
	return body, nil
}

// decodeObject parses a JSON object body into its members.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, badRequest(CodeInvalidJSON, "Request body must be a JSON object")
	}
	return m, nil
}

// stringMember returns the string member name of m: "" when missing or null, an error
// when it is not a string.
func stringMember(m map[string]json.RawMessage, name, code string) (string, error) {
	raw, ok := m[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest(code, "%s must be a string", name)
	}
	return s, nil
}

// authorized checks x-api-key: the configured key, or any non-empty key when none is.
func (s *Server) authorized(r *http.Request) bool {
	key := r.Header.Get("x-api-key")
	if key == "" {
		return false
	}
	if s.cfg.APIKey == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) == 1
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	why := "no x-api-key"
	if r.Header.Get("x-api-key") != "" {
		why = "wrong x-api-key"
	}
	s.logf("%s %s → 401 (%s)", r.Method, r.URL.Path, why)
	writeJSON(w, http.StatusUnauthorized, ErrorEnvelope{
		Code: http.StatusUnauthorized, Type: "Unauthorized", StatusMessage: "UNAUTHORIZED", Message: "Invalid token",
	})
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		s.handleRegister(w, r)
	case http.MethodDelete:
		s.handleDelete(w, r)
	default:
		methodNotAllowed(w, r, http.MethodPost, http.MethodDelete)
	}
}

func (s *Server) handleLegacy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	s.handleRegister(w, r)
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.unauthorized(w, r)
		return
	}
	reg, err := s.parseRegistration(w, r)
	if err != nil {
		s.logf("%s %s → 400 %s", r.Method, r.URL.Path, clean(err.Error()))
		writeRequestError(w, err)
		return
	}
	saved, created, err := s.regs.add(reg)
	if err != nil {
		s.logf("%s %s → 500 %s", r.Method, r.URL.Path, clean(err.Error()))
		writeError(w, http.StatusInternalServerError, CodeStateWriteFailed, "The registration could not be saved: "+err.Error())
		return
	}
	msg, verb := "Webhook registered successfully", "registered"
	if !created {
		msg, verb = "Webhook already registered", "already registered"
	}
	s.logf("%s %s → 200 %s %s %s → %s", r.Method, r.URL.Path, verb, saved.ID, saved.Event+filterText(&saved), clean(saved.HookURL))
	writeOK(w, msg, saved)
}

func (s *Server) parseRegistration(w http.ResponseWriter, r *http.Request) (Registration, error) {
	body, err := readBody(w, r)
	if err != nil {
		return Registration{}, err
	}
	m, err := decodeObject(body)
	if err != nil {
		return Registration{}, err
	}
	hookURL, err := stringMember(m, "hookUrl", CodeInvalidHookURL)
	if err != nil {
		return Registration{}, err
	}
	if hookURL == "" {
		return Registration{}, badRequest(CodeHookURLRequired, "hookUrl is required")
	}
	event, err := stringMember(m, "event", CodeInvalidEvent)
	if err != nil {
		return Registration{}, err
	}
	if event == "" {
		return Registration{}, badRequest(CodeEventRequired, "event is required")
	}
	if _, ok := s.cfg.Catalog.Lookup(event); !ok {
		msg := fmt.Sprintf("Invalid event: %s", event)
		if sug := s.cfg.Catalog.Suggest(event); sug != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", sug)
		}
		return Registration{}, badRequest(CodeInvalidEvent, "%s", msg)
	}
	if _, err := hookurl.Parse(hookURL); err != nil {
		return Registration{}, badRequest(CodeInvalidHookURL, "Invalid hookUrl: %v", err)
	}
	reg := Registration{HookURL: hookURL, Event: event}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"mango", &reg.Mango}, {"course", &reg.Course}, {"webinar", &reg.Webinar}, {"page", &reg.Page}} {
		v, err := stringMember(m, f.name, CodeInvalidFilter)
		if err != nil {
			return Registration{}, err
		}
		*f.dst = v
	}
	now := s.cfg.Now()
	reg.ID = newObjectID(now)
	reg.CreatedAt = now.UTC().Truncate(time.Millisecond)
	return reg, nil
}

// DeleteResult is the `result` of a successful delete.
type DeleteResult struct {
	HookURL      string         `json:"hookUrl"`
	DeletedCount int            `json:"deletedCount"`
	Deleted      []Registration `json:"deleted"`
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.unauthorized(w, r)
		return
	}
	hookURL, err := s.parseDelete(w, r)
	if err != nil {
		s.logf("%s %s → 400 %s", r.Method, r.URL.Path, clean(err.Error()))
		writeRequestError(w, err)
		return
	}
	removed, err := s.regs.removeURL(hookURL)
	if err != nil {
		s.logf("%s %s → 500 %s", r.Method, r.URL.Path, clean(err.Error()))
		writeError(w, http.StatusInternalServerError, CodeStateWriteFailed, "The deletion could not be saved: "+err.Error())
		return
	}
	if len(removed) == 0 {
		s.logf("%s %s → 404 nothing registered on %s", r.Method, r.URL.Path, clean(hookURL))
		writeError(w, http.StatusNotFound, CodeWebhookNotFound, "No webhook is registered on this hookUrl")
		return
	}
	s.logf("%s %s → 200 deleted %d registration(s) on %s", r.Method, r.URL.Path, len(removed), clean(hookURL))
	writeOK(w, "Webhook deleted successfully", DeleteResult{HookURL: hookURL, DeletedCount: len(removed), Deleted: removed})
}

func (s *Server) parseDelete(w http.ResponseWriter, r *http.Request) (string, error) {
	body, err := readBody(w, r)
	if err != nil {
		return "", err
	}
	m, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	hookURL, err := stringMember(m, "hookUrl", CodeInvalidHookURL)
	if err != nil {
		return "", err
	}
	if hookURL == "" {
		return "", badRequest(CodeHookURLRequired, "hookUrl is required")
	}
	return hookURL, nil
}

func (s *Server) handleRegistrations(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	writeJSON(w, http.StatusOK, s.regs.list())
}

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	writeJSON(w, http.StatusOK, s.history.list())
}

// filterText renders a registration's filters for the log: " (course 634f…)".
func filterText(r *Registration) string {
	var parts []string
	for _, k := range []string{"mango", "course", "webinar", "page"} {
		if v := r.Filter(k); v != "" {
			parts = append(parts, k+" "+clean(v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// clean makes untrusted text safe for a terminal line.
func clean(s string) string {
	const limit = 300
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return output.SanitizeCell(s)
}
