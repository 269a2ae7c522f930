package arima

import (
	"context"
	"testing"
	"time"
)

func TestScratchAuto(t *testing.T) {
	g := loadGolden(t)
	for _, s := range g.Series {
		st := time.Now()
		res, err := Auto(context.Background(), s.Y, s.M, nil)
		if err != nil {
			t.Logf("%s: %v", s.Name, err)
			continue
		}
		fc := res.Model.Forecast(s.H)
		t.Logf("%-18s %v mean=%v drift=%v AICc %.3f tried %d MASE %.3f %v", s.Name, res.Model.Order, res.Model.HasMean, res.Model.HasDrift, res.Model.AICc, len(res.Tried), mase(s.Y, s.Test, fc, s.M), time.Since(st))
	}
}
