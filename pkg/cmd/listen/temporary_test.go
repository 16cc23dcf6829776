package listen_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

const publicURL = "https://abc.trycloudflare.com"

func registerArgs(extra ...string) []string {
	return append([]string{"--register", "--no-probe", "--public-url", publicURL + "/", "--event", "course.completed.50", "--event", "course.completed.100", "--course", "634fc35ddaf58580e2418c40"}, extra...)
}

// calls renders the API calls as "METHOD body" lines.
func calls(apiSrv *cmdtest.APIServer) []string {
	var out []string
	for _, c := range apiSrv.Calls() {
		out = append(out, c.Method+" "+c.Body)
	}
	return out
}

func readState(t *testing.T, env *cmdtest.Env) []store.Record {
	t.Helper()
	raw := env.ReadState()
	if raw == "" {
		return nil
	}
	var st store.State
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatal(err)
	}
	return st.Subscriptions
}

var (
	registered = []string{
		`POST {"hookUrl":"https://abc.trycloudflare.com/course.completed.50","event":"course.completed.50","course":"634fc35ddaf58580e2418c40"}`,
		`POST {"hookUrl":"https://abc.trycloudflare.com/course.completed.100","event":"course.completed.100","course":"634fc35ddaf58580e2418c40"}`,
	}
	deleted = []string{
		`DELETE {"hookUrl":"https://abc.trycloudflare.com/course.completed.50"}`,
		`DELETE {"hookUrl":"https://abc.trycloudflare.com/course.completed.100"}`,
	}
)

func TestRegisterWhileListening(t *testing.T) {
	for _, end := range []string{"--count", "ctrl-c", "--timeout"} {
		t.Run(end, func(t *testing.T) {
			env := cmdtest.New(t)
			apiSrv := cmdtest.NewAPIServer(t)
			env.WithProfile(apiSrv.URL)
			var extra []string
			switch end {
			case "--count":
				extra = []string{"--count", "1", "--json"}
			case "--timeout":
				extra = []string{"--timeout", "300ms"}
			}
			s := startListen(t, env, registerArgs(extra...)...)

			if got := calls(apiSrv); !slices.Equal(got, registered) {
				t.Fatalf("calls:\n%s", strings.Join(got, "\n"))
			}
			for _, c := range apiSrv.Calls() {
				if c.Path != api.RegisterPath || c.Header.Get("x-api-key") != cmdtest.TestAPIKey || c.Header.Get("Content-Type") != "application/json" {
					t.Errorf("call %s %s %v", c.Method, c.Path, c.Header)
				}
			}
			recs := readState(t, env)
			if len(recs) != 2 {
				t.Fatalf("state while listening: %+v", recs)
			}
			for i, event := range []string{"course.completed.50", "course.completed.100"} {
				r := recs[i]
				want := store.Scope{Profile: "default", BaseURL: apiSrv.URL}.NewRecord(event, publicURL+"/"+event, store.Filters{Course: "634fc35ddaf58580e2418c40"}, env.Now)
				if r.ID != want.ID || r.Profile != "default" || r.BaseURL != apiSrv.URL || r.Event != event || r.HookURL != want.HookURL ||
					r.FilterValues() != want.FilterValues() || !r.RegisteredAt.Equal(want.RegisteredAt) || !r.Temporary {
					t.Errorf("record %d: %+v, want %+v (temporary)", i, r, want)
				}
			}

			var res cmdtest.Result
			switch end {
			case "--count":
				// The path names the event: detection is exact.
				post(t, s.url+"course.completed.50", coursePayload)
				res = s.wait(t, env)
				if l := jsonLines(t, res.Stdout); len(l) != 1 || l[0]["event"] != "course.completed.50" {
					t.Errorf("stdout %s", res.Stdout)
				}
			case "ctrl-c":
				res = s.stop(t, env)
			case "--timeout":
				res = s.wait(t, env)
			}
			if res.Code != 0 {
				t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
			}
			if got := calls(apiSrv); !slices.Equal(got, append(slices.Clone(registered), deleted...)) {
				t.Errorf("calls:\n%s", strings.Join(got, "\n"))
			}
			if recs := readState(t, env); len(recs) != 0 {
				t.Errorf("records left: %+v", recs)
			}
			for _, want := range []string{
				"✓ subscribed course.completed.50 → https://abc.trycloudflare.com/course.completed.50 (temporary)\n",
				"✓ deleted 2 temporary subscriptions\nSummary: ",
			} {
				if !strings.Contains(res.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
				}
			}
			// The Ready block lists the subscriptions, made before it (the calls were
			// all in when the Ready line came).
			if !strings.Contains(res.Stderr, "Ready: listening on "+s.url+"\n✓ subscribed course.completed.50 → https://abc.trycloudflare.com/course.completed.50 (temporary)\n✓ subscribed course.completed.100 → https://abc.trycloudflare.com/course.completed.100 (temporary)\n") {
				t.Errorf("the Ready block lacks the subscriptions:\n%s", res.Stderr)
			}
		})
	}
}

func TestRegisterRollsBackHalfway(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	apiSrv.Enqueue(cmdtest.OK, cmdtest.Response{Status: 500, Body: `{"message":"Something broke","success":false,"code":500,"statusMessage":"Internal Server Error"}`})
	res := env.Run(append([]string{"listen", "--port", "0"}, registerArgs()...)...)
	if res.Code != 1 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	want := []string{registered[0], registered[1], deleted[0]}
	if got := calls(apiSrv); !slices.Equal(got, want) {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	if recs := readState(t, env); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
	for _, w := range []string{
		"registering course.completed.100 failed; deleting the 1 temporary subscriptions made so far\n✓ deleted 1 temporary subscription\n",
		"error: registering course.completed.100: TagMango answered 500 Internal Server Error: Something broke",
	} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
	if strings.Contains(res.Stderr, "Ready:") {
		t.Error("listen must not start after a failed registration")
	}
}

func TestRegisterRefusals(t *testing.T) {
	t.Run("no API key", func(t *testing.T) {
		env := cmdtest.New(t)
		res := env.Run(append([]string{"listen", "--port", "0"}, registerArgs()...)...)
		if res.Code != 4 {
			t.Errorf("exit %d\n%s", res.Code, res.Stderr)
		}
	})
	t.Run("a corrupt store stops before any call", func(t *testing.T) {
		env := cmdtest.New(t)
		apiSrv := cmdtest.NewAPIServer(t)
		env.WithProfile(apiSrv.URL)
		if err := os.MkdirAll(filepath.Dir(env.StatePath), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(env.StatePath, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		res := env.Run(append([]string{"listen", "--port", "0"}, registerArgs()...)...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "is corrupt") || len(apiSrv.Calls()) != 0 {
			t.Errorf("exit %d\n%s", res.Code, res.Stderr)
		}
	})
}
