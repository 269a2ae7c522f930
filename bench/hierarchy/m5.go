package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast/hierarchy"
)

// m5Start is the date of d_1 in M5's sales files.
var m5Start = time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC)

// readM5 reshapes M5's wide sales file (id,item_id,dept_id,cat_id,
// store_id,state_id,d_1..d_N: one row per item and store, one column per
// day from 2011-01-29) into daily series keyed {store_id, item_id}, and
// their attributes dept_id, cat_id and state_id, as POST
// /v1/series/attributes would store them.
func readM5(path string) ([]*data.Series, hierarchy.SeriesAttributes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	r := csv.NewReader(bufio.NewReader(f))
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"item_id", "dept_id", "cat_id", "store_id", "state_id", "d_1"} {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("%s: no column %s: not M5's wide layout", path, c)
		}
	}
	first := col["d_1"]
	var series []*data.Series
	attrs := hierarchy.SeriesAttributes{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		k := data.Key{Store: rec[col["store_id"]], SKU: rec[col["item_id"]]}
		v := make([]float64, len(rec)-first)
		for i := range v {
			if v[i], err = strconv.ParseFloat(rec[first+i], 64); err != nil {
				return nil, nil, fmt.Errorf("%s: line %d: %s: %w", path, line, header[first+i], err)
			}
		}
		series = append(series, &data.Series{Key: k, Freq: data.Daily, Start: m5Start, Values: v})
		attrs[k] = map[string]string{"dept_id": rec[col["dept_id"]], "cat_id": rec[col["cat_id"]], "state_id": rec[col["state_id"]]}
	}
	return series, attrs, nil
}
