package sample

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// SeededEpoch is the clock of a seeded Generator: with a seed the output does not
// depend on when it is made, so the same seed gives the same bytes on every run.
var SeededEpoch = time.Date(2025, 7, 14, 9, 30, 0, 0, time.UTC)

// Generator makes payloads shaped as catalog events. seed 0 = random; same seed = same
// sequence. A Generator is not safe for concurrent use: use it from one goroutine at a
// time (give each worker its own, or generate from one goroutine and hand the payloads
// out).
//
// Within one Generator the entities are stable — one course, one webinar (and its
// sessions), one mango, one creator — as in a real fan-out, while every Fake call is a
// new participant: distinct name, email and phone.
type Generator struct {
	f   *rng
	now time.Time

	seenEmail map[string]bool
	seenPhone map[string]bool
	seenName  map[string]bool

	course    *entity
	webinar   *webinarEntity
	mango     *mangoEntity
	affiliate *person
	host      string
	mangoes   string
	reminder  time.Duration // which reminder webinar.reminder.all sends
	examples  map[*events.Event]*Document
}

type entity struct{ id, title string }

type webinarEntity struct {
	entity
	link     string
	sessions []session // the series; one for a single webinar
}

type session struct{ from, to time.Time }

type mangoEntity struct {
	entity
	link          string
	price         int
	recurringType string
}

type person struct {
	id       string
	name     string
	email    string
	national string // national significant number, digits only
	country  country
}

// NewGenerator returns a Generator. seed 0 draws a random seed and uses the current
// time; any other seed makes the output reproducible, timestamps included (they are
// drawn around SeededEpoch unless SetNow says otherwise).
func NewGenerator(seed uint64) *Generator {
	g := &Generator{
		seenEmail: map[string]bool{},
		seenPhone: map[string]bool{},
		seenName:  map[string]bool{},
		examples:  map[*events.Event]*Document{},
	}
	if seed == 0 {
		var seed [16]byte
		_, _ = crand.Read(seed[:])
		g.f = &rng{rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))} //nolint:gosec // fake data, not secrets; seeded for reproducibility
		g.now = time.Now().UTC()
	} else {
		g.f = &rng{rand.New(rand.NewPCG(seed, seed))} //nolint:gosec // fake data, not secrets; --seed must reproduce it
		g.now = SeededEpoch
	}
	return g
}

// SetNow sets the time the payloads' timestamps are drawn around (deliveries happen
// now: orders a few minutes ago, webinars in the coming days).
func (g *Generator) SetNow(t time.Time) { g.now = t.UTC() }

// Fake returns a realistic payload for one participant: distinct name/email/phone each
// call (Indian and international numbers; phone typed per the event's catalog field:
// number or string), ISO timestamps in the event's own precision, 24-hex object ids,
// callList of several sessions for recurring webinars, entity titles/ids stable within
// one Generator (one course, one webinar).
func (g *Generator) Fake(e *events.Event) *Document {
	ex := g.example(e)
	fc := &fakeCtx{g: g, e: e, who: g.newPerson(), ex: ex}
	p := NewDocument()
	for _, f := range e.Fields {
		if f.IsPseudo() {
			continue // "<custom field keys>": creator-defined, none by default
		}
		exv, _ := ex.lookup(f.Name)
		p.put(f.Name, fc.value(f, exv))
	}
	// Keys the example has and the schema lacks are kept, as documented.
	for _, k := range ex.keys {
		if _, ok := p.lookup(k); !ok {
			p.put(k, cloneValue(ex.vals[k]))
		}
	}
	return p
}

// example is the event's parsed example, read only, parsed once per Generator.
func (g *Generator) example(e *events.Event) *Document {
	if ex, ok := g.examples[e]; ok {
		return ex
	}
	ex, _ := Example(e)
	if ex == nil {
		ex = NewDocument()
	}
	g.examples[e] = ex
	return ex
}

// fakeCtx is one Fake call: the event, its participant and its example.
type fakeCtx struct {
	g   *Generator
	e   *events.Event
	who person
	ex  *Document

	order *orderValues
}

type orderValues struct {
	id, coupon                     string
	amount, gst, discount, payable int
	renewals                       int
	orderTime                      time.Time
}

