package listen_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

const publicURL = "https://abc.trycloudflare.com"

func registerArgs(extra ...string) []string {
	return append([]string{"--register", "--public-url", publicURL + "/", "--event", "course.completed.50", "--event", "course.completed.100", "--course", "634fc35ddaf58580e2418c40"}, extra...)
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
			if strings.Index(res.Stderr, "✓ subscribed course.completed.100") > strings.Index(res.Stderr, "Ready: listening on") {
				t.Errorf("Ready before the subscriptions:\n%s", res.Stderr)
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

func TestRegisterReportsAFailedCleanup(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	apiSrv.Handle(func(c cmdtest.Call) (cmdtest.Response, bool) {
		if c.Method == http.MethodDelete && strings.Contains(c.Body, "course.completed.100") {
			return cmdtest.Response{Status: 400, Body: `{"message":"Nope","success":false,"code":400}`}, true
		}
		return cmdtest.Response{}, false
	})
	s := startListen(t, env, registerArgs("--count", "1")...)
	post(t, s.url, coursePayload)
	res := s.wait(t, env)
	if res.Code != 1 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	for _, w := range []string{
		"error: deleting https://abc.trycloudflare.com/course.completed.100: TagMango answered 400 Bad Request: Nope",
		"✓ deleted 1 temporary subscription\n",
		"could not delete the temporary subscription course.completed.100 → https://abc.trycloudflare.com/course.completed.100\n  delete it by hand: tagmango-hooks delete --url https://abc.trycloudflare.com/course.completed.100\n",
		"Summary: 1 delivery",
	} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
	// What could not be deleted stays tracked, temporary, for the next listen.
	if recs := readState(t, env); len(recs) != 1 || recs[0].Event != "course.completed.100" || !recs[0].Temporary {
		t.Errorf("state: %+v", recs)
	}
}

func TestRegisterCleansUpAfterAKilledListen(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	at := env.Now.Add(-time.Hour)
	here := store.Scope{Profile: "default", BaseURL: apiSrv.URL}
	dead := here.NewRecord("user.deleted", "https://dead.example.com/user.deleted", store.Filters{}, at)
	dead.Temporary = true
	live := here.NewRecord("user.deleted", "https://live.example.com/user.deleted", store.Filters{}, at)
	live.Temporary = true
	other := store.Scope{Profile: "ci", BaseURL: apiSrv.URL}.NewRecord("user.deleted", "https://other.example.com/user.deleted", store.Filters{}, at)
	other.Temporary = true
	// The same profile's temporary record on another API is that API's to clean up.
	production := store.NewRecord("default", "user.deleted", "https://dead.example.com/user.deleted", store.Filters{}, at)
	production.Temporary = true
	kept := here.NewRecord("user.deleted", "https://prod.example.com/hooks", store.Filters{}, at)
	st := store.New(env.StatePath)
	if err := st.Update(func(s *store.State) error {
		for _, r := range []store.Record{dead, live, other, production, kept} {
			s.Upsert(r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Another listen is still running for live.example.com: it holds its lock.
	lock := flock.New(store.New(env.StatePath).ListenLockPath("default", "https://live.example.com"))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Unlock() })

	s := startListen(t, env, "--register", "--public-url", publicURL, "--event", "user.deleted")
	got := calls(apiSrv)
	want := []string{
		`DELETE {"hookUrl":"https://dead.example.com/user.deleted"}`,
		`POST {"hookUrl":"https://abc.trycloudflare.com/user.deleted","event":"user.deleted"}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	res := s.stop(t, env)
	for _, w := range []string{
		"note: 1 temporary subscription belongs to another listen that is still running; left alone\n",
		"Deleted 1 temporary subscription left by a listen that did not end cleanly:\n  user.deleted → https://dead.example.com/user.deleted\n",
	} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
	var left []string
	for _, r := range readState(t, env) {
		left = append(left, r.Profile+" "+r.HookURL+" "+strings.TrimPrefix(r.BaseURL, apiSrv.URL))
	}
	if !slices.Equal(left, []string{"default https://live.example.com/user.deleted ", "ci https://other.example.com/user.deleted ", "default https://dead.example.com/user.deleted https://api-prod-new.tagmango.com", "default https://prod.example.com/hooks "}) {
		t.Errorf("state: %v", left)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(env.StatePath), filepath.Base(store.New(env.StatePath).ListenLockPath("default", publicURL)))); !os.IsNotExist(err) {
		t.Errorf("our lock file was left behind: %v", err)
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
	t.Run("a permanent subscription on the same URL", func(t *testing.T) {
		env := cmdtest.New(t)
		apiSrv := cmdtest.NewAPIServer(t)
		env.WithProfile(apiSrv.URL)
		perm := store.Scope{Profile: "default", BaseURL: apiSrv.URL}.NewRecord("course.completed.50", publicURL+"/course.completed.50", store.Filters{}, env.Now)
		if err := store.New(env.StatePath).Update(func(s *store.State) error { s.Upsert(perm); return nil }); err != nil {
			t.Fatal(err)
		}
		res := env.Run(append([]string{"listen", "--port", "0"}, registerArgs()...)...)
		if res.Code != 2 || !strings.Contains(res.Stderr, "is already subscribed (record "+perm.ID) || len(apiSrv.Calls()) != 0 {
			t.Errorf("exit %d calls %v\n%s", res.Code, calls(apiSrv), res.Stderr)
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

func TestRegisterReportsARemoteIDItCouldNotRecord(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	apiSrv.Handle(func(c cmdtest.Call) (cmdtest.Response, bool) {
		if c.Method != http.MethodPost {
			return cmdtest.Response{}, false
		}
		// The store breaks while TagMango registers: the record made before the call
		// is there, but TagMango's id for it cannot be added.
		if err := os.WriteFile(env.StatePath, []byte("{"), 0o600); err != nil {
			t.Error(err)
		}
		return cmdtest.Response{Status: 200, Body: `{"success":true,"result":{"_id":"6650aa00bb11cc22dd33ee44"}}`}, true
	})
	res := env.Run("listen", "--port", "0", "--timeout", "50ms", "--register", "--public-url", publicURL, "--event", "user.deleted")
	want := "warning: TagMango's id 6650aa00bb11cc22dd33ee44 for https://abc.trycloudflare.com/user.deleted could not be recorded: the state file " + env.StatePath + " is corrupt"
	if !strings.Contains(res.Stderr, want) {
		t.Errorf("exit %d; stderr lacks %q:\n%s", res.Code, want, res.Stderr)
	}
}

func TestCleanupStopsWhenTheAPICannotBeReached(t *testing.T) {
	env := cmdtest.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	env.WithProfile(closed)
	here := store.Scope{Profile: "default", BaseURL: closed}
	if err := store.New(env.StatePath).Update(func(s *store.State) error {
		for _, u := range []string{"https://dead1.example.com", "https://dead2.example.com", "https://dead3.example.com"} {
			r := here.NewRecord("user.deleted", u+"/user.deleted", store.Filters{}, env.Now.Add(-time.Hour))
			r.Temporary = true
			s.Upsert(r)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res := env.Run("listen", "--port", "0", "--register", "--public-url", publicURL, "--event", "user.deleted")
	if res.Code != 1 {
		t.Errorf("exit %d", res.Code)
	}
	if want := "not tried (TagMango cannot be reached): https://dead2.example.com/user.deleted, https://dead3.example.com/user.deleted\n"; !strings.Contains(res.Stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
	}
	// The retries of the first clean-up call, then of the registration: not of every URL.
	if n := len(env.Sleeps()); n != 4 {
		t.Errorf("%d waits: %v", n, env.Sleeps())
	}
	if recs := readState(t, env); len(recs) != 3 {
		t.Errorf("records %+v: what was not deleted stays", recs)
	}
}
