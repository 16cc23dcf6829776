package sample_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

func catalog(t testing.TB) *events.Catalog {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func event(t testing.TB, c *events.Catalog, name string) *events.Event {
	t.Helper()
	e, ok := c.Lookup(name)
	if !ok {
		t.Fatalf("no event %s in the catalog", name)
	}
	return e
}

func marshal(t testing.TB, p *sample.Document) []byte {
	t.Helper()
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	return b
}

func TestExampleKeepsOrderAndNumbers(t *testing.T) {
	c := catalog(t)
	for _, e := range c.Events {
		p, err := sample.Example(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, e.Example); err != nil {
			t.Fatal(err)
		}
		if got := marshal(t, p); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: example changed on the way through\n got %s\nwant %s", e.Type, got, want.Bytes())
		}
	}
}

// Every event's fake validates against its own schema: all documented fields present,
// each of the catalog's type. The check is the listen colleague's events.Matcher.Check,
// the same one `listen` shows under each delivery.
func TestFakeMatchesItsSchema(t *testing.T) {
	c := catalog(t)
	m := events.NewMatcher(c)
	g := sample.NewGenerator(42)
	for _, e := range c.Events {
		t.Run(e.Type, func(t *testing.T) {
			for range 20 {
				b := marshal(t, g.Fake(e))
				if problems := m.Check([]string{e.Type}, events.ParsePayload(b)); len(problems) > 0 {
					t.Fatalf("fake does not match the schema: %v\n%s", problems, b)
				}
				checkTypes(t, e.Fields, b)
			}
		})
	}
}

// checkTypes is a second, independent check: each documented field is present with
// its exact catalog type, and never null when the catalog says it is not nullable.
func checkTypes(t *testing.T, fields []events.Field, body []byte) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		t.Fatal(err)
	}
	var walk func(fields []events.Field, obj map[string]any, prefix string)
	walk = func(fields []events.Field, obj map[string]any, prefix string) {
		for _, f := range fields {
			if strings.HasPrefix(f.Name, "<") {
				continue
			}
			v, ok := obj[f.Name]
			if !ok {
				t.Errorf("missing %s%s", prefix, f.Name)
				continue
			}
			if v == nil {
				if f.Nullable != nil && !*f.Nullable {
					t.Errorf("%s%s is null, documented as never null", prefix, f.Name)
				}
				continue
			}
			var ok2 bool
			switch f.Type {
			case "string":
				_, ok2 = v.(string)
			case "number":
				_, ok2 = v.(float64)
			case "boolean":
				_, ok2 = v.(bool)
			case "array":
				var arr []any
				arr, ok2 = v.([]any)
				for i, it := range arr {
					item, _ := it.(map[string]any)
					walk(f.Items, item, prefix+f.Name+"."+string(rune('0'+i))+".")
				}
			default:
				ok2 = true
			}
			if !ok2 {
				t.Errorf("%s%s is %T, documented as %s", prefix, f.Name, v, f.Type)
			}
		}
	}
	walk(fields, obj, "")
}

func TestFakeParticipantsAreDistinct(t *testing.T) {
	c := catalog(t)
	e := event(t, c, "course.completed.50")
	g := sample.NewGenerator(0)
	emails, phones, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	courses := map[string]bool{}
	for range 200 {
		p := g.Fake(e)
		email, _ := p.Get("email")
		phone, _ := p.Get("phone")
		name, _ := p.Get("name")
		course, _ := p.Get("courseId")
		emails[email.(string)] = true
		phones[string(phone.(json.Number))] = true
		names[name.(string)] = true
		courses[course.(string)] = true
	}
	if len(emails) != 200 || len(phones) != 200 {
		t.Errorf("distinct emails %d, phones %d; want 200 each", len(emails), len(phones))
	}
	if len(names) < 190 {
		t.Errorf("only %d distinct names in 200", len(names))
	}
	if len(courses) != 1 {
		t.Errorf("the course must be stable within a generator, got %d", len(courses))
	}
}