// value fakes one field. What a field means is known by its name; its JSON type always
// comes from the catalog, and its format (timestamp precision, phone with or without
// "+") from the event's example.
func (c *fakeCtx) value(f events.Field, exv any) any {
	g := c.g
	exs, _ := exv.(string)
	switch f.Name {
	case "name":
		return c.typed(f, c.who.name)
	case "email":
		return c.typed(f, c.who.email)
	case "phone":
		return c.phone(f, exs, c.who)
	case "country":
		return c.typed(f, c.who.country.code)
	case "dialCode":
		return c.typed(f, c.who.country.dialCode)
	case "timezone":
		return c.typed(f, c.who.country.timezone)
	case "_id", "subscriberId":
		return c.typed(f, c.who.id)
	case "id", "orderId":
		return c.typed(f, c.orderValues().id)
	case "orderTime":
		return c.typed(f, formatLike(c.orderValues().orderTime, exs))
	case "amount":
		return c.typed(f, strconv.Itoa(c.orderValues().amount))
	case "gst":
		return c.typed(f, strconv.Itoa(c.orderValues().gst))
	case "discount":
		return c.typed(f, strconv.Itoa(c.orderValues().discount))
	case "amountPayable":
		return c.typed(f, strconv.Itoa(c.orderValues().payable))
	case "coupon":
		return c.typed(f, c.orderValues().coupon)
	case "quantity":
		return c.typed(f, "1")
	case "currency":
		return c.typed(f, "INR")
	case "renewalCount":
		return c.typed(f, strconv.Itoa(c.orderValues().renewals))
	case "mangoName", "mangoTitle":
		return c.typed(f, g.theMango().title)
	case "mangoLink":
		return c.typed(f, g.theMango().link)
	case "recurringType", "mangoRecurringType":
		return c.typed(f, g.theMango().recurringType)
	case "lastPurchaseDate":
		return c.typed(f, formatLike(g.lastPurchase(), exs))
	case "affiliateId":
		return c.typed(f, g.theAffiliate().id)
	case "affiliateName":
		return c.typed(f, g.theAffiliate().name)
	case "affiliateEmail":
		return c.typed(f, g.theAffiliate().email)
	case "affiliatePhone":
		return c.phone(f, fmt.Sprint(exv), *g.theAffiliate())
	case "host":
		return c.typed(f, g.theHost())
	case "profilePicUrl":
		return c.typed(f, "https://cdn.tagmango.com/profile/"+c.who.id+".jpg")
	case "course":
		return c.typed(f, g.theCourse().title)
	case "courseId":
		return c.typed(f, g.theCourse().id)
	case "lastProgressOn":
		return c.typed(f, formatLike(g.now.Add(-g.jitter(10*time.Minute)), exs))
	case "mangoes":
		return c.typed(f, g.theMangoes())
	case "callList":
		return c.callList(f, exv)
	case "webinar", "webinarId", "webinarLink", "webinarFromTime", "webinarToTime",
		"webinarFromTimeInCreatorTimezone", "webinarToTimeInCreatorTimezone", "creatorTimezone":
		return c.webinarField(f, exs, c.reminderSession())
	}
	return c.fallback(f, exv)
}

// fallback keeps the example's value, refreshing the values whose format says what
// they are: object ids and timestamps.
func (c *fakeCtx) fallback(f events.Field, exv any) any {
	if s, ok := exv.(string); ok {
		switch {
		case objectID.MatchString(s):
			return c.typed(f, c.g.objectID())
		case isTimestamp(s):
			return c.typed(f, formatLike(c.g.now.Add(-c.g.jitter(time.Hour)), s))
		}
	}
	if exv != nil || f.Type != "string" && f.Type != "number" && f.Type != "boolean" {
		if v, ok := c.typedValue(f, cloneValue(exv)); ok {
			return v
		}
	}
	switch f.Type {
	case "string":
		return c.g.f.Word()
	case "number":
		return json.Number(strconv.Itoa(c.g.f.Number(1, 100)))
	case "boolean":
		return c.g.f.Bool()
	case "array":
		return []any{}
	}
	return nil
}

// typedValue accepts v when its JSON kind fits the field's catalog type.
func (c *fakeCtx) typedValue(f events.Field, v any) (any, bool) {
	switch f.Type {
	case "string":
		_, ok := v.(string)
		return v, ok
	case "number":
		_, ok := v.(json.Number)
		return v, ok
	case "boolean":
		_, ok := v.(bool)
		return v, ok
	case "array":
		_, ok := v.([]any)
		return v, ok
	case "object":
		_, ok := v.(*Document)
		return v, ok
	}
	return v, true
}

