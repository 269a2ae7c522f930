package api

import (
	"context"
	"sync"
	"testing"

	"github.com/forecastd/forecastd/models"
)

// gate holds a test's jobs in "running": the fits of its candidate wait
// until the gate opens (or their job is cancelled), so a test that must
// act while a job runs sees it running however fast the machine trains.
type gate struct {
	open chan struct{}
	once sync.Once
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

// release opens the gate: waiting fits go on, later ones do not wait.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// registry is the standard registry plus the candidate "gate", a naive
// forecaster behind the gate.
func (g *gate) registry(t *testing.T) *models.Registry {
	t.Helper()
	reg := models.Standard()
	naive, ok := reg.Lookup("naive")
	if !ok {
		t.Fatal("no naive model")
	}
	err := reg.Register(models.Spec{Name: "gate", Family: "baseline", Doc: "naive, once the test's gate opens",
		New: func() models.Forecaster { return gatedNaive{g: g, inner: naive.New()} }, Load: naive.Load})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

type gatedNaive struct {
	g     *gate
	inner models.Forecaster
}

func (m gatedNaive) Fit(ctx context.Context, in models.Input) (models.Fitted, error) {
	select {
	case <-m.g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return m.inner.Fit(ctx, in)
}
