package jsonscan

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// pairs is an ordered object for the tests: its members as [key, value] pairs.
type pairs struct{ members [][2]any }

func decodePairs(data string) (any, error) {
	return DecodeOrdered([]byte(data), func() *pairs { return &pairs{} },
		func(o *pairs, key string, v any) { o.members = append(o.members, [2]any{key, v}) })
}

func TestDecodeOrdered(t *testing.T) {
	v, err := decodePairs(` {"z": 1.50, "a": [true, null, "s", {"k": -0}], "m": {}} `)
	if err != nil {
		t.Fatal(err)
	}
	want := &pairs{members: [][2]any{
		{"z", json.Number("1.50")},
		{"a", []any{true, nil, "s", &pairs{members: [][2]any{{"k", json.Number("-0")}}}}},
		{"m", &pairs{}},
	}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("got %#v", v)
	}
	if v, err := decodePairs(`[]`); err != nil || !reflect.DeepEqual(v, []any{}) {
		t.Errorf("[] = %#v, %v", v, err)
	}
	if _, err := decodePairs(`{"a":1} {}`); !errors.Is(err, ErrTrailing) {
		t.Errorf("trailing data: %v", err)
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1,]`, `{"a" 1}`} {
		if _, err := decodePairs(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}