// typed turns s into the field's catalog type: a number field gets a JSON number.
func (c *fakeCtx) typed(f events.Field, s string) any {
	if f.Type == "number" {
		if isJSONNumber(s) {
			return json.Number(s)
		}
		return json.Number("0")
	}
	return s
}

// phone formats a person's number the way the event does: a JSON number of the
// national digits, or a string — with the country code and "+" when the example's
// string starts with "+", else the national digits.
func (c *fakeCtx) phone(f events.Field, example string, p person) any {
	if f.Type == "number" {
		return json.Number(p.national)
	}
	if strings.HasPrefix(example, "+") {
		return p.country.dialCode + p.national
	}
	return p.national
}

func (c *fakeCtx) orderValues() *orderValues {
	if c.order != nil {
		return c.order
	}
	g := c.g
	m := g.theMango()
	o := &orderValues{id: g.objectID(), amount: m.price}
	if g.f.Number(1, 10) <= 3 {
		o.coupon = couponCodes[g.f.IntN(len(couponCodes))]
		o.discount = m.price * []int{10, 15, 20}[g.f.IntN(3)] / 100
	}
	if g.f.Bool() {
		o.gst = (o.amount - o.discount) * 18 / 100
	}
	o.payable = o.amount - o.discount + o.gst
	// The webhook fires when the order happens; an initiated order waits 5 minutes.
	ago := g.jitter(2 * time.Minute)
	if c.e.Type == "order.created.initiated" {
		ago += 5 * time.Minute
	}
	o.orderTime = g.now.Add(-ago)
	if strings.HasPrefix(c.e.Type, "order.recurring") || strings.HasPrefix(c.e.Type, "order.created") {
		o.renewals = g.f.Number(0, 6)
	}
	c.order = o
	return o
}

// callList is the webinar's sessions: one for a single webinar, the whole series for a
// recurring one, each item shaped as the catalog's item fields.
func (c *fakeCtx) callList(f events.Field, exv any) any {
	w := c.g.theWebinar(c.e.Type)
	var exItem *Document
	if arr, ok := exv.([]any); ok && len(arr) > 0 {
		exItem, _ = arr[0].(*Document)
	}
	if exItem == nil {
		exItem = NewDocument()
	}
	out := make([]any, 0, len(w.sessions))
	for _, s := range w.sessions {
		item := NewDocument()
		for _, it := range f.Items {
			exv, _ := exItem.lookup(it.Name)
			exs, _ := exv.(string)
			item.put(it.Name, c.webinarField(it, exs, s))
		}
		out = append(out, item)
	}
	return out
}

// webinarField fakes a webinar field for one session.
func (c *fakeCtx) webinarField(f events.Field, example string, s session) any {
	g := c.g
	w := g.theWebinar(c.e.Type)
	switch f.Name {
	case "webinar":
		return c.typed(f, w.title)
	case "webinarId":
		return c.typed(f, w.id)
	case "webinarLink":
		if example != "" && !strings.Contains(example, "meet.google.com") {
			// webinar.completed.all links to the recording.
			return c.typed(f, "https://"+g.theHost()+"/webinar/recording/"+w.id)
		}
		return c.typed(f, w.link)
	case "webinarFromTime":
		return c.typed(f, formatLike(s.from, example))
	case "webinarToTime":
		return c.typed(f, formatLike(s.to, example))
	case "webinarFromTimeInCreatorTimezone":
		// TagMango writes the creator's wall-clock time with a "Z" (see the examples).
		return c.typed(f, formatLike(s.from.Add(creatorOffset), example))
	case "webinarToTimeInCreatorTimezone":
		return c.typed(f, formatLike(s.to.Add(creatorOffset), example))
	case "creatorTimezone":
		return c.typed(f, creatorTimezone)
	}
	return c.fallback(f, example)
}

