package events

import (
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.UnknownMessage("course.complete.50"); got != `unknown event "course.complete.50"; did you mean "course.completed.50"?` {
		t.Errorf("UnknownMessage: %s", got)
	}
	if got := c.UnknownMessage("zzzzzzzzzzzzzzzzzzzzzz"); !strings.Contains(got, "tagmango-hooks events") {
		t.Errorf("UnknownMessage without suggestion: %s", got)
	}
	old, _ := c.Lookup("course.completed")
	if got := old.DeprecationNote(); got != "course.completed is deprecated; use course.completed.100 instead" {
		t.Errorf("DeprecationNote: %s", got)
	}
	cur, _ := c.Lookup("course.completed.50")
	if cur.DeprecationNote() != "" || cur.FilterProblem("course") != "" {
		t.Errorf("a current event with its own filter has no note")
	}
	if got := cur.FilterProblem("webinar"); !strings.Contains(got, "(its filter is --course)") {
		t.Errorf("FilterProblem: %s", got)
	}
	del, _ := c.Lookup("user.deleted")
	if got := del.FilterProblem("mango"); !strings.Contains(got, "takes no filter") {
		t.Errorf("FilterProblem on a filterless event: %s", got)
	}
}

func TestMisapplied(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	webinar, _ := c.Lookup("webinar.reminder.all")
	deleted, _ := c.Lookup("user.deleted")
	for _, tt := range []struct {
		e    *Event
		f    FilterSet
		want string
	}{
		{webinar, FilterSet{}, ""},
		{webinar, FilterSet{Webinar: "w"}, ""},
		{webinar, FilterSet{Course: "c"}, "course"},
		{webinar, FilterSet{Mango: "m", Course: "c", Webinar: "w"}, "mango,course"},
		{deleted, FilterSet{Webinar: "w", Mango: "m"}, "mango,webinar"},
	} {
		if got := strings.Join(tt.e.Misapplied(tt.f), ","); got != tt.want {
			t.Errorf("%s.Misapplied(%+v) = %q, want %q", tt.e.Type, tt.f, got, tt.want)
		}
	}
	if got := (FilterSet{Mango: "m", Course: "c", Webinar: "w"}).Get("course"); got != "c" {
		t.Errorf("Get(course) = %q", got)
	}
}
