package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUploadFlags: `forecastd features` and `train` read a file as
// exported with the flags that name its layout, as POST /v1/sales does
// with the query parameters of the same names.
func TestUploadFlags(t *testing.T) {
	const walmart = "../../../shared/data/walmart45/Walmart.csv"
	cases := []struct {
		name string
		args []string
		want string // in stdout, or in stderr when refused
		code int
	}{
		{"walmart as downloaded", []string{"features", "-data", walmart, "-describe", "-quiet",
			"-store", "Store", "-sku-const", "TOTAL", "-date", "Date", "-quantity", "Weekly_Sales"}, "fuel_price", 0},
		{"walmart without flags", []string{"features", "-data", walmart, "-describe", "-quiet"}, `missing columns "sku"`, 1},
		{"bad policy", []string{"train", "-data", walmart, "-negative", "drop"}, "want allow, clip or refuse", 1},
		{"bad date format", []string{"train", "-data", walmart, "-date-format", "%d/%q/%Y"}, "%q is not supported", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			out := stdout.String()
			if c.code != 0 {
				out = stderr.String()
			}
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, stdout %.300q, stderr %.300q; want exit %d with %q", code, stdout.String(), stderr.String(), c.code, c.want)
			}
		})
	}
}
