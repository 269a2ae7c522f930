package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
)

// The upload checks refuse staged rows that would make their series
// unassemblable (limits.go), judged with what is already stored, so that
// a series that passes them can always be loaded. They report problems
// as an *ingest.ParseError with the upload's line numbers.

// checkDates refuses staged rows dated outside the date limits. It needs
// nothing stored, so it runs before the merge transaction.
func checkDates(ctx context.Context, q dbtx, st staging) (err error) {
	rs, err := q.QueryContext(ctx, `SELECT line, ts FROM `+st.table+` WHERE ts < $1 OR ts > $2 ORDER BY line LIMIT $3`,
		MinDateUnix, MaxDateUnix, ingest.MaxRowErrors+1)
	if err != nil {
		return fmt.Errorf("data: %s: check dates: %w", st.what, err)
	}
	defer closeRows(rs, &err)
	var errs []ingest.RowError
	for rs.Next() {
		var line, ts int64
		if err := rs.Scan(&line, &ts); err != nil {
			return fmt.Errorf("data: %s: check dates: %w", st.what, err)
		}
		errs = append(errs, ingest.RowError{Line: int(line), Column: "date", Reason: checkDate(ts).Error()})
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("data: %s: check dates: %w", st.what, err)
	}
	return rowErrors(st.subject, errs)
}

// rowErrors is the ParseError of errs, sorted by line and cut to
// ingest.MaxRowErrors; nil when there are none.
func rowErrors(subject string, errs []ingest.RowError) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	pe := &ingest.ParseError{Subject: subject, Errors: errs}
	if len(errs) > ingest.MaxRowErrors {
		pe.Errors, pe.More = errs[:ingest.MaxRowErrors], true
	}
	return pe
}

// uploadSeries is what the checks know of one series an upload touches.
type uploadSeries struct {
	firstLine int64 // the upload's first line of it
	names     map[string]struct{}
}

// touchedSeries lists the series of the staged table with their first line.
func touchedSeries(ctx context.Context, q dbtx, table string) (_ map[data.Key]*uploadSeries, err error) {
	rs, err := q.QueryContext(ctx, `SELECT store, sku, MIN(line) FROM `+table+` GROUP BY store, sku`)
	if err != nil {
		return nil, err
	}
	defer closeRows(rs, &err)
	out := map[data.Key]*uploadSeries{}
	for rs.Next() {
		var k data.Key
		var line int64
		if err := rs.Scan(&k.Store, &k.SKU, &line); err != nil {
			return nil, err
		}
		out[k] = &uploadSeries{firstLine: line, names: map[string]struct{}{}}
	}
	return out, rs.Err()
}

// addNames adds the covariate names a query yields, as (store, sku,
// name) rows or, with jsonObj, (store, sku, covariates object) rows.
func addNames(ctx context.Context, q dbtx, series map[data.Key]*uploadSeries, query string, jsonObj bool) (err error) {
	rs, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer closeRows(rs, &err)
	for rs.Next() {
		var k data.Key
		var v string
		if err := rs.Scan(&k.Store, &k.SKU, &v); err != nil {
			return err
		}
		u := series[k]
		if u == nil || len(u.names) > MaxSeriesCovariates {
			continue
		}
		if !jsonObj {
			u.names[v] = struct{}{}
			continue
		}
		var cov map[string]json.RawMessage
		if err := json.Unmarshal([]byte(v), &cov); err != nil {
			return fmt.Errorf("covariates of %s: %w", k, err)
		}
		for n := range cov {
			u.names[n] = struct{}{}
		}
	}
	return rs.Err()
}

// stagedSeries lists the series the staged table touches, with the
// covariate names its rows give them (stagedNames yields them: a query of
// the staged table, jsonObj as for addNames). It reads only the staged
// rows, so it runs before the merge transaction.
func stagedSeries(ctx context.Context, q dbtx, table, stagedNames string, jsonObj bool) (map[data.Key]*uploadSeries, error) {
	series, err := touchedSeries(ctx, q, table)
	if err != nil {
		return nil, err
	}
	if err := addNames(ctx, q, series, stagedNames, jsonObj); err != nil {
		return nil, err
	}
	return series, nil
}

// covariateErrors adds the names stored for each touched series, in its
// sales and its plan, and reports the series that would pass the limit.
func covariateErrors(ctx context.Context, tx dbtx, table string, series map[data.Key]*uploadSeries) ([]ingest.RowError, error) {
	keys := `(SELECT DISTINCT store, sku FROM ` + table + `) k`
	if err := addNames(ctx, tx, series, `SELECT s.store, s.sku, s.covariates FROM sales s JOIN `+keys+
		` ON s.store = k.store AND s.sku = k.sku WHERE s.covariates IS NOT NULL AND s.covariates <> ''`, true); err != nil {
		return nil, err
	}
	if err := addNames(ctx, tx, series, `SELECT DISTINCT p.store, p.sku, p.name FROM planned_covariates p JOIN `+keys+
		` ON p.store = k.store AND p.sku = k.sku`, false); err != nil {
		return nil, err
	}
	var errs []ingest.RowError
	for k, u := range series {
		if len(u.names) > MaxSeriesCovariates {
			errs = append(errs, ingest.RowError{Line: int(u.firstLine),
				Reason: fmt.Sprintf("series %s would have %v", k, errTooManyCovariates)})
		}
	}
	return errs, nil
}

