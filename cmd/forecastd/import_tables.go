package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// The side tables of a wide import, the calendar and the price table, are
// read as data frames (gota): any delimiter, a pandas index column
// dropped, every column typed once, missing values as NaN. They are small
// next to the sales (a row per day, a row per item and week), and the
// price table is cut to the series of the sales file while it is read.
//
// They are joined to the sales while the sales stream, by hash lookups
// built from the typed columns: gota's joins compare every row of one
// frame with every row of the other, which on M5's full price table
// (6.8 million rows) against its calendar would never end.

// readFrame reads a delimited file into a data frame, with the given
// column types (others are strings), keeping the rows keep accepts (nil:
// all). An unnamed first column, a pandas index, is dropped.
func readFrame(path string, types map[string]series.Type, keep func(header, rec []string) bool) (_ dataframe.DataFrame, err error) {
	t, err := openTable(path)
	if err != nil {
		return dataframe.DataFrame{}, err
	}
	defer func() { err = errors.Join(err, t.Close()) }() // read-only: only reported
	records := [][]string{t.header}
	for line := 2; ; line++ {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return dataframe.DataFrame{}, err
		}
		if len(rec) != len(t.header) {
			return dataframe.DataFrame{}, fmt.Errorf("line %d: has %d fields, header has %d", line, len(rec), len(t.header))
		}
		if keep == nil || keep(t.header, rec) {
			records = append(records, slices.Clone(rec))
		}
	}
	if len(records) == 1 {
		return dataframe.DataFrame{}, errors.New("no rows")
	}
	df := dataframe.LoadRecords(records, dataframe.DetectTypes(false), dataframe.WithTypes(types))
	if t.index >= 0 {
		df = df.Drop(t.index)
	}
	if df.Err != nil {
		return dataframe.DataFrame{}, df.Err
	}
	return df, nil
}

// names finds the first of the names among df's columns,
// case-insensitively: "" if none.
func names(df dataframe.DataFrame, candidates ...string) string {
	if i := column(df.Names(), candidates...); i >= 0 {
		return df.Names()[i]
	}
	return ""
}

// calendar is a daily calendar (M5's calendar.csv) by row: its dates,
// M5's day names, its weeks, and the covariates its events and SNAP days
// give.
type calendar struct {
	dates  []time.Time
	byD    map[string]int
	byDate map[int64]int
	// week is M5's wm_yr_wk of each row; nil without the column.
	week []int
	// events are the covariates of the events, by name (event, and
	// event_<type> for every type), each a 0/1 per row.
	events     map[string][]float64
	eventNames []string
	// snap is the SNAP flag per row of each state (snap_<state>).
	snap map[string][]float64
}

// readCalendar reads a calendar: a date column, and optionally d,
// wm_yr_wk, event_name_N/event_type_N and snap_<state> columns.
func readCalendar(path string) (*calendar, error) {
	header, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	types := map[string]series.Type{}
	for _, h := range header {
		if strings.EqualFold(h, "wm_yr_wk") {
			types[h] = series.Int
		}
		if strings.HasPrefix(strings.ToLower(h), "snap_") {
			types[h] = series.Float
		}
	}
	df, err := readFrame(path, types, nil)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", path, err)
	}
	cal, err := calendarOf(df)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: %w", path, err)
	}
	return cal, nil
}

// calendarOf takes the typed columns of a calendar frame.
func calendarOf(df dataframe.DataFrame) (*calendar, error) {
	dateCol := names(df, "date")
	if dateCol == "" {
		return nil, errors.New(`missing column "date"`)
	}
	n := df.Nrow()
	cal := &calendar{dates: make([]time.Time, n), byD: map[string]int{}, byDate: make(map[int64]int, n),
		events: map[string][]float64{}, snap: map[string][]float64{}}
	for i, s := range df.Col(dateCol).Records() {
		t, err := parseISO(s)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		cal.dates[i], cal.byDate[t.Unix()] = t, i
	}
	if c := names(df, "d"); c != "" {
		for i, d := range df.Col(c).Records() {
			cal.byD[d] = i
		}
	}
	if c := names(df, "wm_yr_wk"); c != "" {
		w, err := df.Col(c).Int()
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c, err)
		}
		cal.week = w
	}
	for _, c := range df.Names() {
		if state, ok := strings.CutPrefix(strings.ToLower(c), "snap_"); ok && state != "" {
			cal.snap[strings.ToUpper(state)] = zeroNaN(df.Col(c).Float())
		}
	}
	cal.readEvents(df)
	return cal, nil
}

// readEvents turns the event_type_N columns into the covariate event
// (1 on a day with any event) and one event_<type> flag per type.
func (cal *calendar) readEvents(df dataframe.DataFrame) {
	n := len(cal.dates)
	for _, c := range df.Names() {
		if !strings.HasPrefix(strings.ToLower(c), "event_type") {
			continue
		}
		col := df.Col(c)
		for i, typ := range col.Records() {
			if col.Elem(i).IsNA() || strings.TrimSpace(typ) == "" {
				continue
			}
			name := "event_" + covariateName(typ)
			for _, nm := range []string{"event", name} {
				if cal.events[nm] == nil {
					cal.events[nm] = make([]float64, n)
					cal.eventNames = append(cal.eventNames, nm)
				}
				cal.events[nm][i] = 1
			}
		}
	}
	slices.Sort(cal.eventNames) // event first, then the types
}

