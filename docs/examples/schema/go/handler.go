// Package webhooks is a net/http handler for TagMango deliveries, using the structs
// oapi-codegen generates from the published OpenAPI document (tagmango.gen.go; see
// docs/schemas.md for the command).
package webhooks

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"
)

// decode reads the delivery into v, refusing a body whose fields have other types
// than the document says (TagMango would then have changed its payload).
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		http.Error(w, "bad payload: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// HandleCourseCompleted50 handles course.completed.50.
func HandleCourseCompleted50(w http.ResponseWriter, r *http.Request) {
	var p CourseCompleted50
	if !decode(w, r, &p) {
		return
	}
	// phone is a JSON number in course events.
	phone := fmt.Sprintf("%.0f", p.Phone)
	log.Printf("%s <%s> %s reached 50%% of %s at %s", p.Name, p.Email, phone, p.CourseId, p.LastProgressOn)
	w.WriteHeader(http.StatusOK)
}

// HandleWebinarReminderAll handles webinar.reminder.all.
func HandleWebinarReminderAll(w http.ResponseWriter, r *http.Request) {
	var p WebinarReminderAll
	if !decode(w, r, &p) {
		return
	}
	// phone is a string in webinar reminders; timezone may be null.
	tz := "+05:30"
	if p.Timezone != nil {
		tz = *p.Timezone
	}
	// mangoes is one ", "-joined string.
	mangoes := strings.Split(p.Mangoes, ", ")
	log.Printf("remind %s (%s, %s) of %s at %s; mangoes %q", p.Email, p.Phone, tz, p.WebinarId, p.WebinarFromTime, mangoes)
	w.WriteHeader(http.StatusOK)
}

// HandleOrderRecurringCreated handles order.recurring.created.
func HandleOrderRecurringCreated(w http.ResponseWriter, r *http.Request) {
	var p OrderRecurringCreated
	if !decode(w, r, &p) {
		return
	}
	// The mango's custom fields arrive as extra top-level keys.
	log.Printf("renewal %s: %.2f %s, custom fields %v", p.OrderId, p.AmountPayable, p.Currency, p.AdditionalProperties)
	w.WriteHeader(http.StatusOK)
}
