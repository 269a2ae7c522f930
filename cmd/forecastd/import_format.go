package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data/ingest"
)

// The shape of a file, decided from its first line and its dates: the
// delimiter, the layout, the date format. The server decides the same for
// a long file it receives; the client decides it for the dry run and for
// a wide file, which it reshapes itself.

// delimiterName is how the dry run shows a delimiter.
func delimiterName(d rune) string {
	if d == '\t' {
		return "tab"
	}
	return fmt.Sprintf("%q", d)
}

// tableFile is an open delimited file with its header read.
type tableFile struct {
	f      *os.File
	r      *csv.Reader
	delim  rune
	header []string
	// index is the position of a pandas dump's unnamed index column
	// (ingest.IsIndexColumn), or -1.
	index int
}

// openTable opens path, detects its delimiter and reads its header.
func openTable(path string) (*tableFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	first, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, errors.Join(err, f.Close())
	}
	line, _, _ := bytes.Cut(first, []byte("\n"))
	t := &tableFile{f: f, r: csv.NewReader(br), delim: rune(ingest.DetectDelimiter(line)), index: -1}
	t.r.Comma = t.delim
	t.r.FieldsPerRecord = -1 // a short row is a problem to report, not a stop
	t.r.ReuseRecord = true
	rec, err := t.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty file: want a header line")
		} else {
			err = fmt.Errorf("header: %w", err)
		}
		return nil, errors.Join(err, f.Close())
	}
	t.header = make([]string, len(rec))
	for i, h := range rec {
		t.header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	for i, h := range t.header {
		if len(t.header) > 1 && ingest.IsIndexColumn(i, strings.ToLower(h)) {
			t.index = i
			break
		}
	}
	return t, nil
}

func (t *tableFile) Close() error { return t.f.Close() }

// next reads the next record that has the header's number of fields,
// with its line; a record that has not is a problem of s, and a record
// that cannot be read ends the file (a broken quote leaves nothing after
// it to trust).
func (t *tableFile) next(s *fileSummary) (rec []string, line int, ok bool) {
	for {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return nil, 0, false
		}
		if err != nil {
			s.problem("%v", err)
			return nil, 0, false
		}
		line, _ = t.r.FieldPos(0)
		if len(rec) != len(t.header) {
			s.problem("line %d: has %d fields, header has %d", line, len(rec), len(t.header))
			continue
		}
		return rec, line, true
	}
}

// readHeader is the header of the table at path.
func readHeader(path string) ([]string, error) {
	t, err := openTable(path)
	if err != nil {
		return nil, err
	}
	return t.header, t.Close()
}

// column finds a header name, case-insensitively: -1 if absent.
func column(header []string, names ...string) int {
	for _, n := range names {
		for i, h := range header {
			if n != "" && strings.EqualFold(h, n) {
				return i
			}
		}
	}
	return -1
}

// dCol matches M5's period columns.
var dCol = regexp.MustCompile(`^d_[0-9]+$`)

// detectLayout reads path's header: a file whose columns are periods (M5's
// d_N, or at least two dates, ISO or in dateFormat) is wide, any other is
// long.
func detectLayout(path, dateFormat string) (layout string, err error) {
	t, err := openTable(path)
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, t.Close()) }() // read-only: only reported
	periods := 0
	format := periodFormat(dateFormat)
	for _, h := range t.header {
		if dCol.MatchString(h) {
			periods++
		} else if _, err := format.Parse(h); err == nil {
			periods++
		}
	}
	if periods >= 2 {
		return "wide", nil
	}
	return "long", nil
}

// periodFormat is how period columns of a wide file are dated: the format
// -date-format names, or ISO. It was checked by the flag's validation.
func periodFormat(given string) *ingest.DateFormat {
	if given == "" {
		return ingest.ISODateFormat()
	}
	f, err := ingest.ParseDateFormat(given)
	if err != nil {
		panic("forecastd: -date-format was checked: " + err.Error())
	}
	return f
}

// isoDate writes a date as the upload's ISO form.
func isoDate(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T15:04:05")
}
