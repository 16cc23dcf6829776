package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
)

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

const unauthorized = `{"code":401,"type":"Unauthorized","statusMessage":"UNAUTHORIZED","message":"Invalid token","success":false}`

func TestRegisterAnswersTagMangoEnvelope(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	status, out := call(t, http.MethodPost, e.URL+api.RegisterPath, testKey,
		`{"hookUrl":"https://example.com/hooks/tm?a=1&b=2","event":"course.completed.50","course":"`+courseA+`"}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, out)
	}
	env := decode(t, out)
	result, _ := env["result"].(map[string]any)
	id, _ := result["_id"].(string)
	if !objectID.MatchString(id) {
		t.Errorf("result._id = %q, want 24 hex digits", id)
	}
	want := `{"message":"Webhook registered successfully","success":true,"code":200,"statusMessage":"OK",
		"result":{"_id":"` + id + `","hookUrl":"https://example.com/hooks/tm?a=1&b=2","event":"course.completed.50",
		"course":"` + courseA + `","createdAt":"2026-11-22T10:04:05Z"}}`
	sameJSON(t, out, want)
	if !strings.Contains(out, "?a=1&b=2") {
		t.Errorf("the hook URL is HTML-escaped: %s", out)
	}

	// The api client the register command uses reads the id from it.
	c := api.New(api.Options{BaseURL: e.URL, APIKey: testKey})
	res, err := c.Register(t.Context(), api.RegisterRequest{HookURL: "https://example.com/other", Event: "webinar.reminder.all", Webinar: webinarW})
	if err != nil {
		t.Fatal(err)
	}
	if !objectID.MatchString(res.RemoteID) || res.Message != "Webhook registered successfully" {
		t.Errorf("client result %+v", res)
	}
	regs := e.Registrations()
	if len(regs) != 2 || regs[1].Webinar != webinarW || regs[1].ID != res.RemoteID {
		t.Errorf("registrations %+v", regs)
	}
}

func TestRegisterTwiceKeepsOne(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	body := `{"hookUrl":"https://example.com/h","event":"user.deleted"}`
	first := e.register(t, body)
	second := e.register(t, body)
	if second["message"] != "Webhook already registered" {
		t.Errorf("second message %v", second["message"])
	}
	id := func(m map[string]any) any { return m["result"].(map[string]any)["_id"] }
	if id(first) != id(second) || len(e.Registrations()) != 1 {
		t.Errorf("ids %v %v, %d registrations", id(first), id(second), len(e.Registrations()))
	}
	// Another filter is another registration.
	e.register(t, `{"hookUrl":"https://example.com/h","event":"course.completed.50","course":"`+courseA+`"}`)
	e.register(t, `{"hookUrl":"https://example.com/h","event":"course.completed.50","course":"`+courseB+`"}`)
	if n := len(e.Registrations()); n != 3 {
		t.Errorf("%d registrations, want 3", n)
	}
}

func TestAPIKey(t *testing.T) {
	body := `{"hookUrl":"https://example.com/h","event":"user.deleted"}`
	tests := []struct {
		name       string
		configured string
		sent       string
		method     string
		want       int
	}{
		{"configured key", testKey, testKey, http.MethodPost, 200},
		{"another key", testKey, "other", http.MethodPost, 401},
		{"no key", testKey, "", http.MethodPost, 401},
		{"any key when none configured", "", "whatever", http.MethodPost, 200},
		{"no key when none configured", "", "", http.MethodPost, 401},
		{"delete with another key", testKey, "other", http.MethodDelete, 401},
		{"delete without key", "", "", http.MethodDelete, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEmu(t, emulator.Config{APIKey: tt.configured})
			status, out := call(t, tt.method, e.URL+api.RegisterPath, tt.sent, body)
			if status != tt.want {
				t.Fatalf("status %d, want %d: %s", status, tt.want, out)
			}
			if tt.want == 401 && strings.TrimSpace(out) != unauthorized {
				t.Errorf("401 body\n got: %s\nwant: %s", out, unauthorized)
			}
			if tt.want == 401 && len(e.Registrations()) != 0 {
				t.Errorf("a refused call registered something")
			}
		})
	}
}

func TestRegisterRejects(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	tests := []struct {
		name, body string
		code, msg  string
	}{
		{"not JSON", `hookUrl=https://example.com`, emulator.CodeInvalidJSON, "Request body must be a JSON object"},
		{"empty body", ``, emulator.CodeInvalidJSON, "Request body must be a JSON object"},
		{"an array", `[{"hookUrl":"https://example.com/h"}]`, emulator.CodeInvalidJSON, "Request body must be a JSON object"},
		{"the seed's trailing comma", `{"hookUrl":"https://example.com/h","event":"user.deleted",}`, emulator.CodeInvalidJSON, "Request body must be a JSON object"},
		{"no hookUrl", `{"event":"user.deleted"}`, emulator.CodeHookURLRequired, "hookUrl is required"},
		{"empty hookUrl", `{"hookUrl":"","event":"user.deleted"}`, emulator.CodeHookURLRequired, "hookUrl is required"},
		{"hookUrl not a string", `{"hookUrl":42,"event":"user.deleted"}`, emulator.CodeInvalidHookURL, "hookUrl must be a string"},
		{"no event", `{"hookUrl":"https://example.com/h"}`, emulator.CodeEventRequired, "event is required"},
		{"unknown event", `{"hookUrl":"https://example.com/h","event":"course.completed.5"}`, emulator.CodeInvalidEvent, "Invalid event: course.completed.5 (did you mean course.completed.50?)"},
		{"relative URL", `{"hookUrl":"/hooks","event":"user.deleted"}`, emulator.CodeInvalidHookURL, `Invalid hookUrl: invalid URL "/hooks": use an absolute http:// or https:// URL`},
		{"ftp URL", `{"hookUrl":"ftp://example.com/h","event":"user.deleted"}`, emulator.CodeInvalidHookURL, `Invalid hookUrl: invalid URL "ftp://example.com/h": use an absolute http:// or https:// URL`},
		{"filter not a string", `{"hookUrl":"https://example.com/h","event":"course.completed.50","course":123}`, emulator.CodeInvalidFilter, "course must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := call(t, http.MethodPost, e.URL+api.RegisterPath, testKey, tt.body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", status, out)
			}
			want, _ := json.Marshal(emulator.ErrorEnvelope{Code: 400, Type: "Bad Request", StatusMessage: "BAD_REQUEST", ErrorCode: tt.code, Message: tt.msg})
			sameJSON(t, out, string(want))
		})
	}
	if n := len(e.Registrations()); n != 0 {
		t.Errorf("%d registrations after bad requests", n)
	}
	// One exactly as written, field order included.
	_, out := call(t, http.MethodPost, e.URL+api.RegisterPath, testKey, `{"event":"user.deleted"}`)
	if want := `{"code":400,"type":"Bad Request","statusMessage":"BAD_REQUEST","errorCode":"HOOK_URL_REQUIRED","message":"hookUrl is required","success":false}`; strings.TrimSpace(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestBodiesAreBounded(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	big := `{"hookUrl":"https://example.com/h","event":"user.deleted","page":"` + strings.Repeat("x", emulator.MaxRequestBody) + `"}`
	status, out := call(t, http.MethodPost, e.URL+api.RegisterPath, testKey, big)
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %.200s", status, out)
	}
	if env := decode(t, out); env["errorCode"] != emulator.CodePayloadTooLarge || env["success"] != false {
		t.Errorf("envelope %v", env)
	}
	status, _ = call(t, http.MethodPost, e.URL+emulator.FirePath, "", `{"event":"user.deleted","payload":{"x":"`+strings.Repeat("x", emulator.MaxRequestBody)+`"}}`)
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("fire: status %d", status)
	}
}

