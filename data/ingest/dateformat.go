package ingest

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"
)

// DateFormat is a compiled date layout: a strftime subset (%Y, %m, %d,
// %H, %M, %S, %% and literal characters). It parses a field without
// allocating: an upload decides its format once, then every row is read
// with it.
type DateFormat struct {
	src  string
	toks []dateTok
	// iso formats try parseUnix first: the hot path of today's uploads.
	iso bool
	// optTime accepts an optional time of day after the date: " HH:MM",
	// " HH:MM:SS" or with a T. Detected formats have it; a format the
	// client names means exactly what it says.
	optTime bool
	// desc is the format as people write it, for messages.
	desc string
}

// dateTok is one element of a format: a field ('Y', 'm', 'd', 'H', 'M',
// 'S') or, when field is 0, the literal byte lit.
type dateTok struct {
	field byte
	slot  int8 // where the field goes in the values of parse
	lit   byte
	// exact is true when the field must have its full width: %Y always,
	// and a field followed directly by another field (%Y%m%d).
	exact bool
}

// ParseDateFormat compiles a strftime-style format: %Y (four-digit year),
// %m, %d, %H, %M, %S (one or two digits, or exactly two when another
// field follows without a separator), %% and literal ASCII characters.
// A format needs %Y, %m and %d.
func ParseDateFormat(format string) (*DateFormat, error) {
	if len(format) > MaxDateFormatBytes {
		return nil, fmt.Errorf("date_format is longer than %d bytes (limit MaxDateFormatBytes)", MaxDateFormatBytes)
	}
	f := &DateFormat{src: format, desc: format}
	var seen [128]bool
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c >= 0x80 || c < 0x20 {
			return nil, fmt.Errorf("date_format %q: only printable ASCII", format)
		}
		if c != '%' {
			f.toks = append(f.toks, dateTok{lit: c})
			continue
		}
		i++
		if i == len(format) {
			return nil, fmt.Errorf("date_format %q ends with %%", format)
		}
		switch c = format[i]; c {
		case '%':
			f.toks = append(f.toks, dateTok{lit: '%'})
		case 'Y', 'm', 'd', 'H', 'M', 'S':
			if seen[c] {
				return nil, fmt.Errorf("date_format %q names %%%c twice", format, c)
			}
			seen[c] = true
			f.toks = append(f.toks, dateTok{field: c, slot: int8(strings.IndexByte("YmdHMS", c)), exact: c == 'Y'})
		default:
			return nil, fmt.Errorf("date_format %q: %%%c is not supported (use %%Y %%m %%d %%H %%M %%S)", format, c)
		}
	}
	if !seen['Y'] || !seen['m'] || !seen['d'] {
		return nil, fmt.Errorf("date_format %q needs %%Y, %%m and %%d", format)
	}
	for i := 0; i+1 < len(f.toks); i++ {
		if f.toks[i].field != 0 && f.toks[i+1].field != 0 {
			f.toks[i].exact, f.toks[i+1].exact = true, true
		}
	}
	return f, nil
}

// String returns the format in strftime form.
func (f *DateFormat) String() string { return f.src }

// parse reads s, trimmed, as Unix seconds in UTC.
func (f *DateFormat) parse(s []byte) (int64, bool) {
	if f.iso {
		if sec, ok := parseUnix(s); ok {
			return sec, true
		}
	}
	var v [6]int // Y m d H M S
	i := 0
	for _, t := range f.toks {
		if t.field == 0 {
			if i >= len(s) || s[i] != t.lit {
				return 0, false
			}
			i++
			continue
		}
		width := 2
		if t.field == 'Y' {
			width = 4
		}
		n, k := 0, 0
		for k < width && i+k < len(s) && s[i+k] >= '0' && s[i+k] <= '9' {
			n = n*10 + int(s[i+k]-'0')
			k++
		}
		if k == 0 || (t.exact && k < width) {
			return 0, false
		}
		v[t.slot] = n
		i += k
	}
	if i < len(s) {
		if !f.optTime || !parseTimeSuffix(s[i:], &v) {
			return 0, false
		}
	}
	y, mo, d := v[0], v[1], v[2]
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return 0, false
	}
	return daysFromCivil(y, mo, d)*86400 + int64(v[3]*3600+v[4]*60+v[5]), true
}

// parseTimeSuffix reads " HH:MM", " HH:MM:SS" or the same with a T into
// v.
func parseTimeSuffix(s []byte, v *[6]int) bool {
	if len(s) != 6 && len(s) != 9 || (s[0] != ' ' && s[0] != 'T') || s[3] != ':' {
		return false
	}
	h, m, sec := digits(s, 1, 2), digits(s, 4, 2), 0
	if len(s) == 9 {
		if s[6] != ':' {
			return false
		}
		sec = digits(s, 7, 2)
	}
	if h < 0 || m < 0 || sec < 0 {
		return false
	}
	v[3], v[4], v[5] = h, m, sec
	return true
}

// detectFormats are the formats an upload's dates are detected among,
// in order of preference; dmy/mdy pairs are told apart by a day above 12.
var detectFormats = func() []*DateFormat {
	var fs []*DateFormat
	for _, d := range []struct{ src, desc string }{
		{"%Y-%m-%d", "YYYY-MM-DD"}, {"%Y/%m/%d", "YYYY/MM/DD"}, {"%Y%m%d", "YYYYMMDD"},
		{"%d/%m/%Y", "DD/MM/YYYY"}, {"%m/%d/%Y", "MM/DD/YYYY"},
		{"%d-%m-%Y", "DD-MM-YYYY"}, {"%m-%d-%Y", "MM-DD-YYYY"},
		{"%d.%m.%Y", "DD.MM.YYYY"},
	} {
		f, err := ParseDateFormat(d.src)
		if err != nil {
			panic("ingest: " + err.Error())
		}
		f.desc, f.optTime, f.iso = d.desc, true, d.src == "%Y-%m-%d"
		fs = append(fs, f)
	}
	return fs
}()

