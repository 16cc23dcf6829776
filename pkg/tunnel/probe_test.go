package tunnel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbeErrorSaysWhatTheLastAttemptGot(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	p := NewProbe()
	err := p.Run(context.Background(), srv.URL+"/probe/"+p.Token, 300*time.Millisecond, http.DefaultTransport.(*http.Transport).Clone())
	var pe *ProbeError
	if !errors.As(err, &pe) {
		t.Fatalf("Run = %v, want a *ProbeError", err)
	}
	want := "no probe sent to " + srv.URL + "/probe/" + p.Token + " arrived within 300ms (last attempt: answered 404 Not Found)"
	if pe.Reason() != want || err.Error() != "the tunnel does not reach this listen: "+want {
		t.Errorf("reason %q\nerror %q", pe.Reason(), err)
	}
}