// reminderSession is the session a top-level webinar field describes: for reminders,
// the one starting in 1 day, 30 or 15 minutes; otherwise the webinar's first.
func (c *fakeCtx) reminderSession() session {
	g := c.g
	w := g.theWebinar(c.e.Type)
	var lead time.Duration
	switch c.e.Type {
	case "webinar.reminder.1day":
		lead = 24 * time.Hour
	case "webinar.reminder.15min":
		lead = 15 * time.Minute
	case "webinar.reminder.all":
		if g.reminder == 0 {
			g.reminder = []time.Duration{24 * time.Hour, 30 * time.Minute, 15 * time.Minute}[g.f.IntN(3)]
		}
		lead = g.reminder
	default:
		return w.sessions[0]
	}
	from := g.now.Truncate(time.Minute).Add(lead)
	return session{from: from, to: from.Add(w.sessions[0].to.Sub(w.sessions[0].from))}
}

const creatorTimezone = "+05:30"

const creatorOffset = 5*time.Hour + 30*time.Minute

// newPerson makes a participant whose email, phone and (as far as the lists allow)
// name no earlier participant of this Generator had.
func (g *Generator) newPerson() person {
	var first, last string
	for try := 0; ; try++ {
		if g.f.Number(1, 10) <= 7 {
			first = indianFirstNames[g.f.IntN(len(indianFirstNames))]
			last = indianLastNames[g.f.IntN(len(indianLastNames))]
		} else {
			first, last = g.f.FirstName(), g.f.LastName()
		}
		if !g.seenName[first+" "+last] || try >= 8 {
			break
		}
	}
	name := first + " " + last
	g.seenName[name] = true

	c := india
	if g.f.Number(1, 10) > 7 {
		c = otherCountries[g.f.IntN(len(otherCountries))]
	}
	var national string
	for {
		national = string(c.first[g.f.IntN(len(c.first))]) + g.digits(c.rest)
		if !g.seenPhone[national] {
			break
		}
	}
	g.seenPhone[national] = true

	return person{id: g.objectID(), name: name, email: g.email(first, last), national: national, country: c}
}

func (g *Generator) email(first, last string) string {
	f, l := emailPart(first), emailPart(last)
	if f == "" {
		f = "user"
	}
	if l == "" {
		l = g.digits(3)
	}
	domain := emailDomains[g.f.IntN(len(emailDomains))]
	var local string
	switch g.f.IntN(5) {
	case 0:
		local = f + "." + l
	case 1:
		local = f + l
	case 2:
		local = f + "_" + l + g.digits(2)
	case 3:
		local = f[:1] + l + g.digits(2)
	default:
		local = f + "." + l + g.digits(3)
	}
	addr := local + "@" + domain
	for n := 4; g.seenEmail[addr]; n++ {
		addr = local + g.digits(min(n, 8)) + "@" + domain
	}
	g.seenEmail[addr] = true
	return addr
}

// emailPart keeps the letters of a name a mailbox would have: ASCII letters, with
// the common Latin letters spelt as people spell them in addresses (Müller is
// mueller, not mller); other characters are dropped.
func emailPart(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case latinASCII[r] != "":
			b.WriteString(latinASCII[r])
		}
	}
	return b.String()
}

// latinASCII spells lowercase Latin letters with diacritics (and ß, æ, ø, þ …) in
// ASCII, the German umlauts as German addresses do (ü is ue).
var latinASCII = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a", 'ä': "ae", 'æ': "ae",
	'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ğ': "g", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'ı': "i", 'ł': "l", 'ľ': "l",
	'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'ö': "oe", 'œ': "oe",
	'ř': "r", 'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'ß': "ss", 'ť': "t", 'ţ': "t", 'ț': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ū': "u", 'ů': "u", 'ű': "u", 'ü': "ue",
	'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z",
}

func (g *Generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789"[g.f.IntN(10)]
	}
	return string(b)
}

// objectID makes a MongoDB-style id: 24 hex digits whose first 8 are a creation time
// in the last two years, as in real TagMango ids.
func (g *Generator) objectID() string {
	ts := uint32(g.now.Unix() - int64(g.f.IntN(2*365*24*3600))) //nolint:gosec // ObjectIds wrap in 2106, as MongoDB's do.
	return fmt.Sprintf("%08x%016x", ts, g.f.Uint64())
}

// jitter is a random duration in [0, d).
func (g *Generator) jitter(d time.Duration) time.Duration {
	return time.Duration(g.f.Float64() * float64(d))
}

func (g *Generator) theCourse() *entity {
	if g.course == nil {
		g.course = &entity{id: g.objectID(), title: courseTitles[g.f.IntN(len(courseTitles))]}
	}
	return g.course
}

