package forecast

import (
	"context"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"

	"github.com/forecastd/forecastd/models"
)

// labelSpy records the profile labels its fits and forecasts run under.
type labelSpy struct {
	mu   *sync.Mutex
	seen *[]string
}

func (s labelSpy) record(ctx context.Context, step string) {
	model, _ := pprof.Label(ctx, LabelModel)
	fit, _ := pprof.Label(ctx, LabelFit)
	phase, _ := pprof.Label(ctx, LabelPhase)
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.seen = append(*s.seen, step+" "+model+" "+fit+" "+phase)
}

func (s labelSpy) Fit(ctx context.Context, _ models.Input) (models.Fitted, error) {
	s.record(ctx, "fit")
	return s, nil
}

func (s labelSpy) Forecast(ctx context.Context, _ models.Input, h int) ([]float64, error) {
	s.record(ctx, "forecast")
	return make([]float64, h), nil
}

// TestFitsCarryProfileLabels: every fit and forecast of a tournament
// runs under the model's name, its fold (or "final") and its phase, the
// labels memguard names a budget trip or a leaked goroutine by; a
// refresh's forecasts run under the refresh phase.
func TestFitsCarryProfileLabels(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	spy := labelSpy{&mu, &seen}
	sp := models.Spec{Name: "labelspy", Family: "test", New: func() models.Forecaster { return spy },
		Load: func([]byte) (models.Fitted, error) { return spy, nil }}
	s := demoSeries(t, 1)[0]
	out, err := Tournament(context.Background(), s, Options{Horizon: 7, Windows: 3, Candidates: []models.Spec{sp}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"fit labelspy 0 backtest", "forecast labelspy 0 backtest",
		"fit labelspy 1 backtest", "forecast labelspy 1 backtest",
		"fit labelspy 2 backtest", "forecast labelspy 2 backtest",
		"fit labelspy final refit", "forecast labelspy final refit",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("tournament labels\n got %q\nwant %q", seen, want)
	}
	seen = nil
	reg, err := models.NewRegistry(sp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Refresh(context.Background(), s, out.Result, out.Kept, reg); err != nil {
		t.Fatal(err)
	}
	if want := []string{"forecast labelspy final refresh"}; !slices.Equal(seen, want) {
		t.Errorf("refresh labels %q, want %q", seen, want)
	}
}
