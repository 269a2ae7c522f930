package ingest

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
)

// Assemble turns observations of many series into regular series, one per
// key, sorted by key. Missing dates become zero. It returns an error when
// a date does not lie on the frequency's grid.
func Assemble(obs []data.Observation, freq data.Frequency) ([]*data.Series, error) {
	byKey := map[data.Key][]data.Observation{}
	for _, o := range obs {
		byKey[o.Key] = append(byKey[o.Key], o)
	}
	keys := make([]data.Key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	out := make([]*data.Series, 0, len(keys))
	for _, k := range keys {
		rows := byKey[k]
		sort.Slice(rows, func(i, j int) bool { return rows[i].Date.Before(rows[j].Date) })
		start, end := rows[0].Date, rows[len(rows)-1].Date
		n, ok := freq.Steps(start, end)
		if !ok {
			return nil, fmt.Errorf("data: series %s: %s is not on the %s grid starting %s", k, end.Format(time.RFC3339), freq, start.Format(time.RFC3339))
		}
		s := &data.Series{Key: k, Freq: freq, Start: start, Values: make([]float64, n+1)}
		for _, r := range rows {
			i, ok := freq.Steps(start, r.Date)
			if !ok {
				return nil, fmt.Errorf("data: series %s: %s is not on the %s grid starting %s", k, r.Date.Format(time.RFC3339), freq, start.Format(time.RFC3339))
			}
			s.Values[i] = r.Quantity
			for name, v := range r.Covariates {
				if s.Covariates == nil {
					s.Covariates = map[string][]float64{}
				}
				col, ok := s.Covariates[name]
				if !ok {
					col = make([]float64, n+1)
					for j := range col {
						col[j] = math.NaN()
					}
					s.Covariates[name] = col
				}
				col[i] = v
			}
		}
		out = append(out, s)
	}
	return out, nil
}
