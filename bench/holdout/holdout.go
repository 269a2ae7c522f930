// Package holdout loads the held-out data sets the bench harnesses score
// on (M4 hourly, Kaggle store/item demand), so that bench/accuracy and
// bench/global read them the same way.
package holdout

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// M4Hourly reads the M4 hourly training and test sets from dir
// (m4_hourly/): the series, with their starts, and each one's 48
// held-out values.
func M4Hourly(dir string) ([]*data.Series, [][]float64, error) {
	ids, train, err := ReadWide(filepath.Join(dir, "Hourly-train.csv"))
	if err != nil {
		return nil, nil, err
	}
	_, test, err := ReadWide(filepath.Join(dir, "Hourly-test.csv"))
	if err != nil {
		return nil, nil, err
	}
	starts, err := M4Starts(filepath.Join(dir, "M4-info-hourly.csv"))
	if err != nil {
		return nil, nil, err
	}
	series := make([]*data.Series, len(ids))
	for i, id := range ids {
		series[i] = &data.Series{Key: data.Key{Store: "M4", SKU: id}, Freq: data.Hourly, Start: starts[id], Values: train[i]}
	}
	return series, test, nil
}

// ReadWide reads an M4 file: one series per row, the id first, values
// padded with empty cells.
func ReadWide(path string) ([]string, [][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var ids []string
	var out [][]float64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		var v []float64
		for _, s := range rec[1:] {
			if s == "" {
				break
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", path, rec[0], err)
			}
			v = append(v, x)
		}
		ids = append(ids, rec[0])
		out = append(out, v)
	}
	return ids, out, nil
}

// M4Starts reads each series' first timestamp ("1/7/15 12:00", day first).
func M4Starts(path string) (map[string]time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]time.Time{}
	for _, r := range recs[1:] {
		// The file mixes "d/m/yy h:mm" and "dd-mm-yy hh:mm".
		var t time.Time
		var err error
		for _, layout := range []string{"2/1/06 15:04", "02-01-06 15:04", "2/1/06 3:04", "02-01-06 3:04"} {
			if t, err = time.Parse(layout, r[5]); err == nil {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: start %q: %w", path, r[0], r[5], err)
		}
		out[r[0]] = t
	}
	return out, nil
}

// StoreItem reads the Kaggle store/item train.csv from its zip and
// assembles its 500 daily series.
func StoreItem(zipPath string) ([]*data.Series, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = zr.Close() }() // read-only
	var obs []data.Observation
	for _, f := range zr.File {
		if f.Name != "train.csv" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		err = readStoreItem(rc, &obs)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	series, err := ingest.Assemble(obs, data.Daily)
	if err != nil {
		return nil, err
	}
	return series, nil
}

// readStoreItem appends the rows of the Kaggle train.csv in r to obs.
func readStoreItem(r0 io.Reader, obs *[]data.Observation) error {
	r := csv.NewReader(r0)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		d, err := ingest.ParseDate(rec[0])
		if err != nil {
			return err
		}
		q, err := strconv.ParseFloat(rec[3], 64)
		if err != nil {
			return err
		}
		*obs = append(*obs, data.Observation{Date: d, Key: data.Key{Store: rec[1], SKU: rec[2]}, Quantity: q})
	}
	return nil
}