// theWebinar is the webinar of this Generator, with one session or, for a recurring
// event, a weekly series of several.
func (g *Generator) theWebinar(eventType string) *webinarEntity {
	if g.webinar == nil {
		w := &webinarEntity{
			entity: entity{id: g.objectID(), title: webinarTitles[g.f.IntN(len(webinarTitles))]},
			link:   "https://meet.google.com/" + g.letters(3) + "-" + g.letters(4) + "-" + g.letters(3),
		}
		// Starts in the coming days at a usual hour in India, lasts 45 to 90 minutes.
		day := g.now.Add(creatorOffset).Truncate(24*time.Hour).AddDate(0, 0, g.f.Number(2, 9))
		clock := []time.Duration{10 * time.Hour, 15*time.Hour + 30*time.Minute, 18 * time.Hour, 19*time.Hour + 30*time.Minute, 20 * time.Hour}[g.f.IntN(5)]
		from := day.Add(clock).Add(-creatorOffset)
		length := []time.Duration{45 * time.Minute, time.Hour, 90 * time.Minute}[g.f.IntN(3)]
		n := g.f.Number(4, 8)
		for i := range n {
			s := from.AddDate(0, 0, 7*i)
			w.sessions = append(w.sessions, session{from: s, to: s.Add(length)})
		}
		g.webinar = w
	}
	w := *g.webinar
	if eventType != "webinar.created.recurring" {
		w.sessions = w.sessions[:1]
	}
	return &w
}

func (g *Generator) letters(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz"[g.f.IntN(26)]
	}
	return string(b)
}

func (g *Generator) theMango() *mangoEntity {
	if g.mango == nil {
		id := g.objectID()
		g.mango = &mangoEntity{
			entity:        entity{id: id, title: mangoTitles[g.f.IntN(len(mangoTitles))]},
			link:          "https://" + g.theHost() + "/web/checkout/" + id,
			price:         []int{499, 999, 1499, 2999, 4999, 9999}[g.f.IntN(6)],
			recurringType: recurringTypes[g.f.IntN(len(recurringTypes))],
		}
	}
	return g.mango
}

// theMangoes is the ", "-joined list of the mangoes a webinar belongs to.
func (g *Generator) theMangoes() string {
	if g.mangoes == "" {
		titles := append([]string(nil), mangoTitles...)
		g.f.ShuffleStrings(titles)
		g.mangoes = strings.Join(titles[:g.f.Number(1, 3)], ", ")
	}
	return g.mangoes
}

func (g *Generator) theHost() string {
	if g.host == "" {
		g.host = creatorSlugs[g.f.IntN(len(creatorSlugs))] + ".tagmango.com"
	}
	return g.host
}

func (g *Generator) theAffiliate() *person {
	if g.affiliate == nil {
		p := g.newPerson()
		g.affiliate = &p
	}
	return g.affiliate
}

// lastPurchase is when the expiring subscription was last paid: one period ago.
func (g *Generator) lastPurchase() time.Time {
	var months int
	switch g.theMango().recurringType {
	case "weekly":
		return g.now.AddDate(0, 0, -7)
	case "quarterly":
		months = 3
	case "halfyearly":
		months = 6
	case "yearly":
		months = 12
	default:
		months = 1
	}
	return g.now.AddDate(0, -months, 0)
}

var (
	objectID  = regexp.MustCompile(`^[0-9a-f]{24}$`)
	isoMinute = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`)
	isoSecond = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	isoMilli  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	dispDate  = regexp.MustCompile(`^\d{1,2} [A-Z][a-z]{2} \d{4}$`)
)

func isTimestamp(s string) bool {
	return isoMinute.MatchString(s) || isoSecond.MatchString(s) || isoMilli.MatchString(s) || dispDate.MatchString(s)
}

// formatLike writes t in the format of the example value: minutes ("2023-11-20T18:30Z"),
// seconds, milliseconds ("2025-02-03T12:36:18.831Z", the default) or a display date
// ("14 Jul 2025"), always in UTC as TagMango does.
func formatLike(t time.Time, example string) string {
	t = t.UTC()
	switch {
	case isoMinute.MatchString(example):
		return t.Format("2006-01-02T15:04Z")
	case isoSecond.MatchString(example):
		return t.Format("2006-01-02T15:04:05Z")
	case dispDate.MatchString(example):
		return t.Format("2 Jan 2006")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}
