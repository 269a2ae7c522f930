package memguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/memguard"
)

func TestRunBasics(t *testing.T) {
	g, err := memguard.New(memguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := memguard.WithLabels(context.Background(), "model", "ets")
	errBoom := errors.New("boom")
	rep, err := g.Run(ctx, "fit", func(ctx context.Context) error {
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Run error = %v, want wrapping %v", err, errBoom)
	}
	if rep == nil {
		t.Fatal("nil report for a failed run")
	}
	if rep.Kind != "fit" || rep.Labels["model"] != "ets" || rep.Run != 1 {
		t.Errorf("report kind %q labels %v run %d", rep.Kind, rep.Labels, rep.Run)
	}
	if rep.HeapLiveBefore <= 0 || rep.HeapLiveAfter <= 0 || rep.GoroutinesBefore <= 0 || rep.GoMemoryAfter <= 0 {
		t.Errorf("missing readings: %+v", rep)
	}
	if rep.RetainedBytes != rep.HeapLiveAfter-rep.HeapLiveBefore {
		t.Errorf("retained %d != after-before %d", rep.RetainedBytes, rep.HeapLiveAfter-rep.HeapLiveBefore)
	}
	if rep.Verdict.State != memguard.StateClean {
		t.Errorf("verdict %+v, want clean", rep.Verdict)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"retained_bytes"`, `"heap_live_before"`, `"goroutines_after"`, `"verdict":{"state":"clean"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
	got, ok := g.Report(rep.ID)
	if !ok || got != rep {
		t.Errorf("Report(%q) = %v, %v", rep.ID, got, ok)
	}
	if rs := g.Reports(); len(rs) != 1 || rs[0] != rep {
		t.Errorf("Reports() = %v", rs)
	}
}

func TestReportsRing(t *testing.T) {
	g, err := memguard.New(memguard.Options{KeepReports: 3, GoroutineGrace: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 5 {
		rep, err := g.Run(context.Background(), "k", func(context.Context) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rep.ID)
	}
	rs := g.Reports()
	if len(rs) != 3 {
		t.Fatalf("kept %d reports, want 3", len(rs))
	}
	for i, r := range rs {
		if want := ids[4-i]; r.ID != want {
			t.Errorf("Reports()[%d] = %s, want %s (latest first)", i, r.ID, want)
		}
	}
	if _, ok := g.Report(ids[0]); ok {
		t.Errorf("evicted report %s still found", ids[0])
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := memguard.New(memguard.Options{WarmUp: -1, MinPositiveFraction: 2}); err == nil {
		t.Fatal("New accepted negative WarmUp and MinPositiveFraction 2")
	}
}
