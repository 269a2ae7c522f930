package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data/demo"
)

// TestTrainStreamedMatchesWhole trains one file grouped by series, which
// train streams in batches (of 2 series here), and the same rows
// interleaved, which it must read whole: the forecast files are
// identical.
func TestTrainStreamedMatchesWhole(t *testing.T) {
	defer func(n int) { trainBatch = n }(trainBatch)
	trainBatch = 2
	dir := t.TempDir()
	var grouped bytes.Buffer
	if _, err := demo.WriteM5(context.Background(), &grouped, demo.M5Options{Stores: 1, SKUs: 5, Days: 150, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	// Interleave: the header, then the rows in round-robin over series
	// (each series' rows keep their order).
	lines := strings.Split(strings.TrimSpace(grouped.String()), "\n")
	bySeries := map[string][]string{}
	var order []string
	for _, l := range lines[1:] {
		k := strings.Join(strings.Split(l, ",")[1:3], ",")
		if _, ok := bySeries[k]; !ok {
			order = append(order, k)
		}
		bySeries[k] = append(bySeries[k], l)
	}
	mixed := []string{lines[0]}
	for i := 0; len(mixed) < len(lines); i++ {
		for _, k := range order {
			if i < len(bySeries[k]) {
				mixed = append(mixed, bySeries[k][i])
			}
		}
	}
	train := func(name, content string) (string, string) {
		in := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(in, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name+".out.csv")
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"train", "-data", in, "-horizon", "7", "-top-k", "2",
			"-models", "naive,seasonal_naive,ses,croston_sba", "-out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), stderr.String()
	}
	streamed, log1 := train("grouped", grouped.String())
	whole, log2 := train("mixed", strings.Join(mixed, "\n")+"\n")
	if !strings.Contains(log1, "streaming 5 series (daily) in batches of 2") {
		t.Errorf("grouped file not streamed: %q", log1)
	}
	if !strings.Contains(log2, "reading the file whole") {
		t.Errorf("interleaved file not read whole: %q", log2)
	}
	if n := strings.Count(streamed, "\n"); n != 1+5*7 {
		t.Fatalf("streamed forecast file has %d lines, want %d", n, 1+5*7)
	}
	// Streamed, the forecasts come batch by batch, sorted within each;
	// read whole, sorted over the file: the same rows.
	sortLines := func(s string) string {
		l := strings.Split(strings.TrimSpace(s), "\n")
		slices.Sort(l[1:])
		return strings.Join(l, "\n")
	}
	if streamed, whole = sortLines(streamed), sortLines(whole); streamed != whole {
		t.Errorf("streamed forecasts differ from the whole file's:\n%s\nwhole:\n%s", streamed, whole)
	}
}
