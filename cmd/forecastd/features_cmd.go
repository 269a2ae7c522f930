package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/features"
)

// runFeatures implements `forecastd features`: it reads a sales upload,
// assembles one regular series per store/SKU and writes the feature table
// the models see, one row per (store, sku, date), or with -describe a
// per-column summary computed in one streaming pass.
func runFeatures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("features", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := features.DefaultConfig()
	var (
		dataPath  = fs.String("data", "", "sales CSV: date,store,sku,quantity[,covariates...] (- for stdin)")
		outPath   = fs.String("out", "-", "output CSV (- for stdout)")
		describe  = fs.Bool("describe", false, "print count, mean, std, min and max of every column instead of the table")
		freqName  = fs.String("freq", "", "hourly, daily, weekly or monthly (default: inferred from the dates)")
		lags      = fs.String("lags", joinInts(def.Lags), "comma-separated lags, in steps (empty for none)")
		windows   = fs.String("windows", joinInts(def.Windows), "comma-separated rolling windows, in steps")
		stats     = fs.String("stats", joinStats(def.Stats), "rolling statistics: min,max,mean,std,var,sum,median,zeros")
		quantiles = fs.String("quantiles", "", "rolling quantiles in [0,1], e.g. 0.1,0.9")
		ewm       = fs.String("ewm", "", "alphas of exponentially weighted means, e.g. 0.1,0.5")
		expanding = fs.Bool("expanding", false, "add the expanding mean")
		yearAgo   = fs.Bool("year-ago", def.YearAgo, "add the same period last year")
		calendar  = fs.Bool("calendar", def.Calendar, "add day of week, day of month, week of year and month")
		covs      = fs.Bool("covariates", true, "copy the upload's extra numeric columns as features")
		fillNaN   = fs.Bool("fill-nan", false, "write 0 for undefined features instead of an empty field")
		quiet     = fs.Bool("quiet", false, "no progress on stderr")
		cpuProf   = fs.String("cpuprofile", "", "write a CPU profile to this file")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: forecastd features -data sales.csv [-out features.csv] [-describe] [flags]\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nThe 20 features of bench/features: -lags 1,7,14,28 -windows 7,14,28 -stats min,max,mean,std,sum -year-ago -calendar=false\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *dataPath == "" {
		fs.Usage()
		return errors.New("-data is required")
	}
	cfg := features.Config{YearAgo: *yearAgo, Calendar: *calendar, Expanding: *expanding, FillNaN: *fillNaN}
	var err error
	if cfg.Lags, err = parseInts("lags", *lags); err != nil {
		return err
	}
	if cfg.Windows, err = parseInts("windows", *windows); err != nil {
		return err
	}
	if cfg.Quantiles, err = parseFloats("quantiles", *quantiles); err != nil {
		return err
	}
	if cfg.EWMAlphas, err = parseFloats("ewm", *ewm); err != nil {
		return err
	}
	for _, s := range splitList(*stats) {
		cfg.Stats = append(cfg.Stats, features.Stat(s))
	}
	// Check the feature set before reading what may be a large file; the
	// covariates are added once the header names them.
	if _, err := features.NewBuilder(cfg); err != nil {
		return err
	}
	var freq data.Frequency
	if *freqName != "" {
		if freq, err = data.ParseFrequency(*freqName); err != nil {
			return err
		}
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	progress := stderr
	if *quiet {
		progress = io.Discard
	}

	// The rows read are garbage-free floats; what churns is the reader's
	// strings. A larger heap goal halves the collections for a few more
	// MiB of peak memory; restored on return, since run may go on.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	begin := time.Now()
	up, err := readUploadFile(ctx, *dataPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "features: read %d rows of %d series from %s in %v\n", up.rows, len(up.series), *dataPath, time.Since(begin).Round(time.Millisecond))
	if len(up.ignored) > 0 {
		fmt.Fprintf(progress, "features: ignoring non-numeric columns %s\n", strings.Join(up.ignored, ", "))
	}
	if *covs {
		cfg.Covariates = up.covNames
	}
	b, err := features.NewBuilder(cfg)
	if err != nil {
		return err
	}
	if freq == "" {
		if freq, err = up.inferFrequency(); err != nil {
			return err
		}
		fmt.Fprintf(progress, "features: inferred frequency %s (set -freq to override)\n", freq)
	}

	out, closeOut, err := openOutput(*outPath, stdout)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var sink rowSink
	if *describe {
		sink = newDescriber(append([]string{"quantity"}, b.Names()...))
	} else {
		sink = &csvWriter{w: w, layout: freq.Layout()}
		if err := sink.(*csvWriter).header(b.Names()); err != nil {
			closeOut()
			return err
		}
	}
	rows, err := buildAll(ctx, up, b, freq, sink, progress)
	if err != nil {
		err = fmt.Errorf("%s: %w", *dataPath, err)
	}
	if err == nil && *describe {
		err = sink.(*describer).print(w)
	}
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write %s: %w", *outPath, ferr)
	}
	if cerr := closeOut(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", *outPath, cerr)
	}
	if err != nil {
		return err
	}
	el := time.Since(begin)
	fmt.Fprintf(progress, "features: %d rows x %d features in %v (%.0f rows/s)\n", rows, b.NumFeatures(), el.Round(time.Millisecond), float64(rows)/el.Seconds())
	return nil
}

func openOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(name, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("-%s: %q is not an integer", name, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseFloats(name, s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("-%s: %q is not a number", name, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func joinStats(v []features.Stat) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

// rawSeries holds the rows of one store/SKU as read, before they are put
// on the frequency's grid.
type rawSeries struct {
	key   data.Key
	dates []int64 // Unix seconds, UTC
	qty   []float64
	cov   [][]float64 // cov[c][i]: covariate c of row i
	lines []int32     // input line of each row, for error messages
}

type upload struct {
	covNames []string
	ignored  []string
	series   map[data.Key]*rawSeries
	rows     int
}

// layout is where the upload's columns are.
type layout struct {
	date, store, sku, qty int
	covCols               []int
	covNames              []string
	ignored               []string // extra columns that are not numeric
	fields                int
}

// pickCovariates keeps as covariates the extra columns whose value in the
// first record is a number or empty; a text column (a region, a product
// name) is ignored rather than failing every line.
func (l *layout) pickCovariates(first []string) {
	var cols []int
	var names []string
	for c, i := range l.covCols {
		if _, err := parseNumber(strings.TrimSpace(first[i])); err != nil {
			l.ignored = append(l.ignored, l.covNames[c])
			continue
		}
		cols = append(cols, i)
		names = append(names, l.covNames[c])
	}
	l.covCols, l.covNames = cols, names
}

func parseHeader(header []string, name string) (*layout, error) {
	col := map[string]int{}
	l := &layout{fields: len(header)}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch lh := strings.ToLower(h); lh {
		case "date", "store", "sku", "quantity":
			if _, dup := col[lh]; dup {
				return nil, fmt.Errorf("%s: line 1: column %q appears twice", name, h)
			}
			col[lh] = i
		default:
			l.covCols = append(l.covCols, i)
			// Lower case, as the service names covariates.
			l.covNames = append(l.covNames, strings.ToLower(h))
		}
	}
	for _, c := range []string{"date", "store", "sku", "quantity"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: line 1: missing column %q (want date,store,sku,quantity[,covariates...])", name, c)
		}
	}
	l.date, l.store, l.sku, l.qty = col["date"], col["store"], col["sku"], col["quantity"]
	return l, nil
}

// readUploadFile reads the upload at path ("-" for stdin). A large file
// without quotes is cut at line ends into one chunk per CPU (at most 4),
// parsed in parallel and merged in file order; a quoted field might hold a
// line end, so a file with quotes is read in one piece.
func readUploadFile(ctx context.Context, path string) (*upload, error) {
	if path == "-" {
		return readUpload(ctx, os.Stdin, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	workers := min(runtime.GOMAXPROCS(0), 4)
	if workers < 2 || st.Size() < 8<<20 || !st.Mode().IsRegular() {
		return readUpload(ctx, f, path)
	}
	// One pass over the bytes finds the header's end, the chunk
	// boundaries (the first line end after each cut), the number of lines
	// before each (for error messages) and whether there are quotes.
	size := st.Size()
	cuts := make([]int64, workers+1) // chunk i is [cuts[i], cuts[i+1])
	lines := make([]int, workers+1)  // lines before cuts[i]
	cuts[workers] = size
	buf := make([]byte, 1<<20)
	var off int64
	next, nl, headerEnd := 1, 0, int64(-1)
	for off < size {
		n, err := f.ReadAt(buf, off)
		if n == 0 && err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		b := buf[:n]
		if bytes.IndexByte(b, '"') >= 0 {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
			return readUpload(ctx, f, path)
		}
		// Whole-buffer searches and counts (vectorised) instead of a
		// search per line.
		i := 0
		if headerEnd < 0 {
			k := bytes.IndexByte(b, '\n')
			if k < 0 {
				off += int64(n)
				continue
			}
			i, nl = k+1, 1
			headerEnd = off + int64(i)
			cuts[0], lines[0] = headerEnd, 1
		}
		for next < workers {
			// The chunk starts after the first line end at or past the
			// cut, and after the previous chunk's start.
			from := max(i, int(size*int64(next)/int64(workers)-off-1))
			if from >= n {
				break
			}
			k := bytes.IndexByte(b[from:], '\n')
			if k < 0 {
				break
			}
			j := from + k + 1
			nl += bytes.Count(b[i:j], []byte{'\n'})
			i = j
			cuts[next], lines[next] = off+int64(i), nl
			next++
		}
		nl += bytes.Count(b[i:], []byte{'\n'})
		off += int64(n)
	}
	for ; next < workers; next++ {
		cuts[next], lines[next] = size, nl
	}
	if headerEnd < 0 {
		return readUpload(ctx, io.NewSectionReader(f, 0, size), path)
	}
	hr := csv.NewReader(io.NewSectionReader(f, 0, size))
	header, err := hr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", path, err)
	}
	lay, err := parseHeader(header, path)
	if err != nil {
		return nil, err
	}
	first, err := hr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: line 2: %w", path, err)
	}
	lay.pickCovariates(first)
	parts := make([]*upload, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := io.NewSectionReader(f, cuts[i], cuts[i+1]-cuts[i])
			parts[i], errs[i] = readRows(ctx, csv.NewReader(bufio.NewReaderSize(r, 1<<20)), lay, path, lines[i], nil, 0)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	up := parts[0]
	for _, p := range parts[1:] {
		up.rows += p.rows
		for k, s := range p.series {
			t, ok := up.series[k]
			if !ok {
				up.series[k] = s
				continue
			}
			t.dates = append(t.dates, s.dates...)
			t.qty = append(t.qty, s.qty...)
			t.lines = append(t.lines, s.lines...)
			for c := range t.cov {
				t.cov[c] = append(t.cov[c], s.cov[c]...)
			}
		}
	}
	if up.rows == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", path)
	}
	return up, nil
}

// readUpload streams the CSV once, keeping per series only the dates,
// quantities, covariates and line numbers.
func readUpload(ctx context.Context, r io.Reader, name string) (*upload, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", name, err)
	}
	lay, err := parseHeader(header, name)
	if err != nil {
		return nil, err
	}
	first, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: no rows after the header", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	firstLine, _ := cr.FieldPos(0)
	lay.pickCovariates(first)
	return readRows(ctx, cr, lay, name, 0, first, firstLine)
}

// readRows reads the records of cr, after first (a record already read,
// on line firstLine, or nil); lineBase is the number of input lines
// before cr's first, so errors name the line of the whole file.
func readRows(ctx context.Context, cr *csv.Reader, lay *layout, name string, lineBase int, first []string, firstLine int) (*upload, error) {
	cr.ReuseRecord = true
	cr.FieldsPerRecord = lay.fields
	up := &upload{series: map[data.Key]*rawSeries{}, covNames: lay.covNames, ignored: lay.ignored}
	var last *rawSeries
	add := func(rec []string, line int) error {
		store, sku := trim(rec[lay.store]), trim(rec[lay.sku])
		if last == nil || last.key.Store != store || last.key.SKU != sku {
			k := data.Key{Store: store, SKU: sku}
			s, ok := up.series[k]
			if !ok {
				// A key is checked once, when it is first seen.
				if err := checkID(store); err != nil {
					return fmt.Errorf("%s: line %d: store: %w", name, line, err)
				}
				if err := checkID(sku); err != nil {
					return fmt.Errorf("%s: line %d: sku: %w", name, line, err)
				}
				// Cloning keeps a key from pinning its whole line.
				k = data.Key{Store: strings.Clone(store), SKU: strings.Clone(sku)}
				s = &rawSeries{key: k, cov: make([][]float64, len(lay.covCols))}
				up.series[k] = s
			}
			last = s
		}
		d, err := parseDate(trim(rec[lay.date]))
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		q, err := parseQuantity(rec[lay.qty])
		if err != nil {
			return fmt.Errorf("%s: line %d: quantity: %w", name, line, err)
		}
		last.dates = append(last.dates, d)
		last.qty = append(last.qty, q)
		last.lines = append(last.lines, int32(line))
		for c, i := range lay.covCols {
			v, err := parseNumber(trim(rec[i]))
			if err != nil || math.IsInf(v, 0) {
				return fmt.Errorf("%s: line %d: column %s: %q is not a finite number", name, line, lay.covNames[c], rec[i])
			}
			last.cov[c] = append(last.cov[c], v)
		}
		up.rows++
		return nil
	}
	if first != nil {
		if err := add(first, firstLine); err != nil {
			return nil, err
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: line %d: %w", name, lineBase+pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if up.rows%(1<<16) == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line, _ := cr.FieldPos(0)
		if err := add(rec, lineBase+line); err != nil {
			return nil, err
		}
	}
	return up, nil
}

// trim is strings.TrimSpace with the common case, nothing to trim, decided
// by two byte comparisons; it ran on four fields of every row.
func trim(s string) string {
	if len(s) == 0 || (s[0] > ' ' && s[len(s)-1] > ' ') {
		return s
	}
	return strings.TrimSpace(s)
}

// checkID applies the service's rules for store and SKU identifiers
// (package data's upload parser): not empty, at most 128 bytes, valid
// UTF-8 without control characters.
func checkID(v string) error {
	switch {
	case v == "":
		return errors.New("is empty")
	case len(v) > 128:
		return errors.New("is longer than 128 bytes")
	case !utf8.ValidString(v):
		return errors.New("is not valid UTF-8")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return errors.New("contains a control character")
		}
	}
	return nil
}

// parseQuantity applies the service's rules: a finite number, not
// negative (returns are netted into sales before upload), not missing.
func parseQuantity(s string) (float64, error) {
	q, err := parseNumber(trim(s))
	switch {
	case err != nil || math.IsNaN(q) || math.IsInf(q, 0):
		return 0, fmt.Errorf("%q is not a finite number", s)
	case q < 0:
		return 0, fmt.Errorf("%v is negative (net returns into sales before uploading)", q)
	}
	return q, nil
}

// parseNumber reads a number; an empty field (or NA, NaN) is missing. Plain
// integers, the usual sales quantity, skip strconv.
func parseNumber(s string) (float64, error) {
	if len(s) > 0 && len(s) < 16 {
		v := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				goto slow
			}
			v = v*10 + int(c-'0')
		}
		return float64(v), nil
	}
slow:
	if s == "" || s == "NA" || s == "NaN" || s == "nan" {
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// parseDate reads YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (a space for the T is
// accepted) as Unix seconds, UTC. It is hand-written because time.Parse
// dominated the reading of a million rows.
func parseDate(s string) (int64, error) {
	bad := func() (int64, error) {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", s)
	}
	if len(s) != 10 && len(s) != 19 {
		return bad()
	}
	num := func(i, n int) int {
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d := num(0, 4), num(5, 2), num(8, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	if d > daysIn(y, mo) {
		return 0, fmt.Errorf("date %q does not exist", s)
	}
	h, mi, sec := 0, 0, 0
	if len(s) == 19 {
		h, mi, sec = num(11, 2), num(14, 2), num(17, 2)
		if (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
			return bad()
		}
	}
	return daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0 here
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// inferFrequency guesses the frequency from the longest series.
func (up *upload) inferFrequency() (data.Frequency, error) {
	var best *rawSeries
	for _, s := range up.series {
		if best == nil || len(s.dates) > len(best.dates) || (len(s.dates) == len(best.dates) && s.key.Less(best.key)) {
			best = s
		}
	}
	dates := slices.Clone(best.dates)
	slices.Sort(dates)
	dates = slices.Compact(dates)
	ts := make([]time.Time, len(dates))
	for i, d := range dates {
		ts[i] = time.Unix(d, 0).UTC()
	}
	return data.InferFrequency(ts)
}

// assemble puts s on the grid of freq from its first date, as
// ingest.Assemble does: missing dates are zero sales, missing covariates NaN.
// It reuses y and cov's slices.
func (s *rawSeries) assemble(freq data.Frequency, y []float64, cov [][]float64) (time.Time, []float64, [][]float64, error) {
	if !slices.IsSorted(s.dates) {
		idx := make([]int, len(s.dates))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(s.dates[a], s.dates[b]) })
		s.permute(idx)
	}
	start := time.Unix(s.dates[0], 0).UTC()
	end := time.Unix(s.dates[len(s.dates)-1], 0).UTC()
	n, ok := freq.Steps(start, end)
	if !ok {
		return start, y, cov, fmt.Errorf("line %d: %s: date %s is not on the %s grid starting %s", s.lines[len(s.lines)-1], s.key, end.Format(freq.Layout()), freq, start.Format(freq.Layout()))
	}
	n++
	y = growClear(y, n, 0)
	for c := range s.cov {
		cov[c] = growClear(cov[c], n, math.NaN())
	}
	// Dates are UTC seconds, so fixed-length steps are integer divisions;
	// freq.Steps, which they agree with, handles months.
	step := int64(0)
	switch freq {
	case data.Hourly:
		step = 3600
	case data.Daily:
		step = 86400
	case data.Weekly:
		step = 7 * 86400
	}
	prev := -1
	for i, d := range s.dates {
		var k int
		ok := true
		if step > 0 {
			diff := d - s.dates[0]
			k, ok = int(diff/step), diff%step == 0
		} else {
			k, ok = freq.Steps(start, time.Unix(d, 0).UTC())
		}
		if !ok {
			t := time.Unix(d, 0).UTC()
			return start, y, cov, fmt.Errorf("line %d: %s: date %s is not on the %s grid starting %s", s.lines[i], s.key, t.Format(freq.Layout()), freq, start.Format(freq.Layout()))
		}
		if k == prev {
			t := time.Unix(d, 0).UTC()
			return start, y, cov, fmt.Errorf("line %d: %s: second row for %s (the first is on line %d)", s.lines[i], s.key, t.Format(freq.Layout()), s.lines[i-1])
		}
		prev = k
		y[k] = s.qty[i]
		for c := range s.cov {
			cov[c][k] = s.cov[c][i]
		}
	}
	return start, y, cov, nil
}

func (s *rawSeries) permute(idx []int) {
	dates := make([]int64, len(idx))
	qty := make([]float64, len(idx))
	lines := make([]int32, len(idx))
	for i, j := range idx {
		dates[i], qty[i], lines[i] = s.dates[j], s.qty[j], s.lines[j]
	}
	s.dates, s.qty, s.lines = dates, qty, lines
	for c, col := range s.cov {
		nc := make([]float64, len(idx))
		for i, j := range idx {
			nc[i] = col[j]
		}
		s.cov[c] = nc
	}
}

func growClear(x []float64, n int, v float64) []float64 {
	x = slices.Grow(x[:0], n)[:n]
	for i := range x {
		x[i] = v
	}
	return x
}

// rowSink receives the feature rows of one series.
type rowSink interface {
	series(key data.Key, start time.Time, freq data.Frequency, y, m []float64, p int) error
}

// job is one series on its way through buildAll; its buffers are reused
// by later series.
type job struct {
	s     *rawSeries
	start time.Time
	y, m  []float64
	covs  [][]float64
	cov   map[string][]float64
	err   error
	done  chan struct{}
}

// buildAll builds the features of every series on GOMAXPROCS workers (at
// most 4), each with its own Builder made like proto, and hands them to sink in key order
// from the calling goroutine, so the output does not depend on scheduling.
// A fixed pool of jobs bounds the memory in flight and is reused, so the
// buffers are allocated once per job, not per series. Every goroutine
// started here has ended when it returns.
func buildAll(ctx context.Context, up *upload, proto *features.Builder, freq data.Frequency, sink rowSink, progress io.Writer) (int, error) {
	cfg, p := proto.Config(), proto.NumFeatures()
	raws := make([]*rawSeries, 0, len(up.series))
	for _, s := range up.series {
		raws = append(raws, s)
	}
	slices.SortFunc(raws, func(a, b *rawSeries) int {
		if a.key.Less(b.key) {
			return -1
		}
		if b.key.Less(a.key) {
			return 1
		}
		return 0
	})
	clear(up.series) // raws now owns the rows, and drops them as it goes

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(runtime.GOMAXPROCS(0), 4)
	pool := make(chan *job, 2*workers)
	for range cap(pool) {
		pool <- &job{
			covs: make([][]float64, len(up.covNames)),
			cov:  make(map[string][]float64, len(up.covNames)),
			done: make(chan struct{}, 1),
		}
	}
	todo := make(chan *job)
	// order holds every job in circulation, so sending to it never blocks.
	order := make(chan *job, cap(pool))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		defer close(todo)
		for i, s := range raws {
			var j *job
			select {
			case j = <-pool:
			case <-ctx.Done():
				return
			}
			j.s, raws[i] = s, nil
			order <- j
			select {
			case todo <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := features.NewBuilder(cfg)
			for j := range todo {
				j.err = err
				if err == nil {
					j.build(b, freq, up.covNames)
				}
				j.done <- struct{}{}
			}
		}()
	}

	var (
		err   error
		rows  int
		count int
		next  = time.Now().Add(2 * time.Second)
	)
	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil {
			err = j.err
		}
		if err == nil {
			err = sink.series(j.s.key, j.start, freq, j.y, j.m, p)
		}
		if err != nil {
			break
		}
		rows += len(j.y)
		count++
		j.s = nil
		pool <- j
		if now := time.Now(); now.After(next) {
			fmt.Fprintf(progress, "features: %d/%d series, %d rows\n", count, len(raws), rows)
			next = now.Add(2 * time.Second)
		}
	}
	cancel()
	wg.Wait()
	return rows, err
}

// build assembles the job's series and computes its feature matrix.
func (j *job) build(b *features.Builder, freq data.Frequency, covNames []string) {
	start, y, covs, err := j.s.assemble(freq, j.y, j.covs)
	j.start, j.y, j.covs, j.err = start, y, covs, err
	if err != nil {
		return
	}
	for c, name := range covNames {
		j.cov[name] = covs[c]
	}
	j.m = b.MatrixCov(j.m, y, j.cov, start, freq, 0, len(y))
}

// csvWriter writes store,sku,date,quantity,<features...>; an undefined
// value (NaN) is an empty field, as pandas' to_csv writes it.
type csvWriter struct {
	w      *bufio.Writer
	layout string
	line   []byte
}

func (c *csvWriter) header(names []string) error {
	c.line = append(c.line[:0], "store,sku,date,quantity"...)
	for _, n := range names {
		c.line = append(c.line, ',')
		c.line = appendField(c.line, n)
	}
	c.line = append(c.line, '\n')
	_, err := c.w.Write(c.line)
	return err
}

func (c *csvWriter) series(key data.Key, start time.Time, freq data.Frequency, y, m []float64, p int) error {
	prefix := appendField(append(appendField(nil, key.Store), ','), key.SKU)
	for t := range y {
		l := append(c.line[:0], prefix...)
		l = append(l, ',')
		l = freq.Add(start, t).AppendFormat(l, c.layout)
		l = append(l, ',')
		l = appendNum(l, y[t])
		for _, v := range m[t*p : (t+1)*p] {
			l = append(l, ',')
			l = appendNum(l, v)
		}
		l = append(l, '\n')
		c.line = l
		if _, err := c.w.Write(l); err != nil {
			return err
		}
	}
	return nil
}

func appendNum(b []byte, v float64) []byte {
	if v != v {
		return b
	}
	// Counts, lags, extremes and calendar fields are whole numbers; the
	// integer path is several times faster than the shortest-float one.
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendField quotes a field only when CSV needs it.
func appendField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// describer keeps, per column, the count of defined values, their mean
// and sum of squared deviations, min and max, so the table is summarised
// in one pass over the series without being kept. Each series' block is
// summarised by two passes over it (sums, then squared deviations from the
// block means) and merged into the totals with Chan's update: as accurate
// as Welford's per-value update without a division per value.
type describer struct {
	names           []string
	n               []float64
	mean, m2        []float64
	lo, hi          []float64
	nSeries, nTotal int
	// A series' block: counts, sums (then means) and m2 per column.
	bn, bsum, bm2 []float64
}

func newDescriber(names []string) *describer {
	k := len(names)
	d := &describer{names: names, n: make([]float64, k), mean: make([]float64, k), m2: make([]float64, k), lo: make([]float64, k), hi: make([]float64, k)}
	for i := range d.lo {
		d.lo[i], d.hi[i] = math.Inf(1), math.Inf(-1)
	}
	return d
}

// series folds one series' block of rows into the totals. The two
// passes run along the rows, the order the matrix is stored in, with
// per-column accumulators, rather than down each strided column.
func (d *describer) series(_ data.Key, _ time.Time, _ data.Frequency, y, m []float64, p int) error {
	k := p + 1
	if len(d.bn) < k {
		d.bn, d.bsum, d.bm2 = make([]float64, k), make([]float64, k), make([]float64, k)
	}
	bn, bsum, bm2 := d.bn[:k], d.bsum[:k], d.bm2[:k]
	clear(bn)
	clear(bsum)
	clear(bm2)
	lo, hi := d.lo[:k], d.hi[:k]
	for t, v := range y {
		if v == v {
			bn[0]++
			bsum[0] += v
			lo[0], hi[0] = min(lo[0], v), max(hi[0], v)
		}
		row := m[t*p : (t+1)*p]
		for j, v := range row {
			if v == v {
				bn[j+1]++
				bsum[j+1] += v
				lo[j+1], hi[j+1] = min(lo[j+1], v), max(hi[j+1], v)
			}
		}
	}
	// bsum becomes the block mean; the second pass sums squared
	// deviations from it.
	for j := range bsum {
		if bn[j] > 0 {
			bsum[j] /= bn[j]
		}
	}
	for t, v := range y {
		if v == v {
			bm2[0] += (v - bsum[0]) * (v - bsum[0])
		}
		row := m[t*p : (t+1)*p]
		for j, v := range row {
			if v == v {
				e := v - bsum[j+1]
				bm2[j+1] += e * e
			}
		}
	}
	for j := range k {
		d.merge(j, bn[j], bsum[j], bm2[j])
	}
	d.nSeries++
	d.nTotal += len(y)
	return nil
}

// merge adds a block of n values with mean and m2 to column j (Chan et
// al.'s pairwise update).
func (d *describer) merge(j int, n, mean, m2 float64) {
	if n == 0 {
		return
	}
	tn := d.n[j] + n
	delta := mean - d.mean[j]
	d.mean[j] += delta * (n / tn)
	d.m2[j] += m2 + delta*delta*(d.n[j]*n/tn)
	d.n[j] = tn
}

func (d *describer) print(w io.Writer) error {
	fmt.Fprintf(w, "# %d rows, %d series\n", d.nTotal, d.nSeries)
	fmt.Fprintf(w, "%-18s %10s %16s %16s %16s %16s\n", "column", "count", "mean", "std", "min", "max")
	for j, name := range d.names {
		mean, std, lo, hi := math.NaN(), math.NaN(), math.NaN(), math.NaN()
		if d.n[j] > 0 {
			mean, lo, hi = d.mean[j], d.lo[j], d.hi[j]
		}
		if d.n[j] > 1 {
			std = math.Sqrt(d.m2[j] / (d.n[j] - 1))
		}
		if _, err := fmt.Fprintf(w, "%-18s %10.0f %16.6g %16.6g %16.6g %16.6g\n", name, d.n[j], mean, std, lo, hi); err != nil {
			return err
		}
	}
	return nil
}
