package ml

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

// golden is testdata/golden.json, written by testdata/make_golden.py with
// scikit-learn 1.2.1.
type golden struct {
	Splits map[string]int `json:"splits"`
	Linear map[string]struct {
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
		Scale     float64   `json:"scale"`
	} `json:"linear"`
	KNN     map[string][]float64 `json:"knn"`
	Holdout map[string]struct {
		R2  float64 `json:"r2"`
		MAE float64 `json:"mae"`
	} `json:"holdout"`
	// HGBTPredictions are HistGradientBoostingRegressor's predictions
	// of the real design's test rows, by loss ("squared_error",
	// "poisson", "tweedie_1.5", ...).
	HGBTPredictions map[string][]float64 `json:"hgbt_predictions_real"`
	// HGBTThresholds are its bin thresholds per feature of the real
	// design's training rows, duplicates dropped.
	HGBTThresholds [][]float64 `json:"hgbt_bin_thresholds_real"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatalf("missing golden file (run testdata/make_golden.py): %v", err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// readCSV reads every record of testdata/<name>.csv, written by
// testdata/make_golden.py; a missing file fails the test.
func readCSV(t testing.TB, name string) [][]string {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".csv")
	if err != nil {
		t.Fatalf("missing test data (run testdata/make_golden.py): %v", err)
	}
	defer func() { _ = f.Close() }() // read-only
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// design is a train/test split of one of the testdata design matrices.
type design struct {
	cols           int
	xTrain, yTrain []float64
	xTest, yTest   []float64
	xAll, yAll     []float64
	nTrain         int
}

// loadDesign reads testdata/<name>.csv (target in column "y", then the
// features) and splits it at the row count golden.json gives.
func loadDesign(t testing.TB, g golden, name string) design {
	t.Helper()
	recs := readCSV(t, name)
	d := design{cols: len(recs[0]) - 1}
	for _, r := range recs[1:] {
		for j, s := range r {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			if j == 0 {
				d.yAll = append(d.yAll, v)
			} else {
				d.xAll = append(d.xAll, v)
			}
		}
	}
	nt, ok := g.Splits[name]
	if !ok {
		t.Fatalf("no split for %s in golden.json", name)
	}
	d.nTrain = nt
	d.xTrain, d.yTrain = d.xAll[:nt*d.cols], d.yAll[:nt]
	d.xTest, d.yTest = d.xAll[nt*d.cols:], d.yAll[nt:]
	return d
}

func r2(y, p []float64) float64 {
	m := mean(y)
	var ss, st float64
	for i := range y {
		ss += (y[i] - p[i]) * (y[i] - p[i])
		st += (y[i] - m) * (y[i] - m)
	}
	return 1 - ss/st
}

func maeOf(y, p []float64) float64 {
	var s float64
	for i := range y {
		s += math.Abs(y[i] - p[i])
	}
	return s / float64(len(y))
}

// close reports whether a and b agree to tol, absolutely for values
// below 1 in magnitude and relatively above.
func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}
