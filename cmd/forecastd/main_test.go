package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/data"
)

// writeDemo writes a small demo sales file in the upload format.
func writeDemo(t *testing.T, o data.DemoOptions) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("date,store,sku,quantity,promo\n")
	for _, ob := range data.Demo(o) {
		date := ob.Date.Format("2006-01-02")
		fmt.Fprintf(&b, "%s,%s,%s,%g,%g\n", date, ob.Key.Store, ob.Key.SKU, ob.Quantity, ob.Covariates["promo"])
	}
	p := filepath.Join(t.TempDir(), "sales.csv")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTrainCommand(t *testing.T) {
	in := writeDemo(t, data.DemoOptions{Stores: 1, SKUs: 3, Days: 200})
	out := filepath.Join(t.TempDir(), "fc.csv")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"train", "-data", in, "-horizon", "14", "-top-k", "2",
		"-models", "naive,seasonal_naive,ses,ridge", "-out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "3/3 series") || !strings.Contains(stderr.String(), "(daily)") {
		t.Errorf("progress on stderr: %q", stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "store,sku,date,forecast,lower,upper" || len(rows) != 1+3*14 {
		t.Fatalf("forecast file: header %v, %d rows", rows[0], len(rows))
	}
	if rows[1][2] != "2026-11-01" {
		t.Errorf("first forecast date %s", rows[1][2])
	}

	// Bad input: a clear error, exit 1, and no output file written.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("date,store,sku,quantity\n2026-01-01,S,A,x\n"), 0o644)
	out2 := filepath.Join(t.TempDir(), "none.csv")
	stderr.Reset()
	if code := run(context.Background(), []string{"train", "-data", bad, "-out", out2}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "line 2") {
		t.Fatalf("bad input: exit %d, %q", code, stderr.String())
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Fatal("a failed train left an output file")
	}
	if code := run(context.Background(), []string{"train", "-data", in, "-models", "oracle"}, &stdout, &stderr); code != 1 {
		t.Fatalf("unknown model: exit %d", code)
	}
}

func TestModelsCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"models", "-json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var infos []struct {
		Name, Family string
		Default      bool
		Params       json.RawMessage
	}
	if err := json.Unmarshal(stdout.Bytes(), &infos); err != nil {
		t.Fatal(err)
	}
	families := map[string]bool{}
	defaults := 0
	for _, in := range infos {
		families[in.Family] = true
		if in.Default {
			defaults++
		}
		if len(in.Params) == 0 {
			t.Errorf("%s has no params", in.Name)
		}
	}
	if len(infos) < 20 || defaults < 6 || len(families) < 6 {
		t.Fatalf("%d models, %d default, families %v", len(infos), defaults, families)
	}
}

func TestFeaturesCommand(t *testing.T) {
	in := writeDemo(t, data.DemoOptions{Stores: 1, SKUs: 2, Days: 60})
	out := filepath.Join(t.TempDir(), "features.csv")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"features", "-data", in, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, _ := os.Open(out)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+2*60 || rows[0][0] != "store" || rows[0][3] != "quantity" || len(rows[0]) < 10 {
		t.Fatalf("features table: %d rows, header %v", len(rows), rows[0])
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"features", "-data", in, "-describe"}, &stdout, &stderr); code != 0 {
		t.Fatalf("describe exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "roll_mean_7") {
		t.Fatalf("describe output lacks roll_mean_7:\n%s", stdout.String())
	}
}
