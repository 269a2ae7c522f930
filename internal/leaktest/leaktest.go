// Package leaktest provides a candidate model that leaks on purpose, for
// the tests of memguard's verdicts and leak hunt across packages: each fit
// parks a buffer in a cache that only grows, the shape of the original
// service's pandas rolling min/max leak.
package leaktest

import (
	"context"
	"sync"

	"github.com/forecastd/forecastd/models"
)

// FitBytes is what every fit parks: 256 KiB, well above memguard's
// default noise floor of 64 KiB per run.
const FitBytes = 256 << 10

// Cache is where the leaky model parks its buffers. It is the test's to
// own; Release lets the memory go at the end.
type Cache struct {
	mu     sync.Mutex
	parked [][]float64
}

// Spec is a registrable candidate that forecasts its last value and
// leaks FitBytes into c on every fit.
func (c *Cache) Spec(name string) models.Spec {
	return models.Spec{Name: name, Family: "test", Doc: "leaks on purpose",
		New: func() models.Forecaster { return model{c} }, Load: models.LoadJSON[fit]}
}

// Release drops everything parked.
func (c *Cache) Release() {
	c.mu.Lock()
	c.parked = nil
	c.mu.Unlock()
}

type model struct{ c *Cache }

type fit struct{ Last float64 }

// Fit parks a buffer that nothing ever frees: the leak.
func (m model) Fit(_ context.Context, in models.Input) (models.Fitted, error) {
	buf := make([]float64, FitBytes/8)
	copy(buf, in.Y)
	m.c.mu.Lock()
	m.c.parked = append(m.c.parked, buf)
	m.c.mu.Unlock()
	return &fit{Last: in.Y[len(in.Y)-1]}, nil
}

func (f *fit) Forecast(_ context.Context, _ models.Input, h int) ([]float64, error) {
	out := make([]float64, h)
	for i := range out {
		out[i] = f.Last
	}
	return out, nil
}