func TestFakeFormats(t *testing.T) {
	c := catalog(t)
	g := sample.NewGenerator(3)
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	cases := []struct {
		event, path string
		want        *regexp.Regexp
	}{
		{"course.completed.50", "lastProgressOn", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`)},
		{"order.recurring.created", "orderTime", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)},
		{"subscription.expired", "lastPurchaseDate", regexp.MustCompile(`^\d{1,2} [A-Z][a-z]{2} \d{4}$`)},
		{"webinar.completed.all", "phone", regexp.MustCompile(`^\+\d{8,13}$`)},
		{"webinar.reminder.15min", "phone", regexp.MustCompile(`^\d{8,10}$`)},
		{"webinar.created.recurring", "callList.0.webinarFromTime", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$`)},
		{"course.completed.50", "courseId", hex24},
		{"user.deleted", "_id", hex24},
		{"order.created.failed", "subscriberId", hex24},
		{"webinar.reminder.all", "mangoes", regexp.MustCompile(`^[^,]+(, [^,]+)*$`)},
	}
	for _, tc := range cases {
		p := g.Fake(event(t, c, tc.event))
		v, ok := p.Get(tc.path)
		s, isString := v.(string)
		if !ok || !isString || !tc.want.MatchString(s) {
			t.Errorf("%s %s = %#v, want a string matching %s", tc.event, tc.path, v, tc.want)
		}
	}
	// A number-typed phone is a JSON number.
	p := g.Fake(event(t, c, "course.completed.50"))
	if v, _ := p.Get("phone"); !isNumber(v) {
		t.Errorf("course.completed.50 phone = %#v, want a number", v)
	}
}

func isNumber(v any) bool {
	_, ok := v.(json.Number)
	return ok
}

func TestFakeCallList(t *testing.T) {
	c := catalog(t)
	g := sample.NewGenerator(9)
	rec := g.Fake(event(t, c, "webinar.created.recurring"))
	v, _ := rec.Get("callList")
	sessions, _ := v.([]any)
	if len(sessions) < 3 {
		t.Fatalf("a recurring webinar has %d sessions, want several", len(sessions))
	}
	first, _ := rec.Get("callList.0.webinarFromTime")
	second, _ := rec.Get("callList.1.webinarFromTime")
	if first == second {
		t.Errorf("sessions share a start time %v", first)
	}
	id0, _ := rec.Get("callList.0.webinarId")
	single := g.Fake(event(t, c, "webinar.created.single"))
	v, _ = single.Get("callList")
	if items, _ := v.([]any); len(items) != 1 {
		t.Errorf("a single webinar has %d sessions, want 1", len(items))
	}
	if id, _ := single.Get("callList[0].webinarId"); id != id0 {
		t.Errorf("the webinar must be stable within a generator: %v vs %v", id, id0)
	}
}

func TestSeedIsReproducible(t *testing.T) {
	c := catalog(t)
	run := func(seed uint64) string {
		g := sample.NewGenerator(seed)
		var b strings.Builder
		for _, e := range c.Events {
			b.Write(marshal(t, g.Fake(e)))
		}
		return b.String()
	}
	if a, b := run(11), run(11); a != b {
		t.Errorf("same seed, different output")
	}
	if a, b := run(11), run(12); a == b {
		t.Errorf("different seeds, same output")
	}
	if a, b := run(0), run(0); a == b {
		t.Errorf("seed 0 must be random")
	}
}

func TestSetNow(t *testing.T) {
	c := catalog(t)
	g := sample.NewGenerator(5)
	g.SetNow(time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC))
	v, _ := g.Fake(event(t, c, "course.completed.50")).Get("lastProgressOn")
	if s, _ := v.(string); !strings.HasPrefix(s, "2030-01-02T") {
		t.Errorf("lastProgressOn = %v, want around the set time", v)
	}
}

