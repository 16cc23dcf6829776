package events

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// Check compares a payload with the schema of each candidate event and returns the
// problems they all agree on: documented fields that are missing, and fields whose
// JSON type is not the documented one (types the catalog leaves open, such as "any"
// or "unknown (null in example)", accept anything; nullable fields accept null).
// Candidates that are not in the catalog are ignored; with none, there is nothing to
// check. Messages name fields, never payload values.
func (m *Matcher) Check(candidates []string, p *jsonscan.Result) []string {
	var common []string
	first := true
	var doneBuf [16]int
	done := doneBuf[:0]
	for _, name := range candidates {
		i := m.indexOf(name)
		if i < 0 || slices.Contains(done, m.schemas[i].same) {
			continue // an identical schema was checked already
		}
		done = append(done, m.schemas[i].same)
		w := m.schemas[i].check(p)
		if first {
			common, first = w, false
			continue
		}
		common = slices.DeleteFunc(common, func(s string) bool { return !slices.Contains(w, s) })
	}
	return common
}

func (m *Matcher) indexOf(name string) int {
	for i, s := range m.schemas {
		if s.event.Type == name {
			return i
		}
	}
	return -1
}

func (s *schema) check(p *jsonscan.Result) []string {
	if p == nil || !p.JSON {
		return nil // the caller reports a body that is not JSON
	}
	if p.Kind != jsonscan.KindObject {
		return []string{fmt.Sprintf("the body is a JSON %s, not an object", p.Kind)}
	}
	return checkFields(s.fields, p.Members, "", nil)
}

// checkFields appends the problems of members against fields; prefix names the
// enclosing field ("callList[0].").
func checkFields(fields []fieldSpec, members []jsonscan.Member, prefix string, out []string) []string {
	for i := range fields {
		f := &fields[i]
		mem, ok := jsonscan.Lookup(members, f.name)
		if !ok {
			out = append(out, fmt.Sprintf("missing field %q (%s)", prefix+f.name, f.typ))
			continue
		}
		if !f.accepts(mem.Kind) {
			out = append(out, fmt.Sprintf("field %q is %s, documented as %s", prefix+f.name, article(mem.Kind), f.typ))
			continue
		}
		if len(f.items) > 0 && mem.Kind == jsonscan.KindArray {
			out = checkItems(f, mem, prefix, out)
		}
	}
	return out
}

// checkItems checks every element of an array field against its item schema. A
// problem found in several elements is reported once, at the first, with how many more.
func checkItems(f *fieldSpec, arr jsonscan.Member, prefix string, out []string) []string {
	type problem struct {
		msg          string
		first, count int
	}
	var problems []problem
	seen := map[string]int{}
	// "[#]" stands for the element's index until the problems are grouped.
	itemName := prefix + f.name + "[#]"
	for idx, el := range arr.Elements() {
		var msgs []string
		if el.Kind != jsonscan.KindObject {
			msgs = []string{fmt.Sprintf("field %q is %s, documented as an object", itemName, article(el.Kind))}
		} else {
			msgs = checkFields(f.items, el.Members(), itemName+".", nil)
		}
		for _, msg := range msgs {
			if j, ok := seen[msg]; ok {
				problems[j].count++
				continue
			}
			seen[msg] = len(problems)
			problems = append(problems, problem{msg: msg, first: idx, count: 1})
		}
	}
	for _, p := range problems {
		msg := strings.Replace(p.msg, "[#]", fmt.Sprintf("[%d]", p.first), 1)
		if p.count > 1 {
			msg += fmt.Sprintf(" (and in %d more items)", p.count-1)
		}
		out = append(out, msg)
	}
	return out
}

func article(k jsonscan.Kind) string {
	switch k {
	case jsonscan.KindNull:
		return "null"
	case jsonscan.KindArray, jsonscan.KindObject:
		return "an " + k.String()
	}
	return "a " + k.String()
}
