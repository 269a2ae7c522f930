package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/forecastd/forecastd/data"
)

// describer keeps, per column, the count of defined values, their mean
// and sum of squared deviations, min and max, so the table is summarised
// in one pass over the series without being kept. Each series' block is
// summarised by two passes over it (sums, then squared deviations from the
// block means) and merged into the totals with Chan's update: as accurate
// as Welford's per-value update without a division per value.
type describer struct {
	names           []string
	n               []float64
	mean, m2        []float64
	lo, hi          []float64
	nSeries, nTotal int
	// A series' block: counts, sums (then means) and m2 per column.
	bn, bsum, bm2 []float64
}

func newDescriber(names []string) *describer {
	k := len(names)
	d := &describer{names: names, n: make([]float64, k), mean: make([]float64, k), m2: make([]float64, k), lo: make([]float64, k), hi: make([]float64, k)}
	for i := range d.lo {
		d.lo[i], d.hi[i] = math.Inf(1), math.Inf(-1)
	}
	return d
}

// series folds one series' block of rows into the totals. The two
// passes run along the rows, the order the matrix is stored in, with
// per-column accumulators, rather than down each strided column.
func (d *describer) series(_ data.Key, _ time.Time, _ data.Frequency, y, m []float64, p int) error {
	k := p + 1
	if len(d.bn) < k {
		d.bn, d.bsum, d.bm2 = make([]float64, k), make([]float64, k), make([]float64, k)
	}
	bn, bsum, bm2 := d.bn[:k], d.bsum[:k], d.bm2[:k]
	clear(bn)
	clear(bsum)
	clear(bm2)
	lo, hi := d.lo[:k], d.hi[:k]
	for t, v := range y {
		if v == v {
			bn[0]++
			bsum[0] += v
			lo[0], hi[0] = min(lo[0], v), max(hi[0], v)
		}
		row := m[t*p : (t+1)*p]
		for j, v := range row {
			if v == v {
				bn[j+1]++
				bsum[j+1] += v
				lo[j+1], hi[j+1] = min(lo[j+1], v), max(hi[j+1], v)
			}
		}
	}
	// bsum becomes the block mean; the second pass sums squared
	// deviations from it.
	for j := range bsum {
		if bn[j] > 0 {
			bsum[j] /= bn[j]
		}
	}
	for t, v := range y {
		if v == v {
			bm2[0] += (v - bsum[0]) * (v - bsum[0])
		}
		row := m[t*p : (t+1)*p]
		for j, v := range row {
			if v == v {
				e := v - bsum[j+1]
				bm2[j+1] += e * e
			}
		}
	}
	for j := range k {
		d.merge(j, bn[j], bsum[j], bm2[j])
	}
	d.nSeries++
	d.nTotal += len(y)
	return nil
}

// merge adds a block of n values with mean and m2 to column j (Chan et
// al.'s pairwise update).
func (d *describer) merge(j int, n, mean, m2 float64) {
	if n == 0 {
		return
	}
	tn := d.n[j] + n
	delta := mean - d.mean[j]
	d.mean[j] += delta * (n / tn)
	d.m2[j] += m2 + delta*delta*(d.n[j]*n/tn)
	d.n[j] = tn
}

func (d *describer) print(w io.Writer) error {
	fmt.Fprintf(w, "# %d rows, %d series\n", d.nTotal, d.nSeries)
	fmt.Fprintf(w, "%-18s %10s %16s %16s %16s %16s\n", "column", "count", "mean", "std", "min", "max")
	for j, name := range d.names {
		mean, std, lo, hi := math.NaN(), math.NaN(), math.NaN(), math.NaN()
		if d.n[j] > 0 {
			mean, lo, hi = d.mean[j], d.lo[j], d.hi[j]
		}
		if d.n[j] > 1 {
			std = math.Sqrt(d.m2[j] / (d.n[j] - 1))
		}
		if _, err := fmt.Fprintf(w, "%-18s %10.0f %16.6g %16.6g %16.6g %16.6g\n", name, d.n[j], mean, std, lo, hi); err != nil {
			return err
		}
	}
	return nil
}
