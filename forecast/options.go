package forecast

import (
	"fmt"

	"github.com/forecastd/forecastd/models"
)

// Options configure a tournament. Zero fields take the documented
// defaults; Validate reports what is out of range.
type Options struct {
	// Horizon is the number of steps to forecast (required, 1..1000).
	Horizon int `json:"horizon"`
	// TopK is how many candidates are kept and combined; default 5.
	TopK int `json:"top_k"`
	// Windows is the number of rolling-origin backtest folds; default 3.
	Windows int `json:"backtest_windows"`
	// Step is the distance between fold origins; default Horizon.
	Step int `json:"step"`
	// Season overrides the frequency's default season length when > 0.
	Season int `json:"season"`
	// Metric ranks the candidates: mase (default), mae, rmse, mape,
	// smape, rmsse or wape.
	Metric Metric `json:"metric"`
	// Combine is how the kept forecasts are combined: inverse (default:
	// weights proportional to 1/metric, the best of the three on both
	// holdouts in bench/accuracy), mean, or median.
	Combine Combination `json:"combine"`
	// MinTrain is the shortest history a fold trains on; default two
	// seasons and at least 14 points.
	MinTrain int `json:"min_train"`
	// Racing is how the backtest spends its fits: fast (default: a
	// candidate stops early when, even doing on its remaining folds half
	// as badly as on those it ran, it would not reach the top TopK),
	// exact (it stops only when it cannot reach the top TopK: the same
	// kept models and forecasts as full evaluation) or off (every
	// candidate on every fold, the reference).
	Racing Racing `json:"-"`
	// Workers bounds the series trained at once; default GOMAXPROCS.
	Workers int `json:"-"`
	// Candidates are the models in the tournament; default the
	// registry's default set.
	Candidates []models.Spec `json:"-"`
	// OnGlobal, when set, is told what training the global candidates'
	// pool cost, each time Run trains one (GlobalStats).
	OnGlobal func(GlobalStats) `json:"-"`
	// Pool, when set, holds the global candidates' models for the series
	// of the kinds it was trained on (TrainPool): Run then trains none
	// for them. A job trains it once and passes it to every batch.
	Pool *Pool `json:"-"`

	// global holds the models of the global candidates, trained by Run
	// on all its series before the tournaments (forecast/global.go).
	global *globalPool
}

// Limits on job parameters, so one request cannot ask for unbounded work.
const (
	MaxHorizon = 1000
	MaxTopK    = 20
	MaxWindows = 20
)

// Validate checks o and fills defaults (except Candidates and Workers,
// which need the registry and the machine).
func (o *Options) Validate() error {
	if o.Horizon < 1 || o.Horizon > MaxHorizon {
		return fmt.Errorf("forecast: horizon %d out of range 1..%d", o.Horizon, MaxHorizon)
	}
	if o.TopK == 0 {
		o.TopK = 5
	}
	if o.TopK < 1 || o.TopK > MaxTopK {
		return fmt.Errorf("forecast: top_k %d out of range 1..%d", o.TopK, MaxTopK)
	}
	if o.Windows == 0 {
		o.Windows = 3
	}
	if o.Windows < 1 || o.Windows > MaxWindows {
		return fmt.Errorf("forecast: backtest_windows %d out of range 1..%d", o.Windows, MaxWindows)
	}
	if o.Step == 0 {
		o.Step = o.Horizon
	}
	if o.Step < 1 || o.Step > MaxHorizon {
		return fmt.Errorf("forecast: step %d out of range 1..%d", o.Step, MaxHorizon)
	}
	if o.Season < 0 || o.Season > 1000 {
		return fmt.Errorf("forecast: season %d out of range 0..1000", o.Season)
	}
	if o.Metric == "" {
		o.Metric = MetricMASE
	}
	if _, err := ParseMetric(string(o.Metric)); err != nil {
		return err
	}
	if o.Combine == "" {
		o.Combine = CombineInverse
	}
	if _, err := ParseCombination(string(o.Combine)); err != nil {
		return err
	}
	if o.Racing == "" {
		o.Racing = RacingFast
	}
	if _, err := ParseRacing(string(o.Racing)); err != nil {
		return err
	}
	if o.MinTrain < 0 {
		return fmt.Errorf("forecast: min_train %d is negative", o.MinTrain)
	}
	return nil
}
