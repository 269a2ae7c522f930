package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/ingest"
)

// writeDemo writes a small demo sales file in the upload format.
func writeDemo(t *testing.T, o demo.Options) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("date,store,sku,quantity,promo\n")
	for _, ob := range demo.Sales(o) {
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
	in := writeDemo(t, demo.Options{Stores: 1, SKUs: 3, Days: 200})
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
	rows := readCSVFile(t, out)
	if strings.Join(rows[0], ",") != "store,sku,date,forecast,lower,upper" || len(rows) != 1+3*14 {
		t.Fatalf("forecast file: header %v, %d rows", rows[0], len(rows))
	}
	if rows[1][2] != "2026-11-01" {
		t.Errorf("first forecast date %s", rows[1][2])
	}

	// Bad input: a clear error, exit 1, and no output file written.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("date,store,sku,quantity\n2026-01-01,S,A,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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

// TestTrainWithPlan: a plan file gives batch training the same planned
// covariates as the service: with a strong promotion effect, the forecast
// of the one planned promo day is well above the same weekday around it.
func TestTrainWithPlan(t *testing.T) {
	in := writeDemo(t, demo.Options{Stores: 1, SKUs: 1, Days: 400, PromoLift: 2})
	var plan bytes.Buffer
	plan.WriteString("date,store,sku,promo\n")
	for d := 1; d <= 14; d++ {
		promo := 0
		if d == 8 {
			promo = 1
		}
		fmt.Fprintf(&plan, "2026-11-%02d,S01,SKU001,%d\n", d, promo)
	}
	planPath := filepath.Join(t.TempDir(), "plan.csv")
	if err := os.WriteFile(planPath, plan.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fc.csv")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"train", "-data", in, "-covariates", planPath, "-horizon", "14",
		"-top-k", "2", "-models", "seasonal_naive,ridge", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != 15 {
		t.Fatalf("forecast file: %d rows, %v", len(rows), err)
	}
	value := func(day int) float64 {
		v, err := strconv.ParseFloat(rows[day][3], 64)
		if err != nil || rows[day][2] != fmt.Sprintf("2026-11-%02d", day) {
			t.Fatalf("row %d = %v (%v)", day, rows[day], err)
		}
		return v
	}
	if on, before := value(8), value(1); on < 1.3*before {
		t.Errorf("forecast %.2f on the planned promo day, %.2f a week before: want 30%% more", on, before)
	}

	// A bad plan is refused with its line, like a bad sales file.
	if err := os.WriteFile(planPath, []byte("date,store,sku,promo\n2026-11-01,S01,SKU001,yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"train", "-data", in, "-covariates", planPath, "-out", out}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "line 2") {
		t.Fatalf("bad plan: exit %d, %q", code, stderr.String())
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
	in := writeDemo(t, demo.Options{Stores: 1, SKUs: 2, Days: 60})
	out := filepath.Join(t.TempDir(), "features.csv")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"features", "-data", in, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rows := readCSVFile(t, out)
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

// TestUploadRulesAgree: `forecastd features` and `forecastd train` accept
// and refuse a sales file as the API's parser (ingest.ParseCSV) does, with
// the same words: line, column and reason.
func TestUploadRulesAgree(t *testing.T) {
	var good strings.Builder
	good.WriteString("date,store,sku,quantity\n")
	for d := range 60 {
		fmt.Fprintf(&good, "%s,S1,A,%d\n", time.Date(2024, 1, 1+d, 0, 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05"), d%7)
	}
	long := strings.Repeat("x", 129)
	cases := []struct {
		name, row string // row is added as line 62; "" for none
		want      string // in the refusal, "" when accepted
		negative  ingest.NegativePolicy
	}{
		{"pandas dates accepted", "", "", ""},
		{"bad date", "2024-02-30,S1,A,1", `line 62: date: date "2024-02-30" is not YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD HH:MM:SS`, ""},
		{"negative quantity refused", "2024-03-01,S1,A,-2", "line 62: quantity: -2 is negative", ingest.NegativeRefuse},
		{"negative quantity allowed", "2024-03-01,S1,A,-2", "", ""},
		{"control character in store", "2024-03-01,S\x011,A,1", "line 62: store: store contains a control character", ""},
		{"empty sku", "2024-03-01,S1, ,1", "line 62: sku: sku is empty", ""},
		{"NaN quantity", "2024-03-01,S1,A,NaN", `line 62: quantity: "NaN" is not a finite number`, ""},
		{"too long sku", "2024-03-01,S1," + long + ",1", "line 62: sku: sku is longer than 128 bytes", ""},
		{"too few fields", "2024-03-01,S1,A", "line 62: has 3 fields, header has 4", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := good.String()
			if c.row != "" {
				body += c.row + "\n"
			}
			_, perr := ingest.ParseCSVWith(strings.NewReader(body), &ingest.Options{Negative: c.negative}, func(data.Observation) error { return nil })
			if c.want == "" {
				if perr != nil {
					t.Fatalf("ParseCSV: %v", perr)
				}
			} else if perr == nil || !strings.Contains(perr.Error(), c.want) {
				t.Fatalf("ParseCSV: %v, want %q", perr, c.want)
			}
			in := filepath.Join(t.TempDir(), "sales.csv")
			if err := os.WriteFile(in, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"features", "-data", in, "-describe", "-quiet"},
				{"train", "-data", in, "-horizon", "7", "-top-k", "1", "-windows", "1", "-models", "naive", "-out", filepath.Join(t.TempDir(), "fc.csv")},
			} {
				if c.negative != "" {
					args = append(args[:1:1], append([]string{"-negative", string(c.negative)}, args[1:]...)...)
				}
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), args, &stdout, &stderr)
				if c.want == "" {
					if code != 0 {
						t.Fatalf("%s: exit %d: %s", args[0], code, stderr.String())
					}
					continue
				}
				// The whole refusal, as ParseCSV words it, after the file name.
				if code != 1 || !strings.Contains(stderr.String(), in+": "+perr.Error()) {
					t.Fatalf("%s: exit %d, %q; want %q", args[0], code, stderr.String(), perr.Error())
				}
			}
		})
	}
}

// readCSVFile reads the CSV file at path whole.
func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read-only
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
