package delete_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// unsafeHook is a hook URL an older store may hold: a right-to-left override and a C1
// CSI in its path.
const unsafeHook = "https://example.com/\u202eevil\u009b2J"

// unsafeHookShown is unsafeHook as it must be printed.
const unsafeHookShown = `https://example.com/\u202eevil\x9b2J`

// seedUnsafe stores one subscription of the current profile on each of the URLs
// unsafeHook+suffix, bypassing register's URL check as an older version did.
func seedUnsafe(t *testing.T, suffixes ...string) (*cmdtest.Env, *cmdtest.APIServer, []store.Record) {
	t.Helper()
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	scope := store.Scope{Profile: "default", BaseURL: srv.URL}
	var recs []store.Record
	err := store.New(e.StatePath).Update(func(s *store.State) error {
		for _, suffix := range suffixes {
			r := scope.NewRecord("user.deleted", unsafeHook+suffix, store.Filters{}, e.Now)
			s.Upsert(r)
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, srv, recs
}

// checkNoRawControls fails when a stream of res carries an unsafe rune other than its
// own line ends and the tabs between columns.
func checkNoRawControls(t *testing.T, res cmdtest.Result) {
	t.Helper()
	for name, text := range map[string]string{"stdout": res.Stdout, "stderr": res.Stderr} {
		for _, line := range strings.Split(text, "\n") {
			if !safetext.IsSafe(strings.ReplaceAll(line, "\t", " ")) {
				t.Errorf("%s has a raw control character: %q", name, line)
			}
		}
	}
}

func TestDeleteEscapesStoredURLs(t *testing.T) {
	t.Run("bulk failures and the URLs not tried", func(t *testing.T) {
		e, srv, _ := seedUnsafe(t, "/1", "/2", "/3", "/4")
		srv.Enqueue(
			cmdtest.Response{Status: 500, Body: `{"message":"boom","success":false}`},
			cmdtest.OK,
			cmdtest.Response{Status: 401, Body: `{"message":"Invalid token","success":false}`},
		)
		res := e.Run("delete", "--all", "--yes")
		if res.Code == 0 {
			t.Fatalf("exit 0: %s", res.Stderr)
		}
		checkNoRawControls(t, res)
		for _, want := range []string{
			"✗ " + unsafeHookShown + "/1: ",
			"deleted " + unsafeHookShown + "/2 on TagMango",
			"✗ " + unsafeHookShown + "/3: ",
			"not tried (TagMango refused the key): " + unsafeHookShown + "/4\n",
		} {
			if !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
		}
	})
	t.Run("the note on the other subscriptions of an ID's URL", func(t *testing.T) {
		e, srv, recs := seedUnsafe(t, "")
		scope := store.Scope{Profile: "default", BaseURL: srv.URL}
		err := store.New(e.StatePath).Update(func(s *store.State) error {
			s.Upsert(scope.NewRecord("user.created", unsafeHook, store.Filters{}, e.Now))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		res := e.Run("delete", recs[0].ID)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		checkNoRawControls(t, res)
		if !strings.Contains(res.Stderr, "(user.created) on "+unsafeHookShown+"\n") {
			t.Errorf("stderr:\n%s", res.Stderr)
		}
	})
	t.Run("a local-only dry run", func(t *testing.T) {
		e, _, _ := seedUnsafe(t, "")
		for _, args := range [][]string{{}, {"-o", "json"}} {
			res := e.Run(append([]string{"delete", "--all", "--yes", "--local-only", "--dry-run"}, args...)...)
			if res.Code != 0 {
				t.Fatalf("%v: exit %d: %s", args, res.Code, res.Stderr)
			}
			checkNoRawControls(t, res)
			if !strings.Contains(res.Stdout+res.Stderr, "would forget 1 tracked subscription(s) on "+unsafeHookShown+"\n") {
				t.Errorf("%v: stdout %q stderr %q", args, res.Stdout, res.Stderr)
			}
		}
	})
	t.Run("an invalid --url", func(t *testing.T) {
		e, _, _ := seedUnsafe(t)
		res := e.Run("delete", "--url", unsafeHook)
		if res.Code != 2 {
			t.Errorf("exit %d, want 2", res.Code)
		}
		checkNoRawControls(t, res)
	})
	t.Run("the URLs not sent after an interrupt", func(t *testing.T) {
		e, srv, _ := seedUnsafe(t, "/1", "/2", "/3")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv.Handle(func(cmdtest.Call) (cmdtest.Response, bool) {
			cancel()
			return cmdtest.OK, true
		})
		res := e.RunWith(cmdtest.Options{Context: ctx}, "delete", "--all", "--yes")
		if res.Code == 0 {
			t.Fatalf("exit 0: %s", res.Stderr)
		}
		checkNoRawControls(t, res)
		if !strings.Contains(res.Stderr, "not sent: "+unsafeHookShown+"/2, "+unsafeHookShown+"/3\n") {
			t.Errorf("stderr:\n%s", res.Stderr)
		}
	})
}

// TestDeleteLocalOnlyStoreFailureSaysTagMangoWasNotCalled makes the store unwritable
// with a symlink where its lock file goes (a read-only directory does not stop root).
func TestDeleteLocalOnlyStoreFailureSaysTagMangoWasNotCalled(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--local-only"}, "error: could not forget " + unsafeHookShown + " locally: cannot write the state file"},
		{nil, "error: deleted " + unsafeHookShown + " on TagMango but the local record could not be updated: cannot write the state file"},
	} {
		e, srv, _ := seedUnsafe(t, "")
		lock := e.StatePath + ".lock"
		if err := os.Remove(lock); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(e.StatePath+".elsewhere", lock); err != nil {
			t.Fatal(err)
		}
		before := len(srv.Calls())
		res := e.Run(append([]string{"delete", "--all", "--yes"}, tc.args...)...)
		if res.Code != 1 {
			t.Errorf("%v: exit %d, want 1", tc.args, res.Code)
		}
		checkNoRawControls(t, res)
		if !strings.Contains(res.Stderr, tc.want) {
			t.Errorf("%v: stderr lacks %q:\n%s", tc.args, tc.want, res.Stderr)
		}
		if calls := len(srv.Calls()) - before; (calls == 0) != (len(tc.args) > 0) {
			t.Errorf("%v: %d calls", tc.args, calls)
		}
	}
}
