package listen_test

import (
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// With a local API (the emulator), listen --register on a loopback public URL is the
// end-to-end test on one machine: nothing to warn about.
func TestRegisterOnALocalAPIGivesNoReachWarning(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	res := env.Run("listen", "--port", "0", "--timeout", "50ms", "--register", "--public-url", "http://127.0.0.1:4242", "--no-probe", "--event", "user.deleted")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if strings.Contains(res.Stderr, "warning:") {
		t.Errorf("stderr has a warning:\n%s", res.Stderr)
	}
	if n := len(apiSrv.Calls()); n != 2 {
		t.Errorf("%d API calls, want the registration and its deletion", n)
	}
}