func TestLegacyPathAndRoutes(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	status, out := call(t, http.MethodPost, e.URL+emulator.LegacyRegisterPath, testKey, `{"hookUrl":"https://example.com/h","event":"order.created.completed","mango":"m1"}`)
	if status != 200 || len(e.Registrations()) != 1 || e.Registrations()[0].Mango != "m1" {
		t.Fatalf("legacy register: %d %s", status, out)
	}
	status, _ = call(t, http.MethodDelete, e.URL+emulator.LegacyRegisterPath, testKey, `{"hookUrl":"https://example.com/h"}`)
	if status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE on the legacy path: %d", status)
	}
	status, out = call(t, http.MethodGet, e.URL+api.RegisterPath, testKey, "")
	if status != http.StatusMethodNotAllowed || decode(t, out)["statusMessage"] != "METHOD_NOT_ALLOWED" {
		t.Errorf("GET on the register path: %d %s", status, out)
	}
	status, out = call(t, http.MethodPost, e.URL+"/api/v1/nope", testKey, "{}")
	if status != http.StatusNotFound || decode(t, out)["success"] != false {
		t.Errorf("unknown route: %d %s", status, out)
	}
}

func TestDeleteRemovesEveryRegistrationOnTheURL(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	e.register(t, `{"hookUrl":"https://example.com/a","event":"course.completed.50"}`)
	e.register(t, `{"hookUrl":"https://example.com/a","event":"webinar.reminder.all","webinar":"`+webinarW+`"}`)
	e.register(t, `{"hookUrl":"https://example.com/b","event":"course.completed.50"}`)

	status, out := call(t, http.MethodDelete, e.URL+api.RegisterPath, testKey, `{"hookUrl":"https://example.com/a"}`)
	if status != 200 {
		t.Fatalf("delete: %d %s", status, out)
	}
	env := decode(t, out)
	result, _ := env["result"].(map[string]any)
	if env["success"] != true || env["message"] != "Webhook deleted successfully" || env["statusMessage"] != "OK" ||
		result["deletedCount"] != json.Number("2") || result["hookUrl"] != "https://example.com/a" {
		t.Errorf("delete envelope %s", out)
	}
	if regs := e.Registrations(); len(regs) != 1 || regs[0].HookURL != "https://example.com/b" {
		t.Errorf("left %+v", regs)
	}

	status, out = call(t, http.MethodDelete, e.URL+api.RegisterPath, testKey, `{"hookUrl":"https://example.com/a"}`)
	if status != http.StatusNotFound {
		t.Fatalf("second delete: %d %s", status, out)
	}
	if want := `{"code":404,"type":"Not Found","statusMessage":"NOT_FOUND","errorCode":"WEBHOOK_NOT_FOUND","message":"No webhook is registered on this hookUrl","success":false}`; strings.TrimSpace(out) != want {
		t.Errorf("404\n got: %s\nwant: %s", out, want)
	}
	// The client the delete command uses takes it for "already gone".
	_, err := api.New(api.Options{BaseURL: e.URL, APIKey: testKey}).Delete(t.Context(), "https://example.com/a")
	if !api.IsNotFound(err) {
		t.Errorf("client: %v, want a not-found error", err)
	}

	status, out = call(t, http.MethodDelete, e.URL+api.RegisterPath, testKey, `{}`)
	if status != 400 || decode(t, out)["errorCode"] != emulator.CodeHookURLRequired {
		t.Errorf("delete without hookUrl: %d %s", status, out)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "emulator.json")
	first := newEmu(t, emulator.Config{StatePath: path})
	first.register(t, `{"hookUrl":"https://example.com/a","event":"course.completed.50","course":"`+courseA+`"}`)
	first.register(t, `{"hookUrl":"https://example.com/b","event":"user.deleted"}`)
	first.register(t, `{"hookUrl":"https://example.com/c","event":"user.deleted"}`)
	call(t, http.MethodDelete, first.URL+api.RegisterPath, testKey, `{"hookUrl":"https://example.com/c"}`)

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}

	second := newEmu(t, emulator.Config{StatePath: path})
	got, want := second.Registrations(), first.Registrations()
	if len(got) != 2 {
		t.Fatalf("after restart: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("registration %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// A registration made before the restart still receives events.
	recv := newReceiver(t, nil)
	call(t, http.MethodDelete, second.URL+api.RegisterPath, testKey, `{"hookUrl":"https://example.com/a"}`)
	second.register(t, `{"hookUrl":"`+recv.URL+`/x","event":"user.deleted"}`)
	third := newEmu(t, emulator.Config{StatePath: path})
	if rep := third.fire(t, `{"event":"user.deleted"}`); rep.Matched != 2 || recv.count("/x") != 1 {
		t.Errorf("fire after restart: %+v, %d received", rep, recv.count("/x"))
	}
}

func TestCorruptStateIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.json")
	if err := os.WriteFile(path, []byte(`{"registrations":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := emulator.New(emulator.Config{Catalog: catalog(t), StatePath: path})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want one naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"registrations":[` {
		t.Errorf("the corrupt file was overwritten: %s", b)
	}
}

func TestUnwritableStateIsReportedAtStart(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(notADir, "emulator.json")
	_, err := emulator.New(emulator.Config{Catalog: catalog(t), StatePath: path})
	if err == nil || !strings.Contains(err.Error(), notADir) {
		t.Fatalf("error %v, want one naming %s", err, notADir)
	}
}

// TestStateChangesAreJournaled: a registration appends one line to the journal
// instead of rewriting the state file; a restart folds the journal in.
func TestStateChangesAreJournaled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.json")
	journal := path + ".journal"
	first := newEmu(t, emulator.Config{StatePath: path})
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a", "b", "c"} {
		first.register(t, `{"hookUrl":"https://example.com/`+u+`","event":"user.deleted"}`)
	}
	call(t, http.MethodDelete, first.URL+api.RegisterPath, testKey, `{"hookUrl":"https://example.com/b"}`)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("the state file was rewritten:\n%s", after)
	}
	j, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSuffix(string(j), "\n"), "\n"); len(lines) != 4 || lines[3] != `{"remove":"https://example.com/b"}` {
		t.Errorf("journal:\n%s", j)
	}
	if fi, err := os.Stat(journal); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode: %v %v", fi, err)
	}

	second := newEmu(t, emulator.Config{StatePath: path})
	if got := second.Registrations(); len(got) != 2 || got[0] != first.Registrations()[0] || got[1] != first.Registrations()[1] {
		t.Errorf("after restart: %+v", got)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Errorf("the journal was not folded in at start: %v", err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "https://example.com/c") || strings.Contains(string(b), "https://example.com/b") {
		t.Errorf("state file:\n%s", b)
	}
}

