package events

import (
	"strconv"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// The results of a FieldCheck.
const (
	FieldOK           = "ok"
	FieldMissing      = "missing"
	FieldWrongType    = "wrong type"
	FieldUndocumented = "undocumented"
)

// FieldCheck is one row of a payload's schema check: a documented field, or a member
// the schema does not document.
type FieldCheck struct {
	// Field is the member's name; items of an array field are named after the
	// first element ("callList[0].webinar").
	Field string `json:"field"`
	// Expected is the catalog's type; "" for an undocumented member.
	Expected string `json:"expected"`
	// Got is the JSON type that came ("string", "null", …); "" when missing.
	Got string `json:"got"`
	// Result is FieldOK, FieldMissing, FieldWrongType or FieldUndocumented.
	Result string `json:"result"`
}

// FieldTable checks p against the schema of the first of candidates the catalog
// knows (events that share a shape share a schema) and returns one row per documented
// field, in catalog order, then one per undocumented member, in payload order. It
// judges a field as Check does; nil when there is no schema to check or p is not a
// JSON object.
func (m *Matcher) FieldTable(candidates []string, p *jsonscan.Result) []FieldCheck {
	if p == nil || !p.JSON || p.Kind != jsonscan.KindObject {
		return nil
	}
	for _, name := range candidates {
		if i := m.indexOf(name); i >= 0 {
			return fieldRows(m.schemas[i].fields, p.Members, "", m.schemas[i].custom, nil)
		}
	}
	return nil
}

func fieldRows(fields []fieldSpec, members []jsonscan.Member, prefix string, custom bool, out []FieldCheck) []FieldCheck {
	for i := range fields {
		f := &fields[i]
		row := FieldCheck{Field: prefix + f.name, Expected: f.typ}
		mem, ok := jsonscan.Lookup(members, f.name)
		switch {
		case !ok:
			row.Result = FieldMissing
		case !f.accepts(mem.Kind):
			row.Got, row.Result = mem.Kind.String(), FieldWrongType
		default:
			row.Got, row.Result = mem.Kind.String(), FieldOK
		}
		out = append(out, row)
		if ok && row.Result == FieldOK && len(f.items) > 0 && mem.Kind == jsonscan.KindArray {
			if els := mem.Elements(); len(els) > 0 && els[0].Kind == jsonscan.KindObject {
				out = fieldRows(f.items, els[0].Members(), prefix+f.name+"["+strconv.Itoa(0)+"].", false, out)
			}
		}
	}
	if custom {
		return out // the creator's own keys are documented as such
	}
	for _, mem := range members {
		documented := false
		for i := range fields {
			if fields[i].name == mem.Name {
				documented = true
				break
			}
		}
		if !documented {
			out = append(out, FieldCheck{Field: prefix + mem.Name, Got: mem.Kind.String(), Result: FieldUndocumented})
		}
	}
	return out
}
