package events

import (
	"slices"
	"testing"
)

func TestCheck(t *testing.T) {
	_, m := newTestMatcher(t)
	tests := []struct {
		name       string
		candidates []string
		body       string
		want       []string
	}{
		{
			name:       "complete course payload",
			candidates: courseCompleted,
			body:       `{"name":"a","email":"b","phone":1,"course":"c","courseId":"d","lastProgressOn":"e"}`,
		},
		{
			name:       "missing fields",
			candidates: []string{"course.completed.50"},
			body:       `{"name":"a","email":"b","phone":1,"course":"c"}`,
			want:       []string{`missing field "courseId" (string)`, `missing field "lastProgressOn" (string)`},
		},
		{
			name:       "wrong types",
			candidates: []string{"course.completed.50"},
			body:       `{"name":1,"email":true,"phone":1,"course":["c"],"courseId":{},"lastProgressOn":"e"}`,
			want: []string{
				`field "name" is a number, documented as string`,
				`field "email" is a boolean, documented as string`,
				`field "course" is an array, documented as string`,
				`field "courseId" is an object, documented as string`,
			},
		},
		{
			name:       "phone is a number in course events",
			candidates: courseCompleted,
			body:       `{"name":"a","email":"b","phone":"+91 98","course":"c","courseId":"d","lastProgressOn":"e"}`,
			want:       []string{`field "phone" is a string, documented as number`},
		},
		{
			name:       "phone is a string in webinar.completed.all",
			candidates: []string{"webinar.completed.all"},
			body:       `{"name":"a","email":"b","phone":"+91 98","webinar":"w","webinarId":"i","webinarLink":"l"}`,
		},
		{
			name:       "a number phone in webinar.completed.all",
			candidates: []string{"webinar.completed.all"},
			body:       `{"name":"a","email":"b","phone":9198,"webinar":"w","webinarId":"i","webinarLink":"l"}`,
			want:       []string{`field "phone" is a number, documented as string`},
		},
		{
			name:       "null is accepted where nullable, refused elsewhere",
			candidates: []string{"webinar.reminder.all"},
			body:       `{"name":"a","email":"b","phone":"1","timezone":null,"webinar":null,"webinarId":"i","webinarLink":"l","webinarFromTime":"f","webinarToTime":"t","webinarFromTimeInCreatorTimezone":"x","creatorTimezone":null,"mangoes":"m"}`,
			want:       []string{`field "webinar" is null, documented as string`},
		},
		{
			name: "a family reports only what all its events agree on",
			// creatorTimezone is nullable in webinar.reminder.all, undocumented nullability in .15min.
			candidates: webinarReminder,
			body:       `{"name":"a","email":"b","phone":"1","timezone":"+05:30","webinar":"w","webinarId":"i","webinarLink":"l","webinarFromTime":"f","webinarToTime":"t","webinarFromTimeInCreatorTimezone":"x","creatorTimezone":null}`,
			want:       []string{`missing field "mangoes" (string)`},
		},
		{
			name:       "open types accept anything",
			candidates: []string{"order.created.failed"},
			body:       `{"subscriberId":"a","name":"b","email":"c","phone":1,"country":"IN","dialCode":"+91","orderId":"o","orderTime":"t","amount":1,"gst":0,"discount":0,"coupon":"","amountPayable":1,"mangoName":"m","status":"failed","recurringType":"","currency":"INR","quantity":1,"affiliateId":"","affiliateName":"","affiliateEmail":"","affiliatePhone":0,"customFields":{"size":"L"},"funnelBridgeDetails":[1],"renewalCount":0}`,
		},
		{
			name:       "callList items are checked, grouped",
			candidates: webinarCreated,
			body: `{"name":"a","email":"b","phone":1,"timezone":"+05:30","mangoes":"m","callList":[
				{"webinar":"w","webinarId":"i","webinarLink":"l","webinarFromTime":"f","webinarToTime":"t","webinarFromTimeInCreatorTimezone":"x","webinarToTimeInCreatorTimezone":"y","creatorTimezone":"z"},
				{"webinar":"w","webinarLink":"l","webinarFromTime":1,"webinarToTime":"t","webinarFromTimeInCreatorTimezone":"x","webinarToTimeInCreatorTimezone":"y","creatorTimezone":"z"},
				{"webinar":"w","webinarLink":"l","webinarFromTime":"f","webinarToTime":"t","webinarFromTimeInCreatorTimezone":"x","webinarToTimeInCreatorTimezone":"y","creatorTimezone":"z"},
				"oops"]}`,
			want: []string{
				`missing field "callList[1].webinarId" (string) (and in 1 more items)`,
				`field "callList[1].webinarFromTime" is a number, documented as string`,
				`field "callList[3]" is a string, documented as an object`,
			},
		},
		{
			name:       "a body that is not an object",
			candidates: []string{"user.deleted"},
			body:       `["a"]`,
			want:       []string{"the body is a JSON array, not an object"},
		},
		{
			name:       "not JSON: nothing to check here",
			candidates: []string{"user.deleted"},
			body:       `hello`,
		},
		{
			name: "unknown: nothing to check",
			body: `{"a":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Check(tt.candidates, ParsePayload([]byte(tt.body)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}
