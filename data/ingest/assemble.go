package ingest

import (
	"cmp"
	"math"
	"slices"

	"github.com/forecastd/forecastd/data"
)

// Assemble turns observations of many series into regular series, one per
// key, sorted by key, by the rule of Columns.Grid: missing dates become
// zero, missing covariates NaN. It returns an error when a date does not
// lie on the frequency's grid or a series has two rows for one date.
func Assemble(obs []data.Observation, freq data.Frequency) ([]*data.Series, error) {
	type series struct {
		cols  *Columns
		names []string
		index map[string]int
	}
	byKey := map[data.Key]*series{}
	for _, o := range obs {
		s := byKey[o.Key]
		if s == nil {
			s = &series{cols: NewColumns(o.Key, 0), index: map[string]int{}}
			byKey[o.Key] = s
		}
		c := s.cols
		for name := range o.Covariates {
			if _, ok := s.index[name]; !ok {
				// A covariate first given now was not given before.
				s.index[name] = len(s.names)
				s.names = append(s.names, name)
				c.Covariates = append(c.Covariates, nanSlice(c.Len()))
			}
		}
		for j, name := range s.names {
			v, ok := o.Covariates[name]
			if !ok {
				v = math.NaN()
			}
			c.Covariates[j] = append(c.Covariates[j], v)
		}
		c.Dates = append(c.Dates, o.Date.Unix())
		c.Quantity = append(c.Quantity, o.Quantity)
		c.Lines = append(c.Lines, int32(o.Line))
	}
	keys := make([]data.Key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	out := make([]*data.Series, 0, len(keys))
	for _, k := range keys {
		s := byKey[k]
		ser, err := s.cols.Series(freq, s.names)
		if err != nil {
			return nil, err
		}
		out = append(out, ser)
	}
	return out, nil
}

func nanSlice(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.NaN()
	}
	return x
}

// compareKeys orders keys by store, then SKU.
func compareKeys(a, b data.Key) int {
	if c := cmp.Compare(a.Store, b.Store); c != 0 {
		return c
	}
	return cmp.Compare(a.SKU, b.SKU)
}