func TestSet(t *testing.T) {
	c := catalog(t)
	cases := []struct {
		name, event, assign string
		force               bool
		path                string
		want                string // JSON of the value at path
		wantErr             string
	}{
		{"top-level string", "course.completed.50", "email=a@b.co", false, "email", `"a@b.co"`, ""},
		{"number conversion", "course.completed.50", "phone=919876543210", false, "phone", `919876543210`, ""},
		{"string phone stays a string", "webinar.completed.all", "phone=919876543210", false, "phone", `"919876543210"`, ""},
		{"nested item", "webinar.created.recurring", "callList.0.webinar=Live Q&A", false, "callList.0.webinar", `"Live Q&A"`, ""},
		{"bracket path", "webinar.created.single", "callList[0].creatorTimezone=+01:00", false, "callList.0.creatorTimezone", `"+01:00"`, ""},
		{"null", "webinar.reminder.all", "timezone=null", false, "timezone", `null`, ""},
		{"quoted string", "course.completed.50", `course="null"`, false, "course", `"null"`, ""},
		{"array literal", "webinar.created.single", `callList=[{"webinar":"X"}]`, false, "callList", `[{"webinar":"X"}]`, ""},
		{"open type takes JSON", "order.created.failed", `customFields={"b":1,"a":[true]}`, false, "customFields", `{"b":1,"a":[true]}`, ""},
		{"empty string", "course.completed.50", "course=", false, "course", `""`, ""},
		{"value with =", "course.completed.50", "course=a=b", false, "course", `"a=b"`, ""},
		{"forced unknown", "course.completed.50", "progress=50", true, "progress", `"50"`, ""},
		{"custom key of recurring orders", "order.recurring.created", "City=Pune", false, "City", `"Pune"`, ""},
		{"not a number", "course.completed.50", "phone=abc", false, "", "", `phone: "abc" is not a number`},
		{"not finite", "course.completed.50", "phone=1e999", false, "", "", `phone: 1e999 is out of range: a number must be finite`},
		{"not finite, negative", "course.completed.50", "phone=-1E400", false, "", "", `phone: -1E400 is out of range`},
		{"NaN", "course.completed.50", "phone=NaN", false, "", "", `phone: "NaN" is not a finite number: JSON has no NaN or Infinity`},
		{"Infinity", "course.completed.50", "phone=-Infinity", false, "", "", `"-Infinity" is not a finite number`},
		{"not finite inside an array", "webinar.created.single", `callList=[{"n":1e999}]`, false, "", "", `1e999 is out of range`},
		{"not finite in an open type", "order.created.failed", `customFields={"a":[2e308]}`, false, "", "", `2e308 is out of range`},
		{"tiny is fine", "course.completed.50", "phone=1e-999", false, "phone", `1e-999`, ""},
		{"unknown field", "course.completed.50", "emial=x", false, "", "", `course.completed.50 has no field "emial"; did you mean "email"?`},
		{"unknown nested field", "webinar.created.single", "callList.0.webinr=x", false, "", "", `did you mean "callList.0.webinar"?`},
		{"index out of range", "webinar.created.single", "callList.5.webinar=x", false, "", "", "callList has 1 items: use an index from 0 to 0"},
		{"array needs an index", "webinar.created.single", "callList.webinar=x", false, "", "", "callList is an array: name an item by its index"},
		{"array needs JSON", "webinar.created.single", "callList=abc", false, "", "", "give it as JSON"},
		{"not an assignment", "course.completed.50", "email", false, "", "", `"email" is not field=value`},
		{"into a string", "course.completed.50", "email.x=1", false, "", "", "email is a string, not an object or array"},
		// Found by FuzzSet: the path is quoted in messages as typed, and must keep them on one line.
		{"control characters in the path", "course.completed.50", "a.\n.b=1", true, "", "", `"a.\n.b" is not a field name: it holds control or invalid characters`},
		{"escape in the path", "course.completed.50", "\x1b[2J=1", true, "", "", `"\x1b[2J" is not a field name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := event(t, c, tc.event)
			p, err := sample.Example(e)
			if err != nil {
				t.Fatal(err)
			}
			err = sample.Set(p, e, tc.assign, tc.force)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, ok := p.Get(tc.path)
			if !ok {
				t.Fatalf("%s not set", tc.path)
			}
			probe := sample.NewDocument()
			sample.Override(probe, map[string]any{"v": v})
			if got := string(marshal(t, probe)); got != `{"v":`+tc.want+`}` {
				t.Errorf("%s = %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}

func TestSetKeepsKeyOrder(t *testing.T) {
	c := catalog(t)
	e := event(t, c, "course.completed.50")
	p, _ := sample.Example(e)
	if err := sample.Set(p, e, "name=Zed", false); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"Zed","email":"student@example.com","phone":1234567890,"course":"Example course","courseId":"634fc35ddaf58580e2418c40","lastProgressOn":"2023-11-20T18:30Z"}`
	if got := string(marshal(t, p)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestOverride(t *testing.T) {
	p, err := sample.Parse([]byte(`{"a":1,"b":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	sample.Override(p, map[string]any{"z": true, "b": map[string]any{"k": []any{1.5, nil}}, "c": "<&>"})
	want := `{"a":1,"b":{"k":[1.5,null]},"c":"<&>","z":true}`
	if got := string(marshal(t, p)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMarshalEscaping(t *testing.T) {
	p := sample.NewDocument()
	sample.Override(p, map[string]any{"s": "a\"b\\c\n\x01<é>\u2028"})
	got := string(marshal(t, p))
	want := `{"s":"a\"b\\c\n\u0001<é>\u2028"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(got), &back); err != nil || back["s"] != "a\"b\\c\n\x01<é>\u2028" {
		t.Errorf("round trip: %v %q", err, back["s"])
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{`[1]`, `{"a":1} x`, `{`, `"s"`} {
		if _, err := sample.Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s): want an error", in)
		}
	}
}

func BenchmarkFake(b *testing.B) {
	c := catalog(b)
	e := event(b, c, "course.completed.50")
	g := sample.NewGenerator(1)
	for b.Loop() {
		p := g.Fake(e)
		if _, err := p.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEmailPartTransliterates(t *testing.T) {
	for in, want := range map[string]string{
		"Müller": "mueller", "Weiß": "weiss", "José": "jose", "Søren": "soren", "Łukasz": "lukasz",
		"Ærøskøbing": "aeroskobing", "Nuñez": "nunez", "Çelik": "celik", "O'Brien": "obrien", "Min-jun": "minjun",
		"Øster": "oster", "Dvořák": "dvorak", "Chen": "chen", "张伟": "",
	} {
		if got := sample.EmailPart(in); got != want {
			t.Errorf("EmailPart(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFakeEmailsAreASCII: every fake address is plain ASCII, distinct, and keeps the
// letters of names such as Müller.
func TestFakeEmailsAreASCII(t *testing.T) {
	c := catalog(t)
	e := event(t, c, "course.completed.50")
	g := sample.NewGenerator(1)
	seen := map[string]bool{}
	muellers := 0
	for range 3000 {
		p := g.Fake(e)
		email, _ := p.Get("email")
		name, _ := p.Get("name")
		addr := email.(string)
		if i := strings.IndexFunc(addr, notMailbox); i >= 0 {
			t.Fatalf("%q (for %q) has %q", addr, name, addr[i:])
		}
		if seen[addr] {
			t.Fatalf("%q twice", addr)
		}
		seen[addr] = true
		if strings.Contains(name.(string), "Müller") {
			muellers++
			if !strings.Contains(addr, "mueller") {
				t.Errorf("%q for %q", addr, name)
			}
		}
	}
	if muellers == 0 {
		t.Fatal("no Müller in 3000 participants: the test proves nothing")
	}
}

func notMailbox(r rune) bool {
	return (r < 'a' || r > 'z') && (r < '0' || r > '9') && !strings.ContainsRune("._@-", r)
}
