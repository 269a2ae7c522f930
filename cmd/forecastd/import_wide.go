package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/forecastd/forecastd/data"
)

// A wide file has one row per series and one column per period (dates,
// or M5's d_1..d_N named by a calendar). It is reshaped into the long CSV
// of an upload while it streams: a row of the file is read (encoding/csv,
// one record reused), its cells written as rows of the upload, with the
// covariates of the calendar and the price table beside them. Neither the
// file nor the upload is ever whole in memory; only the list of series
// is kept, for the plan.

// period is a period column of a wide file.
type period struct {
	col  int
	date time.Time
	iso  string
	row  int // the calendar's row of the date, or -1
}

// wideSeries is a row of a wide file, as the plan needs it.
type wideSeries struct {
	key   data.Key
	state string
	// ids is the key as the upload writes it: store,sku (quoted if need be).
	ids string
}

// wideFile is a wide file's columns and the tables joined to it.
type wideFile struct {
	path              string
	store, sku, state int // columns, -1 if absent (a constant, or no SNAP)
	m                 mapping
	periods           []period
	cal               *calendar
	prices            *priceTable
	covariates        []string
	series            []wideSeries
	plan              []int // calendar rows after the last period
	ignored           []string
	dateSource        string
}

// importWide reshapes a wide file into an upload of sales, then one of
// planned covariates for the days after them that the calendar covers.
func (c *importCommand) importWide(ctx context.Context, path string) error {
	w, s, err := c.prepareWide(path)
	if err != nil {
		return err
	}
	if c.dryRun {
		return s.dryRun(c.stdout)
	}
	if err := s.err(); err != nil {
		return err
	}
	return c.sendWide(ctx, w)
}

// prepareWide reads the calendar, scans the file and reads the prices of
// its series: everything but the reshaping itself.
func (c *importCommand) prepareWide(path string) (*wideFile, *fileSummary, error) {
	w := &wideFile{path: path, m: c.mapping}
	var err error
	if c.calendarPath != "" {
		if w.cal, err = readCalendar(c.calendarPath); err != nil {
			return nil, nil, err
		}
	}
	s, err := w.scan()
	if err != nil {
		return nil, nil, err
	}
	if c.pricesPath != "" && len(s.problems) == 0 {
		keys := make(map[data.Key]bool, len(w.series))
		for _, ws := range w.series {
			keys[ws.key] = true
		}
		if w.prices, err = readPrices(c.pricesPath, c.mapping, keys); err != nil {
			return nil, nil, err
		}
		if w.prices.byWeek && (w.cal == nil || w.cal.week == nil) {
			s.problem("prices by week (wm_yr_wk) need a -calendar with a wm_yr_wk column")
		}
	}
	w.decideCovariates(s)
	return w, s, nil
}

// sendWide uploads the reshaped sales, then the plan.
func (c *importCommand) sendWide(ctx context.Context, w *wideFile) error {
	name := filepath.Base(w.path)
	p := startProgress(c.stderr, name, c.every)
	st, err := c.post(ctx, "/v1/sales", c.mapping.query(false), "text/csv", func(out io.Writer) error {
		return w.writeSales(ctx, out, p)
	})
	p.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d rows, %d series stored\n", w.path, st.Rows, st.Series)
	if len(w.plan) == 0 || len(w.covariates) == 0 {
		return nil
	}
	p = startProgress(c.stderr, name+" plan", c.every)
	st, err = c.post(ctx, "/v1/covariates", nil, "text/csv", func(out io.Writer) error {
		return w.writePlan(out, p)
	})
	p.finish()
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	fmt.Fprintf(c.stdout, "%s: plan of %d days (%s .. %s): %d rows, %d series stored\n", w.path, len(w.plan),
		isoDate(w.cal.dates[w.plan[0]]), isoDate(w.cal.dates[w.plan[len(w.plan)-1]]), st.Rows, st.Series)
	return nil
}

// resolve finds the id and period columns of the header.
func (w *wideFile) resolve(header []string, index int, s *fileSummary) {
	cols := map[string]string{}
	find := func(role, flagName, constant string, defaults ...string) int {
		if constant != "" {
			cols[role] = fmt.Sprintf("%q (constant)", constant)
			return -1
		}
		i := column(header, append([]string{flagName}, defaults...)...)
		if i < 0 {
			s.problem("line 1: no %s column (%s): name it with -%s or give -%s-const", role, strings.Join(defaults, " or "), role, role)
			return -1
		}
		cols[role] = header[i]
		return i
	}
	w.store = find("store", w.m.store, w.m.storeConst, "store_id", "store")
	w.sku = find("sku", w.m.sku, w.m.skuConst, "item_id", "sku")
	if w.state = column(header, "state_id", "state"); w.state >= 0 {
		cols["state"] = header[w.state]
	}
	cols["quantity"] = "the period cells"
	s.mapping = w.m.describe(cols)
	w.findPeriods(header, index, s)
}

