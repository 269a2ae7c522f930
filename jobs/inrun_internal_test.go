package jobs

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/internal/logbuf"
	"github.com/forecastd/forecastd/memguard"
)

// TestInRunCheckHoldsTheBatch: the in-run check counts a streamed job's
// loaded batch as held and its staged results as gone (they are in the
// store). Batches that grow (a 30,490-series job's 1,490-series last
// batch after 1,000-series ones) are no leak; a fit that keeps 32 KiB a
// series is one, though each series stages 64 KiB of results (counted
// as held, they hid it).
func TestInRunCheckHoldsTheBatch(t *testing.T) {
	batchOf := func(series, points int) []*data.Series {
		out := make([]*data.Series, series)
		for i := range out {
			out[i] = &data.Series{Values: make([]float64, points)}
		}
		return out
	}
	run := func(t *testing.T, leakPerSeries int) string {
		guard, err := memguard.New(memguard.Options{CheckpointOverhead: 1})
		if err != nil {
			t.Fatal(err)
		}
		var logs logbuf.Buffer
		r := &Runner{Guard: guard}
		c := r.newInRunCheck(slog.New(slog.NewTextHandler(&logs, nil)), nil)
		var kept [][]byte
		_, err = guard.Run(context.Background(), "train", func(ctx context.Context) error {
			for b := range 12 {
				// Each batch 256 KiB larger than the one before.
				batch := batchOf(8, 4096*(b+1))
				c.hold(batch)
				for _, s := range batch {
					s.Values[0]++ // the fits read the batch to its end
					if leakPerSeries > 0 {
						kept = append(kept, make([]byte, leakPerSeries))
					}
					c.staged(ctx, 64<<10)
				}
				runtime.KeepAlive(batch)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = kept
		return logs.String()
	}
	if logs := run(t, 0); strings.Contains(logs, "memory leak within the job") {
		t.Errorf("growing batches, nothing kept: judged a leak:\n%s", logs)
	}
	if logs := run(t, 32<<10); !strings.Contains(logs, "memory leak within the job") {
		t.Errorf("32 KiB kept a series, 64 KiB of results staged a series: no leak found:\n%s", logs)
	}
}
