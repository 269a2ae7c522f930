package forecast

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Metrics are the accuracy measures of a forecast against actuals.
type Metrics struct {
	MAE   float64 `json:"mae"`
	RMSE  float64 `json:"rmse"`
	MAPE  float64 `json:"mape"` // percent, over non-zero actuals; NaN if none
	SMAPE float64 `json:"smape"`
	MASE  float64 `json:"mase"`
	RMSSE float64 `json:"rmsse"`
	WAPE  float64 `json:"wape"` // sum|e| / sum|y|
	Bias  float64 `json:"bias"` // mean(f - y)
}

// scales are the in-sample naive errors MASE and RMSSE divide by.
type scales struct{ mae, mse float64 }

// naiveScales computes the mean absolute and squared seasonal differences
// of the training history at lag m, falling back to lag 1 when the
// seasonal difference is undefined or zero, and to the mean level when
// the history is constant, so that a metric is finite whenever it can be.
func naiveScales(train []float64, m int) scales {
	for _, lag := range []int{m, 1} {
		if lag < 1 || len(train) <= lag {
			continue
		}
		var a, s float64
		for i := lag; i < len(train); i++ {
			d := train[i] - train[i-lag]
			a += math.Abs(d)
			s += d * d
		}
		n := float64(len(train) - lag)
		if a > 0 {
			return scales{a / n, s / n}
		}
	}
	var lvl float64
	for _, v := range train {
		lvl += math.Abs(v)
	}
	if len(train) > 0 {
		lvl /= float64(len(train))
	}
	if lvl == 0 {
		lvl = 1
	}
	return scales{lvl, lvl * lvl}
}

// metricSums accumulates the sums behind Metrics so folds can be pooled.
type metricSums struct {
	n, nz                         int
	abs, sq, ape, sape, err, absY float64
	scaledAbs, scaledSq           float64
}

func (s *metricSums) add(y, f []float64, sc scales) {
	for i := range y {
		e := f[i] - y[i]
		s.n++
		s.abs += math.Abs(e)
		s.sq += e * e
		s.err += e
		s.absY += math.Abs(y[i])
		if y[i] != 0 {
			s.nz++
			s.ape += math.Abs(e / y[i])
		}
		if d := math.Abs(y[i]) + math.Abs(f[i]); d > 0 {
			s.sape += 2 * math.Abs(e) / d
		}
		s.scaledAbs += math.Abs(e) / sc.mae
		s.scaledSq += e * e / sc.mse
	}
}

func (s *metricSums) metrics() Metrics {
	if s.n == 0 {
		nan := math.NaN()
		return Metrics{nan, nan, nan, nan, nan, nan, nan, nan}
	}
	n := float64(s.n)
	m := Metrics{
		MAE:   s.abs / n,
		RMSE:  math.Sqrt(s.sq / n),
		MAPE:  math.NaN(),
		SMAPE: 100 * s.sape / n,
		MASE:  s.scaledAbs / n,
		RMSSE: math.Sqrt(s.scaledSq / n),
		Bias:  s.err / n,
	}
	if s.nz > 0 {
		m.MAPE = 100 * s.ape / float64(s.nz)
	}
	if s.absY > 0 {
		m.WAPE = s.abs / s.absY
	} else if s.abs == 0 {
		m.WAPE = 0
	} else {
		m.WAPE = math.Inf(1)
	}
	return m
}

// Metric names the accuracy measure that ranks the candidates, by its
// name among the JSON fields of Metrics. Options.Validate (or
// ParseMetric) checks a value once, where it enters; past that, an
// unknown value is a programmer error.
type Metric string

// The ranking metrics.
const (
	MetricMASE  Metric = "mase" // the default
	MetricMAE   Metric = "mae"
	MetricRMSE  Metric = "rmse"
	MetricMAPE  Metric = "mape"
	MetricSMAPE Metric = "smape"
	MetricRMSSE Metric = "rmsse"
	MetricWAPE  Metric = "wape"
)

// metricNames are the metrics ParseMetric accepts, in the order its
// error lists them.
var metricNames = []Metric{MetricMASE, MetricMAE, MetricRMSE, MetricMAPE, MetricSMAPE, MetricRMSSE, MetricWAPE}

// ParseMetric returns the ranking metric named s: mase, mae, rmse, mape,
// smape, rmsse or wape.
func ParseMetric(s string) (Metric, error) {
	for _, m := range metricNames {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("forecast: unknown metric %q (want one of %v)", s, metricNames)
}

// rankValue is the value of the ranking metric.
func (m Metrics) rankValue(by Metric) float64 {
	switch by {
	case MetricMASE:
		return m.MASE
	case MetricMAE:
		return m.MAE
	case MetricRMSE:
		return m.RMSE
	case MetricMAPE:
		return m.MAPE
	case MetricSMAPE:
		return m.SMAPE
	case MetricRMSSE:
		return m.RMSSE
	case MetricWAPE:
		return m.WAPE
	default:
		panic(fmt.Sprintf("forecast: unknown metric %q", by))
	}
}

// metricField is one of the Metrics by its JSON name.
type metricField struct {
	name string
	v    *float64
}

// fields lists m's fields by their JSON names, in the order MarshalJSON
// writes them: the one list both directions of the encoding follow.
func (m *Metrics) fields() [8]metricField {
	return [8]metricField{{"mae", &m.MAE}, {"rmse", &m.RMSE}, {"mape", &m.MAPE}, {"smape", &m.SMAPE},
		{"mase", &m.MASE}, {"rmsse", &m.RMSSE}, {"wape", &m.WAPE}, {"bias", &m.Bias}}
}

// MarshalJSON writes non-finite values (a MAPE over all-zero actuals, a
// metric of a failed candidate) as null, which JSON can carry.
func (m Metrics) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range m.fields() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		b = appendNum(b, *f.v)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON wrote; null (or a missing field)
// becomes NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, f := range m.fields() {
		*f.v = math.NaN()
		if v := raw[f.name]; v != nil {
			*f.v = *v
		}
	}
	return nil
}

func appendNum(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
