package arima

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScratchProf(t *testing.T) {
	for _, name := range []string{"/tmp/sid/s8i25.txt", "/tmp/sid/s10i24.txt"} {
		b, _ := os.ReadFile(name)
		var y []float64
		for _, f := range strings.Fields(string(b)) {
			v, _ := strconv.ParseFloat(f, 64)
			y = append(y, v)
		}
		st := time.Now()
		res, err := Auto(context.Background(), y, 7, nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(name, res.Model.Order, res.Model.HasMean, res.Model.HasDrift, len(res.Tried), time.Since(st))
	}
}