// findPeriods takes the columns that are periods: M5's d_N through the
// calendar, or dates (ISO, or -date-format).
func (w *wideFile) findPeriods(header []string, index int, s *fileSummary) {
	format := periodFormat(w.m.dateFormat)
	var needCalendar []string
	for i, h := range header {
		if i == index || i == w.store || i == w.sku || i == w.state {
			continue
		}
		p := period{col: i, row: -1}
		switch {
		case dCol.MatchString(h):
			if w.cal == nil {
				needCalendar = append(needCalendar, h)
				continue
			}
			row, ok := w.cal.byD[h]
			if !ok {
				s.problem("line 1: column %s is not in the calendar", h)
				continue
			}
			p.row, p.date = row, w.cal.dates[row]
		default:
			t, err := format.Parse(h)
			if err != nil {
				w.ignored = append(w.ignored, h) // an id column (dept_id, cat_id...), not sent
				continue
			}
			p.date = t
			if w.cal != nil {
				if row, ok := w.cal.byDate[t.Unix()]; ok {
					p.row = row
				}
			}
		}
		p.iso = isoDate(p.date)
		w.periods = append(w.periods, p)
	}
	if len(needCalendar) > 0 {
		s.problem("line 1: columns %s..%s are M5 day numbers: give -calendar to date them", needCalendar[0], needCalendar[len(needCalendar)-1])
	}
	if len(w.ignored) > 0 {
		s.mapping += "; ignored: " + strings.Join(w.ignored, ", ")
	}
	w.dateSource = format.Description()
	if w.cal != nil && len(w.periods) > 0 && dCol.MatchString(header[w.periods[0].col]) {
		w.dateSource = "calendar (d → date)"
	}
	if len(w.periods) == 0 && len(needCalendar) == 0 {
		s.problem("line 1: no period columns (dates in %s, or d_1..d_N with -calendar)", format.Description())
	}
}

// scan reads the whole file once, checking every cell as the server
// would and collecting its series, so that a file with problems is
// refused before anything is sent.
func (w *wideFile) scan() (_ *fileSummary, err error) {
	t, err := openTable(w.path)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, t.Close()) }() // read-only: only reported
	s := &fileSummary{path: w.path, delimiter: delimiterName(t.delim)}
	w.resolve(t.header, t.index, s)
	s.layout = fmt.Sprintf("wide (%d period columns)", len(w.periods))
	s.dateFormat = w.dateSource
	if len(s.problems) > 0 {
		return s, nil
	}
	seen := map[data.Key]int{}
	for {
		rec, line, ok := t.next(s)
		if !ok {
			break
		}
		ws := w.seriesOf(rec)
		if first, dup := seen[ws.key]; dup {
			s.problem("line %d: series %s/%s already on line %d", line, ws.key.Store, ws.key.SKU, first)
			continue
		}
		seen[ws.key] = line
		w.series = append(w.series, ws)
		for _, p := range w.periods {
			if v := rec[p.col]; strings.TrimSpace(v) != "" {
				s.rows++
				s.checkQuantity(line, v)
			}
		}
	}
	s.series = len(w.series)
	for _, p := range w.periods {
		if s.first.IsZero() || p.date.Before(s.first) {
			s.first = p.date
		}
		if p.date.After(s.last) {
			s.last = p.date
		}
	}
	return s, nil
}

// seriesOf is the series of a record.
func (w *wideFile) seriesOf(rec []string) wideSeries {
	ws := wideSeries{key: data.Key{Store: w.m.storeConst, SKU: w.m.skuConst}}
	if w.store >= 0 {
		ws.key.Store = strings.TrimSpace(rec[w.store])
	}
	if w.sku >= 0 {
		ws.key.SKU = strings.TrimSpace(rec[w.sku])
	}
	if w.state >= 0 {
		ws.state = strings.ToUpper(strings.TrimSpace(rec[w.state]))
	}
	ws.ids = csvField(ws.key.Store) + "," + csvField(ws.key.SKU)
	return ws
}

