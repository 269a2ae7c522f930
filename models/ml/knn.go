package ml

import (
	"context"
	"fmt"
	"math"
)

// KNN is k-nearest-neighbours regression with Euclidean distance, as
// scikit-learn's KNeighborsRegressor with the brute-force algorithm.
// Features should be on comparable scales (see Imputer).
//
// Brute force is the right algorithm here: with ~20 features a KD-tree
// prunes little, and the training sets of a per-series forecaster are a
// few hundred rows, where a linear scan of contiguous memory wins.
type KNN struct {
	// K is the number of neighbours; default 5.
	K int `json:"k,omitempty"`
	// Distance weights neighbours by inverse distance (scikit-learn's
	// weights="distance"); the default weighs them uniformly. A training
	// row at distance zero then takes all the weight.
	Distance bool `json:"distance,omitempty"`
}

// KNNModel is a fitted k-nearest-neighbours regressor: the training data.
type KNNModel struct {
	K        int       `json:"k"`
	Distance bool      `json:"distance,omitempty"`
	Cols     int       `json:"cols"`
	X        []float64 `json:"x"`
	Y        []float64 `json:"y"`
}

// Fit stores a copy of the training data.
func (k KNN) Fit(ctx context.Context, x []float64, cols int, y []float64) (*KNNModel, error) {
	if k.K < 0 {
		panic("ml: KNN.K must be >= 0")
	}
	kk := orDefault(k.K, 5)
	if _, err := checkXY("knn", x, cols, y, kk); err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "knn"); err != nil {
		return nil, err
	}
	return &KNNModel{K: kk, Distance: k.Distance, Cols: cols,
		X: append([]float64(nil), x...), Y: append([]float64(nil), y...)}, nil
}

// knnStack is the neighbour count up to which Predict keeps its
// candidates on the stack and allocates nothing.
const knnStack = 32

// Predict returns the (weighted) mean target of the K nearest training
// rows. Ties in distance go to the earlier training row.
func (m *KNNModel) Predict(x []float64) float64 {
	checkRow("KNNModel", x, m.Cols)
	var dBuf [knnStack]float64
	var iBuf [knnStack]int
	var dist []float64
	var idx []int
	if m.K <= knnStack {
		dist, idx = dBuf[:0], iBuf[:0]
	} else {
		dist, idx = make([]float64, 0, m.K), make([]int, 0, m.K)
	}
	// Keep the K smallest squared distances sorted ascending by
	// insertion: K is small, so this beats a heap.
	n := len(m.Y)
	for i := 0; i < n; i++ {
		row := m.X[i*m.Cols : (i+1)*m.Cols]
		// Partial distances: once K candidates are held, give up on a
		// row as soon as its running sum passes the K-th best. Most rows
		// are far, so this skips most of the arithmetic without changing
		// the answer (the sums are the same, in the same order).
		worst := math.Inf(1)
		if len(dist) == m.K {
			worst = dist[m.K-1]
		}
		var d float64
		j := 0
		for ; j+4 <= len(row); j += 4 {
			r, q := row[j:j+4:j+4], x[j:j+4:j+4]
			t0, t1, t2, t3 := r[0]-q[0], r[1]-q[1], r[2]-q[2], r[3]-q[3]
			d += t0*t0 + t1*t1 + t2*t2 + t3*t3
			if d >= worst {
				break
			}
		}
		if d >= worst {
			continue
		}
		for ; j < len(row); j++ {
			t := row[j] - x[j]
			d += t * t
		}
		if d >= worst {
			continue
		}
		if len(dist) < m.K {
			dist, idx = append(dist, 0), append(idx, 0)
		}
		p := len(dist) - 1
		for p > 0 && dist[p-1] > d {
			dist[p], idx[p] = dist[p-1], idx[p-1]
			p--
		}
		dist[p], idx[p] = d, i
	}
	if !m.Distance {
		var s float64
		for _, i := range idx {
			s += m.Y[i]
		}
		return s / float64(len(idx))
	}
	if dist[0] == 0 {
		// Exact matches take all the weight, equally.
		var s float64
		c := 0
		for p, d := range dist {
			if d == 0 {
				s += m.Y[idx[p]]
				c++
			}
		}
		return s / float64(c)
	}
	var s, ws float64
	for p, d := range dist {
		w := 1 / math.Sqrt(d)
		s += w * m.Y[idx[p]]
		ws += w
	}
	return s / ws
}

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it.
func (m *KNNModel) PredictBatch(dst, x []float64) []float64 {
	return predictBatch(dst, x, m.Cols, m.Predict)
}

func (m *KNNModel) String() string { return fmt.Sprintf("KNNModel(k=%d, %d rows)", m.K, len(m.Y)) }
