package ingest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules a value of an upload must meet, defined once for CSV and
// NDJSON, for the API and the command line.

// checkID applies the identifier rules to v, named name in the reason:
// not empty, at most MaxIDBytes bytes, valid UTF-8 without control
// characters.
func checkID(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is empty", name)
	case len(v) > MaxIDBytes:
		return fmt.Errorf("%s is longer than %d bytes", name, MaxIDBytes)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	for i := 0; i < len(v); i++ {
		// Bytes suffice: in valid UTF-8 no byte of a multi-byte rune is
		// below 0x80.
		if c := v[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s contains a control character", name)
		}
		// C1 controls (U+0080 to U+009F, 0xC2 0x80-0x9F in UTF-8): U+009B
		// is a terminal's CSI.
		if v[i] == 0xC2 && i+1 < len(v) && v[i+1] >= 0x80 && v[i+1] <= 0x9F {
			return fmt.Errorf("%s contains a control character", name)
		}
	}
	return nil
}

// checkKeyID applies the identifier rules to a store or SKU identifier,
// and refuses one beginning with "_": that prefix is reserved for the
// aggregates of a reconciled job ("_total" stands for all stores or all
// SKUs in a forecast's key), so an uploaded series can never collide
// with one.
func checkKeyID(name, v string) error {
	if err := checkID(name, v); err != nil {
		return err
	}
	if strings.HasPrefix(v, "_") {
		return fmt.Errorf("%s %q begins with _, which is reserved for aggregates such as _total", name, v)
	}
	return nil
}

// CheckCovariateName applies the identifier rules to a covariate name and
// keeps the names that the key columns use for themselves out. Uploads
// apply it to every name; the API applies it to a name in a query.
// Names are compared as uploads match them, trimmed and lower-cased.
func CheckCovariateName(name string) error {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "date", "store", "sku", "quantity":
		return fmt.Errorf("covariate name %q is reserved", name)
	}
	return checkID("covariate name", name)
}

// checkMagnitude applies MaxMagnitude to a finite number.
func checkMagnitude(v float64) error {
	if v > MaxMagnitude || v < -MaxMagnitude {
		return fmt.Errorf("%v is beyond ±%g (limit MaxMagnitude)", v, float64(MaxMagnitude))
	}
	return nil
}

// applyNegative applies policy p to quantity q, counting negatives (and
// clipped ones) in rep.
func applyNegative(p NegativePolicy, q float64, rep *Report) (float64, error) {
	if q >= 0 {
		return q, nil
	}
	switch p {
	case NegativeRefuse:
		return q, fmt.Errorf("%v is negative (negative=refuse; use negative=allow or clip to keep such rows)", q)
	case NegativeClip:
		rep.NegativeRows++
		rep.ClippedRows++
		return 0, nil
	}
	rep.NegativeRows++
	return q, nil
}

// parseQuantity reads a quantity field: a finite number within
// MaxMagnitude (negatives are left to the policy, applyNegative).
// ParseQuantity reads a quantity field as an upload does (surrounding
// space trimmed, a finite number within the magnitude limit), for callers
// that read a file themselves (`forecastd import`'s dry run).
func ParseQuantity(s string) (float64, error) { return parseQuantity(s) }

func parseQuantity[T ~string | ~[]byte](s T) (float64, error) {
	q, ok := parseNumber(trimSpace(s))
	if !ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(q) || math.IsInf(q, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return q, checkMagnitude(q)
}

// parseCovariate reads a covariate field: an empty field is a value not
// given (NaN, ok); anything else must be a finite number.
func parseCovariate[T ~string | ~[]byte](s T) (float64, error) {
	t := trimSpace(s)
	if len(t) == 0 {
		return math.NaN(), nil
	}
	v, ok := parseNumber(t)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", string(t))
	}
	return v, checkMagnitude(v)
}

// parseNumber is strconv.ParseFloat, with plain integers, the usual
// sales quantity, read without it (and without making a string).
func parseNumber[T ~string | ~[]byte](s T) (float64, bool) {
	if n := len(s); n > 0 && n < 16 {
		v := 0
		for i := 0; i < n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				goto slow
			}
			v = v*10 + int(c-'0')
		}
		return float64(v), true
	}
slow:
	v, err := strconv.ParseFloat(string(s), 64)
	return v, err == nil
}

// trimSpace is strings.TrimSpace for strings and bytes, with the common
// case, nothing to trim, decided by two byte comparisons.
func trimSpace[T ~string | ~[]byte](s T) T {
	if len(s) == 0 || (s[0] > ' ' && s[0] < utf8.RuneSelf && s[len(s)-1] > ' ' && s[len(s)-1] < utf8.RuneSelf) {
		return s
	}
	left := strings.TrimLeftFunc(string(s), unicode.IsSpace)
	i := len(s) - len(left)
	return s[i : i+len(strings.TrimRightFunc(left, unicode.IsSpace))]
}

// errNoQuantity is the reason given when a covariate upload names a
// quantity: mixing the two would let a plan overwrite sales.
var errNoQuantity = errors.New("a covariate upload carries no quantity (upload sales separately)")
