package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Version is the version Encode writes.
const Version = 1

// ErrUnknownVersion marks a record this build cannot read: a version it
// does not know, or no record at all.
var ErrUnknownVersion = errors.New("record: unknown version")

// The envelope Encode writes around a value's JSON. Decode parses it by
// these bytes rather than as a JSON object: a stored forecast is read on
// every forecast request, and this keeps that to one pass over the data.
var (
	envelopeHead = []byte(`{"v":`)
	envelopeData = []byte(`,"data":`)
)

// Codec encodes the values of one persisted kind as records of Version,
// and decodes records of every version it knows into them.
type Codec[T any] struct {
	name string
	// data decodes the data of a record of version 0 or 1 into dst.
	data func(b []byte, dst *T) error
}

// New returns the codec of a kind whose data is the plain JSON encoding
// of T. name says what the records hold in errors ("job params").
func New[T any](name string) Codec[T] {
	return Codec[T]{name: name, data: func(b []byte, dst *T) error { return json.Unmarshal(b, dst) }}
}

// Encode returns the record of v.
func (c Codec[T]) Encode(v *T) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("record: encode %s: %w", c.name, err)
	}
	return seal(Version, data), nil
}

// Decode reads the record b into dst.
func (c Codec[T]) Decode(b []byte, dst *T) error {
	return c.decodeWith(b, dst, c.data)
}

// decodeWith reads the record b into dst with data, which decodes the
// data of a version 0 or 1 record.
func (c Codec[T]) decodeWith(b []byte, dst *T, data func([]byte, *T) error) error {
	v, payload, err := open(b)
	if err != nil {
		return fmt.Errorf("record: decode %s: %w", c.name, err)
	}
	switch v {
	case 0, Version:
		if err := data(payload, dst); err != nil {
			return fmt.Errorf("record: decode %s (version %d): %w", c.name, v, err)
		}
		return nil
	}
	return fmt.Errorf("record: decode %s: version %d: %w (this build reads versions up to %d)", c.name, v, ErrUnknownVersion, Version)
}

// seal wraps data in the envelope of version v.
func seal(v int, data []byte) []byte {
	out := make([]byte, 0, len(envelopeHead)+4+len(envelopeData)+len(data)+1)
	out = append(out, envelopeHead...)
	out = strconv.AppendInt(out, int64(v), 10)
	out = append(out, envelopeData...)
	out = append(out, data...)
	return append(out, '}')
}

// open returns the version and data of record b: version 0 and b itself
// for a bare value written before versions.
func open(b []byte) (int, []byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("empty record: %w", ErrUnknownVersion)
	}
	if !bytes.HasPrefix(b, envelopeHead) {
		return 0, b, nil
	}
	rest := b[len(envelopeHead):]
	i := bytes.Index(rest, envelopeData)
	if i < 0 || rest[len(rest)-1] != '}' {
		return 0, nil, fmt.Errorf("malformed record envelope %.40q", b)
	}
	v, err := strconv.Atoi(string(rest[:i]))
	if err != nil || v < 1 {
		return 0, nil, fmt.Errorf("malformed record version %.40q", b)
	}
	return v, rest[i+len(envelopeData) : len(rest)-1], nil
}
