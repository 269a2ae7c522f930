package ingest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Columns holds the rows of one series in columns, in the order they were
// read: what a reader of a large upload keeps instead of an Observation
// (and a map of covariates) per row.
type Columns struct {
	Key data.Key
	// Dates are in Unix seconds, UTC.
	Dates    []int64
	Quantity []float64
	// Covariates[c][i] is covariate c of row i, NaN when not given.
	Covariates [][]float64
	// Lines holds the upload line of each row, 0 when not known.
	Lines []int32
}

// NewColumns returns empty columns for the series key with covariates
// covariate columns.
func NewColumns(key data.Key, covariates int) *Columns {
	return &Columns{Key: key, Covariates: make([][]float64, covariates)}
}

// Len is the number of rows.
func (c *Columns) Len() int { return len(c.Dates) }

// Append adds a row read by a CSVReader.
func (c *Columns) Append(r *Row) {
	c.Dates = append(c.Dates, r.Date)
	c.Quantity = append(c.Quantity, r.Quantity)
	c.Lines = append(c.Lines, int32(r.Line))
	for j, v := range r.Covariates {
		c.Covariates[j] = append(c.Covariates[j], v)
	}
}

// Concat adds the rows of o, which has the same covariates, after c's.
func (c *Columns) Concat(o *Columns) {
	c.Dates = append(c.Dates, o.Dates...)
	c.Quantity = append(c.Quantity, o.Quantity...)
	c.Lines = append(c.Lines, o.Lines...)
	for j := range c.Covariates {
		c.Covariates[j] = append(c.Covariates[j], o.Covariates[j]...)
	}
}

// InferFrequency is the one rule for the frequency of an upload that does
// not name one: the most common gap between the distinct dates of its
// longest series (the first by key among equals), by data.InferFrequency.
func InferFrequency(series []*Columns) (data.Frequency, error) {
	var best *Columns
	for _, s := range series {
		if best == nil || s.Len() > best.Len() || (s.Len() == best.Len() && s.Key.Less(best.Key)) {
			best = s
		}
	}
	if best == nil {
		return "", fmt.Errorf("ingest: no rows to infer a frequency from")
	}
	dates := slices.Clone(best.Dates)
	slices.Sort(dates)
	dates = slices.Compact(dates)
	ts := make([]time.Time, len(dates))
	for i, d := range dates {
		ts[i] = time.Unix(d, 0).UTC()
	}
	return data.InferFrequency(ts)
}

// Grid puts the series on the grid of freq that starts at its first
// date: the one rule of assembly. A date with no row is zero sales, a
// covariate not given is NaN; a date off the grid or given twice is an
// error that names its line. The rows are sorted by date first (stably,
// in place). Grid reuses y and cov[c]'s arrays and returns them resliced.
func (c *Columns) Grid(freq data.Frequency, y []float64, cov [][]float64) (time.Time, []float64, [][]float64, error) {
	if len(c.Dates) == 0 {
		return time.Time{}, y, cov, fmt.Errorf("ingest: series %s has no rows", c.Key)
	}
	if !slices.IsSorted(c.Dates) {
		c.sortByDate()
	}
	layout := freq.Layout()
	start := time.Unix(c.Dates[0], 0).UTC()
	last := len(c.Dates) - 1
	n, ok := freq.Steps(start, time.Unix(c.Dates[last], 0).UTC())
	if !ok {
		return start, y, cov, c.offGrid(last, freq, start)
	}
	n++
	y = fill(y, n, 0)
	cov = slices.Grow(cov[:0], len(c.Covariates))[:len(c.Covariates)]
	for j := range cov {
		cov[j] = fill(cov[j], n, math.NaN())
	}
	// Dates are UTC seconds, so fixed-length steps are integer divisions;
	// freq.Steps, which they agree with, handles months.
	step := freq.StepSeconds()
	prev := -1
	for i, d := range c.Dates {
		var k int
		if step > 0 {
			diff := d - c.Dates[0]
			k, ok = int(diff/step), diff%step == 0
		} else {
			k, ok = freq.Steps(start, time.Unix(d, 0).UTC())
		}
		if !ok {
			return start, y, cov, c.offGrid(i, freq, start)
		}
		if k == prev {
			return start, y, cov, fmt.Errorf("%s%s: second row for %s (the first is on line %d)",
				linePrefix(c.Lines[i]), c.Key, time.Unix(d, 0).UTC().Format(layout), c.Lines[i-1])
		}
		prev = k
		y[k] = c.Quantity[i]
		for j := range c.Covariates {
			cov[j][k] = c.Covariates[j][i]
		}
	}
	return start, y, cov, nil
}

func (c *Columns) offGrid(i int, freq data.Frequency, start time.Time) error {
	layout := freq.Layout()
	return fmt.Errorf("%s%s: date %s is not on the %s grid starting %s", linePrefix(c.Lines[i]), c.Key,
		time.Unix(c.Dates[i], 0).UTC().Format(layout), freq, start.Format(layout))
}

func linePrefix(line int32) string {
	if line <= 0 {
		return "series "
	}
	return fmt.Sprintf("line %d: ", line)
}

// sortByDate orders the rows by date, keeping the order of equal dates.
func (c *Columns) sortByDate() {
	idx := make([]int, len(c.Dates))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(c.Dates[a], c.Dates[b]) })
	c.Dates = permute(c.Dates, idx)
	c.Quantity = permute(c.Quantity, idx)
	c.Lines = permute(c.Lines, idx)
	for j := range c.Covariates {
		c.Covariates[j] = permute(c.Covariates[j], idx)
	}
}

func permute[T any](x []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = x[j]
	}
	return out
}

// fill returns x resliced to n values, all v, reusing its array.
func fill(x []float64, n int, v float64) []float64 {
	x = slices.Grow(x[:0], n)[:n]
	for i := range x {
		x[i] = v
	}
	return x
}

// Series assembles the columns into a new series of freq (see Grid),
// named covariates by names; a covariate the series never gives is left
// out.
func (c *Columns) Series(freq data.Frequency, names []string) (*data.Series, error) {
	start, y, cov, err := c.Grid(freq, nil, nil)
	if err != nil {
		return nil, err
	}
	s := &data.Series{Key: c.Key, Freq: freq, Start: start, Values: y}
	for j, col := range cov {
		if !slices.ContainsFunc(c.Covariates[j], func(v float64) bool { return !math.IsNaN(v) }) {
			continue
		}
		if s.Covariates == nil {
			s.Covariates = make(map[string][]float64, len(cov))
		}
		s.Covariates[names[j]] = col
	}
	return s, nil
}
