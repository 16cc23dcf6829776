package receiver

import (
	"bytes"
	"testing"
)

func TestKeepCopyEncodesTheSameWithoutTheMembers(t *testing.T) {
	for _, body := range []string{`{"name":"A","email":"a@example.com"}`, "{ \"spaced\" : [1, 2] }\n", "not json \x1b[31m", `{"bidi":"` + "\u202e" + `"}`} {
		d := &Delivery{Seq: 3, Method: "POST", Path: "/", Body: []byte(body), Candidates: []string{}, Warnings: []string{}}
		d.IsJSON = d.Payload().JSON
		c := d.KeepCopy()
		if !bytes.Equal(AppendSaveLine(nil, c), AppendSaveLine(nil, d)) || !bytes.Equal(AppendJSONLine(nil, c), AppendJSONLine(nil, d)) {
			t.Errorf("%q: the copy encodes differently", body)
		}
		if c.Payload().Members != nil || c == d {
			t.Errorf("%q: the copy keeps the members", body)
		}
	}
}
