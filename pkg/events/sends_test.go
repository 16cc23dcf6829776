package events

import "testing"

func TestIdenticalSends(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Events {
		want := 1
		if e.Type == "webinar.reminder.all" {
			want = 3 // one call per participant at each of three reminders, same body
		}
		if got := e.Sends(); got != want {
			t.Errorf("%s: %d identical sends, want %d", e.Type, got, want)
		}
	}
	m := NewMatcher(c)
	tests := []struct {
		candidates []string
		event      string
		sends      int
	}{
		{[]string{"webinar.reminder.all", "webinar.reminder.1day", "webinar.reminder.15min"}, "webinar.reminder.all", 3},
		{[]string{"webinar.reminder.all"}, "webinar.reminder.all", 3},
		{[]string{"course.completed.50"}, "", 1},
		{[]string{}, "", 1},
	}
	for _, tt := range tests {
		if event, sends := m.IdenticalSends(tt.candidates); event != tt.event || sends != tt.sends {
			t.Errorf("%v: %q %d, want %q %d", tt.candidates, event, sends, tt.event, tt.sends)
		}
	}
}
