// POST /_emulator/fire: decoding the request and answering with the report.

package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

func (s *Server) handleFire(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	req, err := decodeFire(w, r)
	if err != nil {
		s.logf("POST %s → 400 %s", FirePath, clean(err.Error()))
		writeRequestError(w, err)
		return
	}
	// A fire outlasts the server's write timeout: thousands of deliveries of up to 30 s
	// each. The caller's disconnect or the shutdown still stops it.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	rep, err := s.Fire(r.Context(), req)
	if err != nil {
		s.logf("POST %s → 400 %s", FirePath, clean(err.Error()))
		writeRequestError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func decodeFire(w http.ResponseWriter, r *http.Request) (FireRequest, error) {
	body, err := readBody(w, r)
	if err != nil {
		return FireRequest{}, err
	}
	var req FireRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // payload numbers keep their digits
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return FireRequest{}, badRequest(CodeInvalidJSON, "Invalid fire request: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return FireRequest{}, badRequest(CodeInvalidJSON, "Invalid fire request: more than one JSON value")
	}
	return req, nil
}