// covariateName makes a covariate name of an event type: lower case,
// spaces as underscores.
func covariateName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "_")
}

// zeroNaN is a 0/1 flag column with a missing value taken as 0.
func zeroNaN(x []float64) []float64 {
	for i, v := range x {
		if math.IsNaN(v) {
			x[i] = 0
		}
	}
	return x
}

// parseISO is the ISO date of a calendar or a price table, read as an
// upload's.
func parseISO(s string) (time.Time, error) {
	return ingest.ParseDate(strings.TrimSpace(s))
}

// priceTable is the prices of the series of one sales file, by week
// (M5's wm_yr_wk) or by date.
type priceTable struct {
	byWeek bool
	// at is the price by series and week, or by series and date (Unix
	// seconds).
	at   map[data.Key]map[int64]float64
	rows int
}

// priceColumns are the columns a price table is read by.
type priceColumns struct {
	store, sku, period, price string
}

// readPrices reads the rows of the price table at path whose store and
// SKU are among keys. Its store and SKU columns are named like the sales
// file's (m), else store_id/store and item_id/sku; its period is
// wm_yr_wk or date; its price sell_price or price.
func readPrices(path string, m mapping, keys map[data.Key]bool) (*priceTable, error) {
	header, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	pc, byWeek, err := priceColumnsOf(header, m)
	if err != nil {
		return nil, fmt.Errorf("prices %s: %w", path, err)
	}
	si, ki := column(header, pc.store), column(header, pc.sku)
	types := map[string]series.Type{pc.price: series.Float, pc.store: series.String, pc.sku: series.String}
	if byWeek {
		types[pc.period] = series.Int
	}
	df, err := readFrame(path, types, func(_, rec []string) bool {
		return keys[data.Key{Store: strings.TrimSpace(rec[si]), SKU: strings.TrimSpace(rec[ki])}]
	})
	if err != nil {
		return nil, fmt.Errorf("prices %s: %w", path, err)
	}
	p, err := pricesOf(df, pc, byWeek)
	if err != nil {
		return nil, fmt.Errorf("prices %s: %w", path, err)
	}
	return p, nil
}

// priceColumnsOf finds the columns of a price table, naming every
// missing one.
func priceColumnsOf(header []string, m mapping) (priceColumns, bool, error) {
	var pc priceColumns
	var missing []string
	find := func(dst *string, what string, candidates ...string) {
		if i := column(header, candidates...); i >= 0 {
			*dst = header[i]
			return
		}
		missing = append(missing, fmt.Sprintf("%s (%s)", what, strings.Join(slices.DeleteFunc(candidates, func(s string) bool { return s == "" }), " or ")))
	}
	find(&pc.store, "store", m.store, "store_id", "store")
	find(&pc.sku, "sku", m.sku, "item_id", "sku")
	find(&pc.period, "period", "wm_yr_wk", m.date, "date")
	find(&pc.price, "price", "sell_price", "price")
	if len(missing) > 0 {
		return pc, false, fmt.Errorf("missing column(s): %s", strings.Join(missing, ", "))
	}
	return pc, strings.EqualFold(pc.period, "wm_yr_wk"), nil
}

// pricesOf indexes the typed columns of a price frame.
func pricesOf(df dataframe.DataFrame, pc priceColumns, byWeek bool) (*priceTable, error) {
	p := &priceTable{byWeek: byWeek, at: map[data.Key]map[int64]float64{}, rows: df.Nrow()}
	stores, skus := df.Col(pc.store).Records(), df.Col(pc.sku).Records()
	prices := df.Col(pc.price).Float()
	periods := make([]int64, df.Nrow())
	if byWeek {
		w, err := df.Col(pc.period).Int()
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", pc.period, err)
		}
		for i, v := range w {
			periods[i] = int64(v)
		}
	} else {
		for i, s := range df.Col(pc.period).Records() {
			t, err := parseISO(s)
			if err != nil {
				return nil, fmt.Errorf("column %s, row %d: %w", pc.period, i+1, err)
			}
			periods[i] = t.Unix()
		}
	}
	for i := range periods {
		if math.IsNaN(prices[i]) {
			continue
		}
		k := data.Key{Store: strings.TrimSpace(stores[i]), SKU: strings.TrimSpace(skus[i])}
		if p.at[k] == nil {
			p.at[k] = map[int64]float64{}
		}
		p.at[k][periods[i]] = prices[i]
	}
	return p, nil
}

// price is the price of k on the calendar row (or the date, for a table
// by date), and whether the table has one.
func (p *priceTable) price(k data.Key, cal *calendar, row int, date time.Time) (float64, bool) {
	period := date.Unix()
	if p.byWeek {
		if cal == nil || cal.week == nil || row < 0 {
			return 0, false
		}
		period = int64(cal.week[row])
	}
	v, ok := p.at[k][period]
	return v, ok
}
