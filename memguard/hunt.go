package memguard

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// HuntResult is the outcome of a leak hunt.
type HuntResult struct {
	// Culprits names the candidates found leaking, sorted. Each was
	// quarantined.
	Culprits []string `json:"culprits"`
	// Candidates holds the figures of every candidate, sorted by name.
	Candidates []Candidate `json:"candidates"`
}

// Candidate is the figures of one candidate of a hunt.
type Candidate struct {
	Name string `json:"name"`
	Runs int    `json:"runs"`
	// Culprit says whether the candidate was found leaking, and Reason
	// why or why not, with numbers.
	Culprit bool   `json:"culprit"`
	Reason  string `json:"reason"`
	// SlopeBytesPerRun is the least-squares growth of cumulative retained
	// bytes per run after the warm-up; PositiveFraction the fraction of
	// those runs that retained more than zero bytes.
	SlopeBytesPerRun float64 `json:"slope_bytes_per_run"`
	PositiveFraction float64 `json:"positive_fraction"`
	// MeanRetainedBytes is the mean retained bytes per run after the
	// warm-up.
	MeanRetainedBytes float64 `json:"mean_retained_bytes"`
	// LeakyGoroutineRuns is the number of runs that left goroutines
	// running; LeakedGoroutines the total they left.
	LeakyGoroutineRuns int `json:"leaky_goroutine_runs"`
	LeakedGoroutines   int `json:"leaked_goroutines"`
	// TopGrowth is the growing allocation sites of the last run, and
	// LeakedGoroutineStacks the leaked goroutines of the last run that
	// leaked any.
	TopGrowth             []Site      `json:"top_growth,omitempty"`
	LeakedGoroutineStacks []Goroutine `json:"leaked_goroutine_stacks,omitempty"`
	// ReportIDs are the reports of the candidate's runs, first to last.
	ReportIDs []string `json:"report_ids"`
	// Errors counts runs that returned an error; LastError is the last.
	Errors    int    `json:"errors"`
	LastError string `json:"last_error,omitempty"`
}

// Hunt runs each candidate alone, runs times in a row, with every run
// profiled at Options.HuntMemProfileRate, and names the candidates that
// leak: those whose retained bytes grow by more than the noise floor per
// run after a warm-up (with most runs retaining), or that leave goroutines
// running in most runs. Culprits are quarantined with the reason.
//
// Hunt holds the Guard exclusively: it waits for runs in flight and runs
// started meanwhile wait for it. Candidates run in name order, each with
// a fresh history, kind "hunt:"+name and the label memguard_candidate. A
// candidate's error does not stop the hunt; ctx ending does, returning
// ctx's error with the figures gathered so far. runs must be at least 3.
func (g *Guard) Hunt(ctx context.Context, candidates map[string]func(ctx context.Context) error, runs int) (*HuntResult, error) {
	if runs < 3 {
		return nil, fmt.Errorf("memguard: hunt needs at least 3 runs per candidate, got %d", runs)
	}
	if err := g.gate.Acquire(ctx, gateWeight); err != nil {
		return nil, fmt.Errorf("memguard: hunt: %w", err)
	}
	defer g.gate.Release(gateWeight)
	defer g.setProfileRate(g.opts.HuntMemProfileRate)()

	// Leave at least two runs after the warm-up for a slope.
	warm := min(g.opts.WarmUp, runs-2)
	res := &HuntResult{Candidates: []Candidate{}, Culprits: []string{}}
	for _, name := range slices.Sorted(maps.Keys(candidates)) {
		fn := candidates[name]
		c := Candidate{Name: name}
		ks := &kindState{}
		retained := make([]int64, 0, runs)
		for range runs {
			if err := ctx.Err(); err != nil {
				res.Candidates = append(res.Candidates, c)
				return res, fmt.Errorf("memguard: hunt: %w", err)
			}
			rep, err := g.run(ctx, "hunt:"+name, fn, ks, true, map[string]string{"memguard_candidate": name})
			c.Runs++
			c.ReportIDs = append(c.ReportIDs, rep.ID)
			if err != nil {
				c.Errors++
				c.LastError = err.Error()
			}
			retained = append(retained, rep.RetainedBytes)
			if n := rep.Verdict.LeakedGoroutines; n > 0 {
				c.LeakyGoroutineRuns++
				c.LeakedGoroutines += n
				c.LeakedGoroutineStacks = rep.LeakedGoroutines
			}
			c.TopGrowth = rep.TopGrowth
		}
		g.judgeCandidate(&c, retained[warm:])
		if c.Culprit {
			res.Culprits = append(res.Culprits, name)
			g.Quarantine(name, "hunt: "+c.Reason)
		}
		res.Candidates = append(res.Candidates, c)
	}
	return res, nil
}

// judgeCandidate decides whether a candidate leaks from its post-warm-up
// retained bytes and goroutine figures.
func (g *Guard) judgeCandidate(c *Candidate, retained []int64) {
	ps := make([]point, len(retained)+1)
	var cum, sum int64
	for i, r := range retained {
		cum += r
		sum += r
		ps[i+1] = point{run: i + 1, cum: float64(cum)}
	}
	// ps[0] is the origin, so each run's retained bytes is an increment.
	c.SlopeBytesPerRun, c.PositiveFraction = fit(ps)
	c.MeanRetainedBytes = float64(sum) / float64(len(retained))
	floor := float64(g.opts.NoiseFloorBytes)
	var why []string
	if c.SlopeBytesPerRun > floor && c.PositiveFraction >= g.opts.MinPositiveFraction {
		why = append(why, fmt.Sprintf("retained heap grows %.0f B per run over %d runs (noise floor %d B), %.0f%% of runs retaining",
			c.SlopeBytesPerRun, len(retained), g.opts.NoiseFloorBytes, 100*c.PositiveFraction))
		if len(c.TopGrowth) > 0 {
			s := c.TopGrowth[0]
			why = append(why, fmt.Sprintf("top site %s (%s:%d) +%d B", s.Function, s.File, s.Line, s.Bytes))
		}
	}
	if 2*c.LeakyGoroutineRuns > c.Runs {
		why = append(why, fmt.Sprintf("%d of %d runs left goroutines running (%d in all)", c.LeakyGoroutineRuns, c.Runs, c.LeakedGoroutines))
		if len(c.LeakedGoroutineStacks) > 0 {
			why = append(why, "in "+c.LeakedGoroutineStacks[0].Function)
		}
	}
	if len(why) > 0 {
		c.Culprit = true
		c.Reason = strings.Join(why, "; ")
		return
	}
	c.Reason = "clean: slope " + strconv.FormatFloat(c.SlopeBytesPerRun, 'f', 0, 64) +
		" B per run within the noise floor of " + strconv.FormatInt(g.opts.NoiseFloorBytes, 10) +
		" B, " + strconv.Itoa(c.LeakyGoroutineRuns) + " runs leaving goroutines"
}
