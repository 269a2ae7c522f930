package ingest

import (
	"fmt"
	"time"
)

// Date layouts accepted in uploads. DateSpaceLayout is what pandas'
// to_csv writes for a timestamp column.
const (
	DateLayout      = "2006-01-02"
	DateTimeLayout  = "2006-01-02T15:04:05"
	DateSpaceLayout = "2006-01-02 15:04:05"
)

// ParseDate accepts exactly YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS and
// YYYY-MM-DD HH:MM:SS, as UTC.
func ParseDate(s string) (time.Time, error) {
	sec, ok := parseUnix(s)
	if !ok {
		return time.Time{}, dateError(s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func dateError(s string) error {
	return fmt.Errorf("date %q is not YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD HH:MM:SS", s)
}

// parseUnix is the one definition of an upload date. It is hand-written
// because time.Parse dominated the reading of a million rows; it takes
// bytes too, so the CSV reader parses a field without making a string.
func parseUnix[T ~string | ~[]byte](s T) (int64, bool) {
	if len(s) != len(DateLayout) && len(s) != len(DateTimeLayout) {
		return 0, false
	}
	y, mo, d := digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2)
	if s[4] != '-' || s[7] != '-' || y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	sec := 0
	if len(s) == len(DateTimeLayout) {
		h, mi, se := digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2)
		if (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
			h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 {
			return 0, false
		}
		sec = h*3600 + mi*60 + se
	}
	return daysFromCivil(y, mo, d)*86400 + int64(sec), true
}

// digits reads the n decimal digits of s from i, or -1 when one is not a
// digit.
func digits[T ~string | ~[]byte](s T, i, n int) int {
	v := 0
	for j := i; j < i+n; j++ {
		c := s[j]
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil), for
// years 0 to 9999.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}
