package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func wantHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Api-Key":    testKey,
		"Accept":       "application/json",
		"Content-Type": "application/json",
		"User-Agent":   testUA,
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, got, v)
		}
	}
}

func TestRegisterSendsExactRequest(t *testing.T) {
	tests := []struct {
		name string
		req  RegisterRequest
		want string
	}{
		{
			name: "no filters",
			req:  RegisterRequest{HookURL: "https://example.com/hooks/tm", Event: "order.created.completed"},
			want: `{"hookUrl":"https://example.com/hooks/tm","event":"order.created.completed"}`,
		},
		{
			name: "course filter",
			req:  RegisterRequest{HookURL: "https://example.com/h", Event: "course.completed.50", Course: "634fc35ddaf58580e2418c40"},
			want: `{"hookUrl":"https://example.com/h","event":"course.completed.50","course":"634fc35ddaf58580e2418c40"}`,
		},
		{
			name: "every filter",
			req:  RegisterRequest{HookURL: "https://example.com/h", Event: "e", Mango: "m", Course: "c", Webinar: "w", Page: "p"},
			want: `{"hookUrl":"https://example.com/h","event":"e","mango":"m","course":"c","webinar":"w","page":"p"}`,
		},
		{
			name: "query string kept as typed",
			req:  RegisterRequest{HookURL: "https://example.com/h?a=1&b=<2>", Event: "e"},
			want: `{"hookUrl":"https://example.com/h?a=1&b=<2>","event":"e"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, reply{status: 200, body: `{"message":"Webhook registered","success":true,"code":200}`})
			// A trailing slash on the base URL must not double the slash in the path.
			c, _ := newTestClient(t, api.URL+"/", nil)
			res, err := c.Register(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if res.Status != 200 || res.Message != "Webhook registered" {
				t.Errorf("result = %+v", res)
			}
			reqs := api.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if got.method != http.MethodPost || got.path != RegisterPath {
				t.Errorf("request = %s %s, want POST %s", got.method, got.path, RegisterPath)
			}
			wantHeaders(t, got.header)
			if got.body != tt.want {
				t.Errorf("body = %s\nwant   %s", got.body, tt.want)
			}
		})
	}
}

func TestDeleteSendsExactRequest(t *testing.T) {
	api := newFakeAPI(t, reply{status: 200, body: `{"message":"Webhook deleted","success":true}`})
	c, _ := newTestClient(t, api.URL, nil)
	res, err := c.Delete(context.Background(), "https://example.com/hooks/tm?x=1&y=2")
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if res.Message != "Webhook deleted" {
		t.Errorf("message = %q", res.Message)
	}
	reqs := api.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.method != http.MethodDelete || got.path != RegisterPath {
		t.Errorf("request = %s %s, want DELETE %s", got.method, got.path, RegisterPath)
	}
	wantHeaders(t, got.header)
	if want := `{"hookUrl":"https://example.com/hooks/tm?x=1&y=2"}`; got.body != want {
		t.Errorf("body = %s, want %s", got.body, want)
	}
}

func TestSuccessfulAnswers(t *testing.T) {
	tests := []struct {
		name string
		rep  reply
		want Result
	}{
		{
			name: "result._id",
			rep:  reply{status: 200, body: `{"message":"ok","success":true,"result":{"_id":"65a1b2c3d4e5f6a7b8c9d0e1"},"code":200,"statusMessage":"OK"}`},
			want: Result{Status: 200, Message: "ok", RemoteID: "65a1b2c3d4e5f6a7b8c9d0e1"},
		},
		{
			name: "result.id as a number",
			rep:  reply{status: 201, body: `{"success":true,"result":{"id":12345678901234567890}}`},
			want: Result{Status: 201, RemoteID: "12345678901234567890"},
		},
		{
			name: "_id preferred over id",
			rep:  reply{status: 200, body: `{"success":true,"result":{"id":"b","_id":"a"}}`},
			want: Result{Status: 200, RemoteID: "a"},
		},
		{
			name: "result not an object",
			rep:  reply{status: 200, body: `{"success":true,"result":["x"]}`},
			want: Result{Status: 200},
		},
		{
			name: "JSON without success",
			rep:  reply{status: 200, body: `{"message":"created"}`},
			want: Result{Status: 200, Message: "created"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.rep)
			c, _ := newTestClient(t, api.URL, nil)
			res, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if *res != tt.want {
				t.Errorf("result = %+v, want %+v", *res, tt.want)
			}
		})
	}
}

// A 2xx that is not TagMango's JSON comes from something else: a wrong --base-url that
// serves a welcome page, a proxy. Taking it for success would record a subscription
// that does not exist, or forget one that still does.
func TestNonJSON2xxIsAnError(t *testing.T) {
	tests := []struct {
		name string
		rep  reply
		text string
	}{
		{"nginx welcome page", reply{status: 200, header: map[string]string{"Content-Type": "text/html"}, body: "<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>"},
			"It answered 200 OK: Welcome to nginx! Welcome to nginx!"},
		{"plain text", reply{status: 200, body: "OK"}, "It answered 200 OK: OK"},
		{"empty 204", reply{status: 204}, "It answered 204 No Content"},
		{"broken JSON", reply{status: 201, body: `{"message":`}, `It answered 201 Created: {"message":`},
		{"a JSON array", reply{status: 200, body: `["ok"]`}, `It answered 200 OK: ["ok"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.rep)
			c, _ := newTestClient(t, api.URL+"/", nil)
			for _, call := range []func() (*Result, error){
				func() (*Result, error) {
					return c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
				},
				func() (*Result, error) { return c.Delete(context.Background(), "https://example.com/h") },
			} {
				res, err := call()
				if res != nil {
					t.Fatalf("success: %+v", res)
				}
				want := "unexpected answer from " + api.URL + " (not TagMango's JSON): is --base-url right? " + tt.text
				if err == nil || err.Error() != want {
					t.Errorf("err = %v\nwant  %s", err, want)
				}
				if e, ok := errors.AsType[*Error](err); !ok || e.ExitCode() != 1 || IsNotFound(err) || IsAuth(err) || e.Attempts != 1 {
					t.Errorf("err = %#v", err)
				}
			}
		})
	}
}

func TestFailedAnswers(t *testing.T) {
	tests := []struct {
		name     string
		rep      reply
		status   int
		message  string
		code     string
		text     string
		exit     int
		notFound bool
		auth     bool
	}{
		{
			name:    "400 with envelope",
			rep:     reply{status: 400, body: `{"code":400,"type":"error","statusMessage":"Bad Request","errorCode":"INVALID_URL","message":"Invalid request","success":false}`},
			status:  400,
			message: "Invalid request",
			code:    "INVALID_URL",
			text:    "TagMango answered 400 Bad Request: Invalid request (INVALID_URL)",
			exit:    1,
		},
		{
			name:    "2xx with success false",
			rep:     reply{status: 200, body: `{"message":"Webhook already exists","success":false,"code":409}`},
			status:  200,
			message: "Webhook already exists",
			text:    "TagMango answered 200 OK but reported a failure: Webhook already exists",
			exit:    1,
		},
		{
			name:     "2xx with success false and code 404",
			rep:      reply{status: 200, body: `{"message":"No webhook on this URL","success":false,"code":404}`},
			status:   200,
			message:  "No webhook on this URL",
			text:     "TagMango answered 200 OK but reported a failure: No webhook on this URL",
			exit:     1,
			notFound: true,
		},
		{
			name:    "500 is not retried",
			rep:     reply{status: 500, body: `{"message":"Something went wrong","success":false}`},
			status:  500,
			message: "Something went wrong",
			text:    "TagMango answered 500 Internal Server Error: Something went wrong",
			exit:    1,
		},
		{
			name:    "401",
			rep:     reply{status: 401, body: `{"code":401,"type":"error","statusMessage":"Unauthorized","errorCode":"UNAUTHORIZED","message":"Invalid token","success":false}`},
			status:  401,
			message: "Invalid token",
			code:    "UNAUTHORIZED",
			text:    "TagMango answered 401 Unauthorized: Invalid token (UNAUTHORIZED)",
			exit:    4,
			auth:    true,
		},
		{
			name:    "403 without body",
			rep:     reply{status: 403},
			status:  403,
			message: "Forbidden",
			text:    "TagMango answered 403 Forbidden",
			exit:    4,
			auth:    true,
		},
		{
			name:     "404",
			rep:      reply{status: 404, body: `{"message":"Webhook not found","success":false}`},
			status:   404,
			message:  "Webhook not found",
			text:     "TagMango answered 404 Not Found: Webhook not found",
			exit:     1,
			notFound: true,
		},
		{
			name:    "plain text 422",
			rep:     reply{status: 422, body: "bad\x1b[31m input\r\n\tplease"},
			status:  422,
			message: "bad input please",
			text:    "TagMango answered 422 Unprocessable Entity: bad input please",
			exit:    1,
		},
		{
			name:    "JSON object without message",
			rep:     reply{status: 409, body: `{"error":"duplicate"}`},
			status:  409,
			message: `{"error":"duplicate"}`,
			text:    `TagMango answered 409 Conflict: {"error":"duplicate"}`,
			exit:    1,
		},
		{
			name:    "server echoes the key",
			rep:     reply{status: 400, body: `{"message":"Unknown key ` + testKey + `","success":false}`},
			status:  400,
			message: "Unknown key " + testMasked,
			text:    "TagMango answered 400 Bad Request: Unknown key " + testMasked,
			exit:    1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.rep)
			c, clock := newTestClient(t, api.URL, nil)
			_, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Status != tt.status || e.Message != tt.message || e.ErrorCode != tt.code {
				t.Errorf("Error = %+v", e)
			}
			if got := e.Error(); got != tt.text {
				t.Errorf("Error() = %q\nwant      %q", got, tt.text)
			}
			if e.ExitCode() != tt.exit {
				t.Errorf("ExitCode = %d, want %d", e.ExitCode(), tt.exit)
			}
			if IsNotFound(err) != tt.notFound || IsAuth(err) != tt.auth {
				t.Errorf("IsNotFound = %v, IsAuth = %v", IsNotFound(err), IsAuth(err))
			}
			if n := len(api.requests()); n != 1 || e.Attempts != 1 {
				t.Errorf("requests = %d, Attempts = %d; want 1 and 1", n, e.Attempts)
			}
			if s := clock.Sleeps(); len(s) != 0 {
				t.Errorf("slept %v, want no sleep", s)
			}
			if e.Method != http.MethodPost || e.URL != api.URL+RegisterPath {
				t.Errorf("Method, URL = %s %s", e.Method, e.URL)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the key: %s", err)
			}
		})
	}
}

func TestInvalidBaseURL(t *testing.T) {
	c, _ := newTestClient(t, "http://[::1", nil)
	_, err := c.Delete(context.Background(), "https://example.com/h")
	if err == nil || !strings.Contains(err.Error(), "invalid TagMango base URL") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c := New(Options{})
	if c.baseURL != DefaultBaseURL {
		t.Errorf("baseURL = %q", c.baseURL)
	}
	var b strings.Builder
	if err := c.DryRunDelete(&b, "https://example.com/h"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "user-agent: "+DefaultUserAgent+"\n") {
		t.Errorf("dry run without the default user agent:\n%s", b.String())
	}
}
