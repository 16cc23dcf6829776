package webhooks

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandlersAcceptTheSamples posts every payload in $SAMPLES (files named
// EVENT.*.json, as `tagmango-hooks events sample EVENT` writes them) to its handler.
func TestHandlersAcceptTheSamples(t *testing.T) {
	dir := os.Getenv("SAMPLES")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SAMPLES is not set: CI must run this test")
		}
		t.Skip("set SAMPLES to a directory of EVENT.*.json payloads")
	}
	handlers := map[string]http.HandlerFunc{
		"course.completed.50":     HandleCourseCompleted50,
		"webinar.reminder.all":    HandleWebinarReminderAll,
		"order.recurring.created": HandleOrderRecurringCreated,
	}
	for event, h := range handlers {
		files, _ := filepath.Glob(filepath.Join(dir, event+".*.json"))
		if len(files) == 0 {
			t.Errorf("no sample of %s in %s", event, dir)
		}
		for _, f := range files {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h(rec, httptest.NewRequest(http.MethodPost, "/hooks/"+event, strings.NewReader(string(body))))
			if rec.Code != http.StatusOK {
				t.Errorf("%s: %d %s", filepath.Base(f), rec.Code, rec.Body)
			}
		}
	}
	// A phone of the wrong type is refused: the generated types are the real ones.
	rec := httptest.NewRecorder()
	HandleCourseCompleted50(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"phone":"+91 98"}`)))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a string phone in a course event: %d", rec.Code)
	}
}