// TestStateJournalAfterACrash: a line cut by a crash is no change; changes that the
// state file already holds (a crash after folding in, before emptying the journal)
// are not doubled; a garbled line in the middle is an error naming the journal.
func TestStateJournalAfterACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emulator.json")
	state := `{"version":1,"registrations":[{"_id":"000000000000000000000001","hookUrl":"https://example.com/a","event":"user.deleted","createdAt":"2026-11-22T10:04:05Z"}]}`
	journal := `{"add":{"_id":"000000000000000000000001","hookUrl":"https://example.com/a","event":"user.deleted","createdAt":"2026-11-22T10:04:05Z"}}` + "\n" +
		`{"add":{"_id":"000000000000000000000002","hookUrl":"https://example.com/b","event":"user.deleted","createdAt":"2026-11-22T10:04:06Z"}}` + "\n" +
		`{"add":{"_id":"0000000000`
	if err := os.WriteFile(path, []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".journal", []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEmu(t, emulator.Config{StatePath: path})
	regs := e.Registrations()
	if len(regs) != 2 || regs[0].HookURL != "https://example.com/a" || regs[1].HookURL != "https://example.com/b" {
		t.Errorf("registrations %+v", regs)
	}

	garbled := `{"add":{"hookUrl":"x"}}` + "\n" + "garbage\n" + `{"remove":"x"}` + "\n"
	if err := os.WriteFile(path+".journal", []byte(garbled), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := emulator.New(emulator.Config{Catalog: catalog(t), StatePath: path})
	if err == nil || !strings.Contains(err.Error(), "the emulator state journal "+path+".journal is not valid (line 2)") {
		t.Errorf("error %v", err)
	}
	if b, _ := os.ReadFile(path + ".journal"); string(b) != garbled {
		t.Errorf("the garbled journal was touched: %s", b)
	}
}