// decideCovariates names the covariates the tables give and the plan's
// days: the calendar's days after the last period.
func (w *wideFile) decideCovariates(s *fileSummary) {
	if w.prices != nil {
		w.covariates = append(w.covariates, "sell_price")
	}
	if w.cal != nil {
		if len(w.cal.snap) > 0 && w.state >= 0 {
			w.covariates = append(w.covariates, "snap")
		}
		w.covariates = append(w.covariates, w.cal.eventNames...)
		for row, d := range w.cal.dates {
			if d.After(s.last) {
				w.plan = append(w.plan, row)
			}
		}
	}
	s.covariates = w.covariates
	if len(w.plan) > 0 && len(w.covariates) > 0 {
		s.plan = fmt.Sprintf("%d days (%s .. %s) × %d series, uploaded as planned covariates", len(w.plan),
			isoDate(w.cal.dates[w.plan[0]]), isoDate(w.cal.dates[w.plan[len(w.plan)-1]]), len(w.series))
	}
	if w.prices != nil {
		s.covariates = append(s.covariates[:0:0], s.covariates...)
		s.covariates[0] = fmt.Sprintf("sell_price (%d price rows of these series)", w.prices.rows)
	}
}

// header is the upload's header: the keys (and the quantity, for sales),
// then the covariates.
func (w *wideFile) header(sales bool) []byte {
	h := "date,store,sku"
	if sales {
		h += ",quantity"
	}
	for _, c := range w.covariates {
		h += "," + csvField(c)
	}
	return []byte(h + "\n")
}

// writeSales writes the sales of the file as the long upload CSV.
func (w *wideFile) writeSales(ctx context.Context, out io.Writer, p *progress) (err error) {
	t, err := openTable(w.path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, t.Close()) }() // read-only: only reported
	if _, err := out.Write(w.header(true)); err != nil {
		return err
	}
	b := make([]byte, 0, 1<<12)
	for i := 0; ; i++ {
		rec, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ws := w.seriesOf(rec)
		rows := 0
		for _, pd := range w.periods {
			v := strings.TrimSpace(rec[pd.col])
			if v == "" {
				continue
			}
			b = append(b, pd.iso...)
			b = append(b, ',')
			b = append(b, ws.ids...)
			b = append(b, ',')
			b = append(b, v...)
			b = w.appendCovariates(b, &ws, pd.row, pd.date)
			b = append(b, '\n')
			rows++
			if len(b) > 1<<15 {
				if _, err := out.Write(b); err != nil {
					return err
				}
				b = b[:0]
			}
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
		b = b[:0]
		p.add(rows)
	}
}

// writePlan writes the covariates of the days after the sales, for
// every series, as the planned-covariates upload CSV; a day without any
// value is left out.
func (w *wideFile) writePlan(out io.Writer, p *progress) error {
	if _, err := out.Write(w.header(false)); err != nil {
		return err
	}
	b := make([]byte, 0, 1<<12)
	for i := range w.series {
		ws := &w.series[i]
		for _, row := range w.plan {
			date := w.cal.dates[row]
			start := len(b)
			b = append(b, isoDate(date)...)
			b = append(b, ',')
			b = append(b, ws.ids...)
			n := len(b)
			b = w.appendCovariates(b, ws, row, date)
			if len(strings.Trim(string(b[n:]), ",")) == 0 {
				b = b[:start]
				continue
			}
			b = append(b, '\n')
			p.add(1)
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
		b = b[:0]
	}
	return nil
}

// appendCovariates appends the covariates of series ws on the calendar
// row (-1: none) and date, each after a comma, empty where the tables
// have no value.
func (w *wideFile) appendCovariates(b []byte, ws *wideSeries, row int, date time.Time) []byte {
	for _, name := range w.covariates {
		b = append(b, ',')
		switch {
		case name == "sell_price":
			if v, ok := w.prices.price(ws.key, w.cal, row, date); ok {
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		case row < 0:
		case name == "snap":
			if flags, ok := w.cal.snap[ws.state]; ok {
				b = strconv.AppendFloat(b, flags[row], 'g', -1, 64)
			}
		default:
			b = strconv.AppendFloat(b, w.cal.events[name][row], 'g', -1, 64)
		}
	}
	return b
}

// csvField quotes a field if CSV needs it to.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") && strings.TrimSpace(s) == s {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
