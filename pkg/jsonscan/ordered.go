package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrTrailing is DecodeOrdered's error for data after the JSON value.
var ErrTrailing = errors.New("data after the JSON value")

// DecodeOrdered reads the one JSON value in data as encoding/json would, but keeps
// what its maps and float64s lose: the order of object members and the text of
// numbers. Each object is made by newObject and filled by set in document order (set
// decides what a repeated key does); arrays are []any, numbers json.Number, and
// strings, booleans and null are as encoding/json gives them.
func DecodeOrdered[O any](data []byte, newObject func() O, set func(o O, key string, v any)) (any, error) {
	d := orderedDecoder[O]{dec: json.NewDecoder(bytes.NewReader(data)), newObject: newObject, set: set}
	d.dec.UseNumber()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if _, err := d.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, ErrTrailing
	}
	return v, nil
}

type orderedDecoder[O any] struct {
	dec       *json.Decoder
	newObject func() O
	set       func(O, string, any)
}

func (d *orderedDecoder[O]) value() (any, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch delim {
	case '{':
		o := d.newObject()
		for d.dec.More() {
			kt, err := d.dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string) // a member's first token is its name
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			d.set(o, key, v)
		}
		if _, err := d.dec.Token(); err != nil { // '}'
			return nil, err
		}
		return o, nil
	case '[':
		arr := []any{}
		for d.dec.More() {
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := d.dec.Token(); err != nil { // ']'
			return nil, err
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}
