package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// maxProblems bounds the problems a dry run lists.
const maxProblems = 10

// fileSummary is what a dry run prints about a file.
type fileSummary struct {
	path       string
	layout     string
	delimiter  string
	mapping    string
	dateFormat string
	rows       int
	series     int
	first      time.Time
	last       time.Time
	covariates []string
	negatives  int
	plan       string
	problems   []string
	more       bool
}

func (s *fileSummary) problem(format string, args ...any) {
	if len(s.problems) == maxProblems {
		s.more = true
		return
	}
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func (s *fileSummary) print(w io.Writer) {
	fmt.Fprintf(w, "%s\n", s.path)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-12s %s\n", k+":", v)
		}
	}
	row("layout", s.layout)
	row("delimiter", s.delimiter)
	row("mapping", s.mapping)
	row("date format", s.dateFormat)
	row("rows", strconv.Itoa(s.rows))
	row("series", strconv.Itoa(s.series))
	if !s.first.IsZero() {
		row("dates", isoDate(s.first)+" .. "+isoDate(s.last))
	}
	row("covariates", strings.Join(s.covariates, ", "))
	if s.negatives > 0 {
		row("negatives", strconv.Itoa(s.negatives))
	}
	row("plan", s.plan)
	if len(s.problems) == 0 {
		row("problems", "none")
		return
	}
	fmt.Fprintf(w, "  problems:\n")
	for _, p := range s.problems {
		fmt.Fprintf(w, "    %s\n", p)
	}
	if s.more {
		fmt.Fprintf(w, "    ...\n")
	}
}

// dryRun prints the summary; a file with problems fails the dry run, so
// that a script can check a file before sending it.
func (s *fileSummary) dryRun(w io.Writer) error {
	s.print(w)
	if len(s.problems) > 0 {
		return fmt.Errorf("dry run: %d problem(s), listed above", len(s.problems))
	}
	return nil
}

// err is the summary's problems as one error, or nil.
func (s *fileSummary) err() error {
	if len(s.problems) == 0 {
		return nil
	}
	more := ""
	if s.more {
		more = "\n  ..."
	}
	return fmt.Errorf("%d problem(s):\n  %s%s", len(s.problems), strings.Join(s.problems, "\n  "), more)
}

// isNDJSON tells a long NDJSON file by its name.
func isNDJSON(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ndjson", ".jsonl", ".json":
		return true
	}
	return false
}

// importLong sends a long file unchanged, the mapping in the query: the
// server reads, checks and stores it (all or nothing).
func (c *importCommand) importLong(ctx context.Context, path string) (err error) {
	if c.dryRun {
		s, err := c.scanLong(path)
		if err != nil {
			return err
		}
		return s.dryRun(c.stdout)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }() // read-only: only reported
	ctype := "text/csv"
	if isNDJSON(path) {
		ctype = "application/x-ndjson"
	}
	p := startProgress(c.stderr, filepath.Base(path), c.every)
	st, err := c.post(ctx, "/v1/sales", c.mapping.query(true), ctype, func(w io.Writer) error {
		_, err := io.Copy(w, &lineCounter{r: f, p: p, header: ctype == "text/csv"})
		return err
	})
	p.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d rows, %d series stored\n", path, st.Rows, st.Series)
	return nil
}

// lineCounter counts the lines read through it as rows sent.
type lineCounter struct {
	r      io.Reader
	p      *progress
	header bool // the first line is not a row
}

func (l *lineCounter) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	lines := int64(bytes.Count(b[:n], []byte{'\n'}))
	if l.header && lines > 0 {
		l.header, lines = false, lines-1
	}
	l.p.add(int(lines))
	return n, err
}

// longColumns are the columns of a long file as the mapping names them.
type longColumns struct {
	date, store, sku, qty int
	covariates            []string
	names                 map[string]string // role → column, for the summary
}