// prepareSales reads what checkSales needs of the staged sales.
func prepareSales(ctx context.Context, q dbtx) (map[data.Key]*uploadSeries, error) {
	return stagedSeries(ctx, q, "upload_rows",
		`SELECT store, sku, covariates FROM upload_rows WHERE covariates IS NOT NULL AND covariates <> ''`, true)
}

// checkSales refuses staged sales that would leave a series with too
// many covariates, rows off its grid or too long a span.
func checkSales(ctx context.Context, tx dbtx, series map[data.Key]*uploadSeries) error {
	errs, err := covariateErrors(ctx, tx, "upload_rows", series)
	if err != nil {
		return fmt.Errorf("data: ingest: check covariates: %w", err)
	}
	grid, err := gridErrors(ctx, tx, series)
	if err != nil {
		return fmt.Errorf("data: ingest: check dates: %w", err)
	}
	return rowErrors("", append(errs, grid...))
}

// preparePlan reads what checkPlan needs of the staged plan.
func preparePlan(ctx context.Context, q dbtx) (map[data.Key]*uploadSeries, error) {
	return stagedSeries(ctx, q, "upload_plan", `SELECT DISTINCT store, sku, name FROM upload_plan`, false)
}

// checkPlan refuses staged planned values that would leave a series with
// too many covariates. Their dates need not be on the series' grid:
// loading ignores the ones that are not.
func checkPlan(ctx context.Context, tx dbtx, series map[data.Key]*uploadSeries) error {
	errs, err := covariateErrors(ctx, tx, "upload_plan", series)
	if err != nil {
		return fmt.Errorf("data: ingest covariates: check covariates: %w", err)
	}
	return rowErrors(ingest.PlanSubject, errs)
}

// gridErrors reads the dates of each touched series, stored and staged
// together, and reports staged rows off the series' grid and series
// whose span would pass the limit of their frequency. A series whose
// frequency cannot be inferred yet (too few rows) is not judged: more
// rows may settle it.
func gridErrors(ctx context.Context, q dbtx, series map[data.Key]*uploadSeries) (_ []ingest.RowError, err error) {
	rs, err := q.QueryContext(ctx, `SELECT store, sku, ts, line FROM (
		SELECT store, sku, ts, line FROM upload_rows
		UNION ALL
		SELECT s.store, s.sku, s.ts, NULL FROM sales s JOIN (SELECT DISTINCT store, sku FROM upload_rows) k
			ON s.store = k.store AND s.sku = k.sku) x
		ORDER BY store, sku, ts`)
	if err != nil {
		return nil, err
	}
	defer closeRows(rs, &err)
	var errs []ingest.RowError
	var key data.Key
	var dates, lines []int64
	flush := func() {
		if len(dates) > 0 {
			errs = append(errs, seriesGridErrors(key, series[key].firstLine, dates, lines)...)
		}
		dates, lines = dates[:0], lines[:0]
	}
	for rs.Next() {
		var k data.Key
		var ts int64
		var line sql.NullInt64
		if err := rs.Scan(&k.Store, &k.SKU, &ts, &line); err != nil {
			return nil, err
		}
		if k != key {
			flush()
			key = k
		}
		dates, lines = append(dates, ts), append(lines, line.Int64)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	flush()
	return errs, nil
}

// seriesGridErrors judges the sorted dates of series k (lines[i] is the
// upload's line of dates[i], 0 for a stored row).
func seriesGridErrors(k data.Key, firstLine int64, dates, lines []int64) []ingest.RowError {
	if len(dates) < 2 {
		return nil
	}
	times := make([]time.Time, len(dates))
	for i, ts := range dates {
		times[i] = time.Unix(ts, 0).UTC()
	}
	freq, err := data.InferFrequency(times)
	if err != nil {
		return nil
	}
	if err := checkSpan(freq, dates[0], dates[len(dates)-1]); err != nil {
		return []ingest.RowError{{Line: int(firstLine), Column: "date", Reason: fmt.Sprintf("series %s would span %v", k, err)}}
	}
	on := onGrid(freq, times)
	var errs []ingest.RowError
	storedOff := int64(-1)
	for i := range dates {
		switch {
		case on(i):
		case lines[i] > 0:
			errs = append(errs, ingest.RowError{Line: int(lines[i]), Column: "date",
				Reason: fmt.Sprintf("%s is not on the %s grid of series %s", formatTS(dates[i]), freq, k)})
		case storedOff < 0:
			storedOff = dates[i]
		}
	}
	if len(errs) == 0 && storedOff >= 0 {
		errs = append(errs, ingest.RowError{Line: int(firstLine), Column: "date", Reason: fmt.Sprintf(
			"series %s: its stored date %s would be off the %s grid this upload gives it", k, formatTS(storedOff), freq)})
	}
	return errs
}

// onGrid returns whether times[i] lies on the grid of freq most of times
// agree on: for a fixed step, the most common offset within a step (so
// one stray row is the one named, wherever it falls); for months, the
// grid from the first date, as Assemble lays it.
func onGrid(freq data.Frequency, times []time.Time) func(i int) bool {
	step := freq.StepSeconds()
	if step == 0 {
		return func(i int) bool {
			_, ok := freq.Steps(times[0], times[i])
			return ok
		}
	}
	residue := func(i int) int64 { return ((times[i].Unix() % step) + step) % step }
	counts := map[int64]int{}
	anchor, best := residue(0), 0
	for i := range times {
		r := residue(i)
		counts[r]++
		if counts[r] > best {
			anchor, best = r, counts[r]
		}
	}
	return func(i int) bool { return residue(i) == anchor }
}
