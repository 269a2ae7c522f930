package jobs

import (
	"fmt"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
)

// TestSummaryBounded: a summary lists the first MaxWarnings warnings and
// counts the rest, when built and when partitions' summaries merge.
func TestSummaryBounded(t *testing.T) {
	bad := func(n int) []*sqlstore.UnassemblableError {
		out := make([]*sqlstore.UnassemblableError, n)
		for i := range out {
			out[i] = &sqlstore.UnassemblableError{Key: data.Key{Store: "S", SKU: fmt.Sprint(i)}, Reason: "r"}
		}
		return out
	}
	var tl tally
	tl.exclude(bad(150))
	tl.fail(data.Key{Store: "S", SKU: "F"}, fmt.Errorf("boom"), "S/F: boom")
	tl.trained(data.Key{Store: "S", SKU: "B"}, &forecast.Outcome{Result: &forecast.Result{Fallback: "fallback_mean"},
		Class: forecast.ClassFallback, Reason: "history too short"})
	s := tl.summary(152)
	if s.SeriesTotal != 152 || s.Excluded != 150 || s.Failed != 1 || s.Trained != 1 || s.Fallback != 1 ||
		len(s.Warnings) != MaxWarnings || s.WarningsOmitted != 52 || s.Warnings[0].Kind != WarnExcluded {
		t.Fatalf("summary = %+v", s)
	}
	var a, b tally
	a.exclude(bad(80))
	b.exclude(bad(80))
	m := &Summary{}
	m.merge(a.summary(80))
	m.merge(b.summary(80))
	if m.Excluded != 160 || len(m.Warnings) != MaxWarnings || m.WarningsOmitted != 60 {
		t.Fatalf("merged = %d excluded, %d warnings, %d omitted", m.Excluded, len(m.Warnings), m.WarningsOmitted)
	}
}

// TestSummaryClasses: every trained series is counted once by class, and
// those not full are named with the reason.
func TestSummaryClasses(t *testing.T) {
	var tl tally
	k := func(s string) data.Key { return data.Key{Store: "S", SKU: s} }
	tl.trained(k("full"), &forecast.Outcome{Result: &forecast.Result{}, Class: forecast.ClassFull})
	tl.trained(k("reduced"), &forecast.Outcome{Result: &forecast.Result{}, Class: forecast.ClassReduced, Reason: "1 of 3 folds fit"})
	tl.trained(k("fb"), &forecast.Outcome{Result: &forecast.Result{Fallback: "fallback_mean"}, Class: forecast.ClassFallback, Reason: "too short"})
	// A refresh of an old fallback result has no class: still a fallback.
	tl.trained(k("old"), &forecast.Outcome{Result: &forecast.Result{Fallback: "fallback_mean"}})
	s := tl.summary(4)
	if s.Trained != 4 || s.Full != 1 || s.Reduced != 1 || s.Fallback != 2 || len(s.Warnings) != 3 {
		t.Fatalf("summary = %+v", s)
	}
	for _, w := range s.Warnings {
		if w.Reason == "" || (w.Kind != WarnReduced && w.Kind != WarnFallback) {
			t.Errorf("warning %+v", w)
		}
	}
}