// resolveLong finds the mapped columns in header, naming every missing
// one at once.
func resolveLong(header []string, index int, m mapping) (longColumns, []string) {
	lc := longColumns{names: map[string]string{}}
	var missing []string
	find := func(role, name, constant string) int {
		if constant != "" {
			lc.names[role] = fmt.Sprintf("%q (constant)", constant)
			return -1
		}
		if name == "" {
			name = role
		}
		i := column(header, name)
		if i < 0 {
			missing = append(missing, fmt.Sprintf("missing column %q (the %s; name it with -%s)", name, role, role))
			return -1
		}
		lc.names[role] = header[i]
		return i
	}
	lc.date = find("date", m.date, "")
	lc.store = find("store", m.store, m.storeConst)
	lc.sku = find("sku", m.sku, m.skuConst)
	lc.qty = find("quantity", m.quantity, "")
	for i, h := range header {
		if i != index && i != lc.date && i != lc.store && i != lc.sku && i != lc.qty {
			lc.covariates = append(lc.covariates, strings.ToLower(h))
		}
	}
	return lc, missing
}

// scanLong reads a long CSV as the server would with the same mapping,
// for the dry run.
func (c *importCommand) scanLong(path string) (_ *fileSummary, err error) {
	s := &fileSummary{path: path, layout: "long"}
	if isNDJSON(path) {
		s.layout = "long (NDJSON: read by the server as it is)"
		return s, nil
	}
	t, err := openTable(path)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, t.Close()) }() // read-only: only reported
	s.delimiter = delimiterName(t.delim)
	lc, missing := resolveLong(t.header, t.index, c.mapping)
	s.mapping = c.mapping.describe(lc.names)
	s.covariates = lc.covariates
	for _, m := range missing {
		s.problem("line 1: %s", m)
	}
	if len(missing) > 0 {
		return s, nil
	}
	dates := newDateColumn(c.mapping.dateFormat)
	keys := map[data.Key]bool{}
	key := data.Key{Store: c.mapping.storeConst, SKU: c.mapping.skuConst}
	for {
		rec, line, ok := t.next(s)
		if !ok {
			break
		}
		s.rows++
		if !dates.add(rec[lc.date]) {
			s.problem("line %d: date %q in no format that fits the dates before it", line, rec[lc.date])
		}
		if lc.store >= 0 {
			key.Store = strings.TrimSpace(rec[lc.store])
		}
		if lc.sku >= 0 {
			key.SKU = strings.TrimSpace(rec[lc.sku])
		}
		keys[key] = true
		s.checkQuantity(line, rec[lc.qty])
	}
	s.series = len(keys)
	s.decideDates(dates)
	return s, nil
}

// checkQuantity counts negatives and reports a quantity the server would
// refuse.
func (s *fileSummary) checkQuantity(line int, v string) {
	q, err := ingest.ParseQuantity(v)
	switch {
	case err != nil:
		s.problem("line %d: quantity %v", line, err)
	case q < 0:
		s.negatives++
	}
}

// decideDates records the detected date format and range, or why there
// is none.
func (s *fileSummary) decideDates(d *dateColumn) {
	f, first, last, err := d.result()
	if err != nil {
		s.problem("%v", err)
		return
	}
	s.dateFormat = f
	s.first, s.last = first, last
}

// dateColumn reads a file's dates as the server will: in the format
// -date-format names, or in the one ingest detects among its formats.
type dateColumn struct {
	given      *ingest.DateFormat // nil: detect
	detect     *ingest.DateColumn
	first, end time.Time
	seen       bool
}

func newDateColumn(given string) *dateColumn {
	if given == "" {
		return &dateColumn{detect: ingest.NewDateColumn()}
	}
	return &dateColumn{given: periodFormat(given)}
}

// add reports whether s is a date the column can still be read in.
func (d *dateColumn) add(s string) bool {
	if d.given == nil {
		return d.detect.Add(s)
	}
	t, err := d.given.Parse(s)
	if err != nil {
		return false
	}
	if !d.seen || t.Before(d.first) {
		d.first = t
	}
	if !d.seen || t.After(d.end) {
		d.end = t
	}
	d.seen = true
	return true
}

// result is the format (strftime) and the range of the dates, or why
// there is none.
func (d *dateColumn) result() (string, time.Time, time.Time, error) {
	if d.given != nil {
		if !d.seen {
			return "", time.Time{}, time.Time{}, errors.New("no dates")
		}
		return d.given.String(), d.first, d.end, nil
	}
	f, err := d.detect.Format()
	if err != nil {
		return "", time.Time{}, time.Time{}, fmt.Errorf("%v (the flag is -date-format)", err)
	}
	first, last := d.detect.Range()
	return f.String(), first, last, nil
}
