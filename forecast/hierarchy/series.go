package hierarchy

import (
	"fmt"

	"github.com/forecastd/forecastd/data"
)

// AggregateSeries returns the series of h's aggregate nodes (nodes 0 to
// h.Aggregates()-1, keyed as their nodes), summing bottom (the bottom
// series, in the order given to New) over the dates from the earliest
// start: a series that starts later sold nothing before it did. The sums
// carry no covariates. The bottom series must share their frequency and
// last date, so that their forecasts cover the same dates; the error says
// which do not.
func AggregateSeries(h *Hierarchy, bottom []*data.Series) ([]*data.Series, error) {
	if len(bottom) != h.nBottom {
		panic(fmt.Sprintf("hierarchy: AggregateSeries: %d series for %d bottom nodes", len(bottom), h.nBottom))
	}
	f, end, start := bottom[0].Freq, bottom[0].End(), bottom[0].Start
	for _, s := range bottom[1:] {
		if s.Freq != f {
			return nil, fmt.Errorf("series %s is %s and %s is %s: a hierarchy needs one frequency", bottom[0].Key, f, s.Key, s.Freq)
		}
		if !s.End().Equal(end) {
			return nil, fmt.Errorf("series %s ends on %s and %s on %s: a hierarchy needs forecasts of the same dates",
				bottom[0].Key, end.Format(f.Layout()), s.Key, s.End().Format(f.Layout()))
		}
		if s.Start.Before(start) {
			start = s.Start
		}
	}
	n, _ := f.Steps(start, end)
	n++
	out := make([]*data.Series, h.Aggregates())
	for i := range out {
		v := make([]float64, n)
		for _, j := range h.members[i] {
			s := bottom[j]
			off, _ := f.Steps(start, s.Start)
			for t, x := range s.Values {
				v[off+t] += x
			}
		}
		out[i] = &data.Series{Key: h.Nodes[i].Key, Freq: f, Start: start, Values: v}
	}
	return out, nil
}
