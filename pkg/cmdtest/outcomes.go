package cmdtest

import (
	"encoding/json"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// Outcome is one entry of `register -o json` or `delete -o json`: a record's fields,
// then what was done with it.
type Outcome struct {
	store.Record
	Action string `json:"action"`
}

// Outcomes decodes the -o json output of register or delete, failing t when it is not
// a JSON array of them.
func Outcomes(t testing.TB, stdout string) []Outcome {
	t.Helper()
	var out []Outcome
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, stdout)
	}
	return out
}
