package sample_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// FuzzSet: any `--set` argument on any event either applies — the payload stays valid
// JSON and holds the field — or fails with an error of one line, never a panic.
func FuzzSet(f *testing.F) {
	c := catalog(f)
	for i, e := range c.Events {
		for _, fl := range e.Fields {
			f.Add(uint8(i), fl.Name+"=x", false)
			f.Add(uint8(i), fl.Name+"=null", false)
			f.Add(uint8(i), fl.Name+"=1.5e3", false)
			for _, it := range fl.Items {
				f.Add(uint8(i), fl.Name+".0."+it.Name+"=true", false)
				f.Add(uint8(i), fl.Name+"[0]."+it.Name+"={}", true)
			}
		}
	}
	for _, s := range []string{
		"email=a@b.co", "phone=919876543210", "callList.0.webinar=Live Q&A", "callList[0].creatorTimezone=+01:00",
		`course="null"`, `callList=[{"webinar":"X"}]`, `customFields={"b":1,"a":[true]}`, "course=", "course=a=b",
		"progress=50", "City=Pune", "phone=abc", "emial=x", "callList.5.webinar=x", "callList.webinar=x",
		"callList=abc", "email", "email.x=1", "=", " . = ", "a.\n.b=1", "callList.-1=2", "callList.99999999999999999999.x=1",
		"\x1b[2J=1", "name=\x1b[2J\u202e",
	} {
		for i := range c.Events {
			f.Add(uint8(i), s, false)
			f.Add(uint8(i), s, true)
		}
	}
	f.Fuzz(func(t *testing.T, ev uint8, assignment string, force bool) {
		e := c.Events[int(ev)%len(c.Events)]
		p, err := sample.Example(e)
		if err != nil {
			t.Fatal(err)
		}
		err = sample.Set(p, e, assignment, force)
		if err != nil {
			msg := err.Error()
			if msg == "" || !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
				t.Fatalf("error %q is not one line of text", msg)
			}
			return
		}
		b, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("%q: %v", assignment, err)
		}
		if !json.Valid(b) {
			t.Fatalf("%q gives invalid JSON %s", assignment, b)
		}
		path, _, _ := strings.Cut(assignment, "=")
		if _, ok := p.Get(strings.TrimSpace(path)); !ok {
			t.Fatalf("%q applied, yet %q is not in %s", assignment, path, b)
		}
	})
}
