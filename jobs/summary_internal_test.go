package jobs

import (
	"fmt"
	"testing"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
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
	tl.trained(true)
	s := tl.summary(152)
	if s.SeriesTotal != 152 || s.Excluded != 150 || s.Failed != 1 || s.Trained != 1 || s.Fallback != 1 ||
		len(s.Warnings) != MaxWarnings || s.WarningsOmitted != 51 || s.Warnings[0].Kind != WarnExcluded {
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
