package events

import "github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"

// ParsePayload reads a delivery body as the matcher sees it. It never fails: a body
// that is not JSON gives a Result with JSON false. Parsing it once serves both Detect
// and Check.
func ParsePayload(body []byte) *jsonscan.Result {
	return jsonscan.Scan(body, nil)
}

// Parse is ParsePayload, sharing the catalog's field names rather than allocating a
// string for each member of each delivery.
func (m *Matcher) Parse(body []byte) *jsonscan.Result {
	return jsonscan.Scan(body, m.names)
}