// isoFormat is what an upload without dates to look at is read with.
var isoFormat = detectFormats[0]

// dateDetector narrows the formats that read every date of a column.
type dateDetector struct {
	alive uint16
	seen  int
	// first is the first date looked at, and its line, for messages.
	first     string
	firstLine int
}

func newDateDetector() *dateDetector {
	return &dateDetector{alive: 1<<len(detectFormats) - 1}
}

// add looks at one date field. A date no remaining format reads leaves
// the set as it is: the row will be refused when it is parsed.
func (d *dateDetector) add(s []byte, line int) { d.read(s, line, nil) }

// read is add, calling read (when not nil) with each format still in the
// running that reads s and the date it reads; it reports whether one
// does (an empty field is no date, and true).
func (d *dateDetector) read(s []byte, line int, read func(i int, sec int64)) bool {
	s = trimSpace(s)
	if len(s) == 0 {
		return true
	}
	if d.seen == 0 {
		d.first, d.firstLine = string(s), line
	}
	d.seen++
	var m uint16
	for a := d.alive; a != 0; a &= a - 1 {
		i := bits.TrailingZeros16(a)
		if sec, ok := detectFormats[i].parse(s); ok {
			m |= 1 << i
			if read != nil {
				read(i, sec)
			}
		}
	}
	if m != 0 {
		d.alive = m
	}
	return m != 0
}

// decided reports whether the dates seen so far settle the format.
func (d *dateDetector) decided() bool {
	return d.seen > 0 && !d.ambiguous()
}

// ambiguous is true while both a day-first and a month-first format read
// every date seen.
func (d *dateDetector) ambiguous() bool {
	return d.seen > 0 && bits.OnesCount16(d.alive) > 1 &&
		(d.alive&(1<<3|1<<4) == 1<<3|1<<4 || d.alive&(1<<5|1<<6) == 1<<5|1<<6)
}

// format is the detected format: the first that reads every date seen.
func (d *dateDetector) format() *DateFormat {
	if d.seen == 0 {
		return isoFormat
	}
	return detectFormats[bits.TrailingZeros16(d.alive)]
}

// ambiguity is the reason an ambiguous column is refused.
func (d *dateDetector) ambiguity(column string) RowError {
	var alts []string
	for a := d.alive; a != 0; a &= a - 1 {
		f := detectFormats[bits.TrailingZeros16(a)]
		alts = append(alts, fmt.Sprintf("%s (date_format=%s)", f.desc, f.src))
	}
	return RowError{Line: d.firstLine, Column: column, Reason: fmt.Sprintf(
		"dates like %q read as %s: no day above 12 settles it; name the format with date_format",
		d.first, strings.Join(alts, " or "))}
}

// dateErr is the reason a date field is refused under f.
func (f *DateFormat) dateErr(s []byte) error {
	if f == isoFormat {
		return dateError(string(s))
	}
	return fmt.Errorf("date %q is not %s", s, f.desc)
}

// Parse reads s (surrounding space trimmed) as a date in f, in UTC.
func (f *DateFormat) Parse(s string) (time.Time, error) {
	b := trimSpace([]byte(s))
	sec, ok := f.parse(b)
	if !ok {
		return time.Time{}, f.dateErr(b)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// ISODateFormat is the format of today's uploads: YYYY-MM-DD with an
// optional time of day, what ParseDate reads.
func ISODateFormat() *DateFormat { return isoFormat }

// DateColumn detects the format of a column of dates with the rules of an
// upload, for callers that read a file themselves (`forecastd import`'s
// dry run and its wide layout): add every date, then ask Format.
type DateColumn struct {
	d *dateDetector
	// min and max per detectable format, so the range is read in the
	// format that wins.
	min, max [16]int64
}

// NewDateColumn starts a detection.
func NewDateColumn() *DateColumn {
	c := &DateColumn{d: newDateDetector()}
	for i := range c.min {
		c.min[i], c.max[i] = math.MaxInt64, math.MinInt64
	}
	return c
}

// Add looks at one date and reports whether a format still in the running
// reads it (false: the date is in no format the dates before it allow).
func (c *DateColumn) Add(s string) bool {
	return c.d.read([]byte(s), c.d.seen+1, func(i int, sec int64) {
		c.min[i], c.max[i] = min(c.min[i], sec), max(c.max[i], sec)
	})
}

// Format is the detected format, or an error when no date was seen or the
// dates do not settle day-first against month-first.
func (c *DateColumn) Format() (*DateFormat, error) {
	switch {
	case c.d.seen == 0:
		return nil, errors.New("no dates")
	case c.d.ambiguous():
		return nil, errors.New(c.d.ambiguity("date").Reason)
	}
	return c.d.format(), nil
}

// Range is the first and last date read in the detected format, in UTC
// (zero times before any).
func (c *DateColumn) Range() (first, last time.Time) {
	if c.d.seen == 0 {
		return time.Time{}, time.Time{}
	}
	i := bits.TrailingZeros16(c.d.alive)
	if c.min[i] > c.max[i] {
		return time.Time{}, time.Time{}
	}
	return time.Unix(c.min[i], 0).UTC(), time.Unix(c.max[i], 0).UTC()
}

// Description is the format as people write it (YYYY-MM-DD, DD/MM/YYYY),
// or the strftime form of a format a client named.
func (f *DateFormat) Description() string { return f.desc }
