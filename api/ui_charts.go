package api

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/memguard"
)

// The dashboard's palette: distinguishable for the common colour-vision
// deficiencies (Okabe–Ito).
var (
	colBlue    = color.RGBA{0, 114, 178, 255}
	colOrange  = color.RGBA{230, 159, 0, 255}
	colGreen   = color.RGBA{0, 158, 115, 255}
	colVermil  = color.RGBA{213, 94, 0, 255}
	colGrey    = color.RGBA{110, 110, 110, 255}
	colBand80  = color.NRGBA{0, 114, 178, 90} // NRGBA: RGBA is alpha-premultiplied
	colBand95  = color.NRGBA{0, 114, 178, 40}
	colPurple  = color.RGBA{204, 121, 167, 255}
	colBar     = color.NRGBA{213, 94, 0, 200}
	dashMarker = []vg.Length{vg.Points(4), vg.Points(3)}
)

// svgHTML renders p as an SVG element to inline in a page. The XML
// prologue is dropped (it is not allowed inside HTML); text inside the SVG
// is escaped by vgsvg, so the result is safe to mark as template.HTML.
func svgHTML(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	saneAxis(&p.X)
	saneAxis(&p.Y)
	c := vgsvg.New(w, h)
	drawOutsideLegend(p, draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("api: render chart: %w", err)
	}
	b := buf.Bytes()
	if i := bytes.Index(b, []byte("<svg")); i >= 0 {
		b = b[i:]
	}
	return template.HTML(b), nil
}

// legendStrip is the least width kept right of a plot for its legend.
const legendStrip = 1.5 * vg.Inch

// drawOutsideLegend draws p with its legend in a strip right of the plot
// area, so the legend never covers the data: gonum/plot draws a legend
// inside the data area, over whatever lines are there.
func drawOutsideLegend(p *plot.Plot, dc draw.Canvas) {
	leg := p.Legend
	r := leg.Rectangle(dc)
	width := r.Max.X - r.Min.X
	if width <= 0 {
		p.Draw(dc)
		return
	}
	// One strip width for every legend that fits it, so charts stacked
	// on a page (memory and goroutines) share their x axis.
	strip := max(width+vg.Points(16), legendStrip)
	p.Legend = plot.NewLegend() // nothing in the data area
	p.Draw(draw.Crop(dc, 0, -strip, 0, 0))
	p.Legend = leg
	leg.Top, leg.Left = true, true
	leg.Padding = vg.Points(2)
	leg.XOffs, leg.YOffs = vg.Points(8), -vg.Points(8)
	leg.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-strip, 0, 0, 0))
}

// saneAxis makes a's range one that gonum/plot can tick: finite, and
// wide enough that its ends differ at float64 precision. plot widens an
// empty range by ±1 itself, which does nothing at 1e308, and then panics
// ("illegal range"); so a range that is empty or narrow for its
// magnitude is widened here by a millionth of the magnitude (at least
// 1), and one that is not finite becomes [0, 1]. A range that ticks
// already is left as it is.
func saneAxis(a *plot.Axis) {
	lo, hi := a.Min, a.Max
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || lo > hi {
		lo, hi = 0, 1
	}
	mag := max(math.Abs(lo), math.Abs(hi))
	if span := hi - lo; !(span > 1e-9*mag) || math.IsInf(span, 0) {
		pad := max(1e-6*mag, 1)
		lo, hi = max(lo-pad, -math.MaxFloat64/4), min(hi+pad, math.MaxFloat64/4)
	}
	a.Min, a.Max = lo, hi
}

// newPlot sets the sans-serif face on each plot rather than changing
// plot.DefaultFont, a package variable shared with any other user.
func newPlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Variant = "Sans"
	}
	p.Y.Tick.Marker = numTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// numTicks are gonum/plot's default value ticks labelled for people:
// from a thousand up with grouped digits (1,600,000, where the default
// writes 1.6e+06).
type numTicks struct{}

// Ticks implements plot.Ticker.
func (numTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	big := false
	for _, t := range ticks {
		big = big || (t.Label != "" && math.Abs(t.Value) >= 1000)
	}
	if !big {
		return ticks
	}
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = groupDigits(strconv.FormatFloat(t.Value, 'f', tickDecimals(ticks), 64))
		}
	}
	return ticks
}

// tickDecimals is the decimals the labelled ticks need to differ: none
// unless their step is below one.
func tickDecimals(ticks []plot.Tick) int {
	var prev float64
	have := false
	step := math.Inf(1)
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if have {
			step = math.Min(step, t.Value-prev)
		}
		prev, have = t.Value, true
	}
	if step >= 1 || math.IsInf(step, 1) {
		return 0
	}
	return min(6, int(math.Ceil(-math.Log10(step))))
}

// dateTicks label a time axis (Unix seconds) at calendar steps: days,
// weeks, months, quarters or years, the finest step that keeps at most
// maxDateLabels labels, so years of weekly data get a label a quarter or
// so, not two colliding ones. Unlabelled ticks mark the next finer step
// when it is not too dense.
type dateTicks struct{}

const maxDateLabels = 10

// dateStep is a calendar step and how its labels read.
type dateStep struct {
	years, months, days int
	layout              string
}

var dateSteps = []dateStep{
	{0, 0, 1, "2006-01-02"}, {0, 0, 2, "2006-01-02"}, {0, 0, 7, "2006-01-02"}, {0, 0, 14, "2006-01-02"},
	{0, 1, 0, "Jan 2006"}, {0, 2, 0, "Jan 2006"}, {0, 3, 0, "Jan 2006"}, {0, 6, 0, "Jan 2006"},
	{1, 0, 0, "2006"}, {2, 0, 0, "2006"}, {5, 0, 0, "2006"}, {10, 0, 0, "2006"}, {25, 0, 0, "2006"}, {100, 0, 0, "2006"},
}

// Ticks implements plot.Ticker.
func (dateTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || hi-lo > 1e12 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	from, to := time.Unix(int64(math.Ceil(lo)), 0).UTC(), time.Unix(int64(math.Floor(hi)), 0).UTC()
	for i, st := range dateSteps {
		labels := st.ticks(from, to)
		if len(labels) > maxDateLabels && i < len(dateSteps)-1 {
			continue
		}
		out := make([]plot.Tick, 0, len(labels)*2)
		for _, t := range labels {
			out = append(out, plot.Tick{Value: float64(t.Unix()), Label: t.Format(st.layout)})
		}
		if i > 0 && dateSteps[i-1].nests(st) {
			if minor := dateSteps[i-1].ticks(from, to); len(minor) <= 6*maxDateLabels {
				for _, t := range minor {
					out = append(out, plot.Tick{Value: float64(t.Unix())})
				}
			}
		}
		return out
	}
	return nil
}

// nests reports whether every tick of o falls on one of st's: day steps
// within day steps, month steps within month or year steps, years within
// years.
func (st dateStep) nests(o dateStep) bool {
	switch {
	case st.days > 0:
		return o.days > 0 && o.days%st.days == 0
	case st.months > 0:
		return o.days == 0 && (o.years > 0 || o.months%st.months == 0)
	default:
		return o.years > 0 && o.years%st.years == 0
	}
}

// ticks are the dates of the step's grid within [from, to]: days from
// the Unix epoch's Monday for day steps (weeks start on Monday), the
// first of a month for month and year steps.
func (st dateStep) ticks(from, to time.Time) []time.Time {
	var t time.Time
	switch {
	case st.days > 0:
		monday := time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)
		n := int(math.Ceil(from.Sub(monday).Hours() / 24 / float64(st.days)))
		t = monday.AddDate(0, 0, n*st.days)
	case st.months > 0:
		t = time.Date(from.Year(), from.Month()-time.Month((int(from.Month())-1)%st.months), 1, 0, 0, 0, 0, time.UTC)
	default:
		t = time.Date(from.Year()-from.Year()%st.years, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var out []time.Time
	for ; !t.After(to); t = t.AddDate(st.years, st.months, st.days) {
		if !t.Before(from) {
			out = append(out, t)
		}
		if len(out) > 1000 {
			break
		}
	}
	return out
}

// maxChartValue bounds the magnitude of a charted value: gonum/plot
// computes the axis range, its padding and ticks as differences of the
// data, which overflow to Inf (and panic or fail) near the float64
// limits. A quantity beyond it is drawn at it; the tables show the value.
const maxChartValue = 1e300

// chartValue is v as the charts draw it: clamped to ±maxChartValue, and
// not drawn at all (ok false) when it is NaN or infinite, as a
// forecast from data that overflowed may be.
func chartValue(v float64) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return max(-maxChartValue, min(v, maxChartValue)), true
}

// chartable keeps the points of xys that can be drawn, clamped (chartValue),
// in place.
func chartable(xys plotter.XYs) plotter.XYs {
	out := xys[:0]
	for _, xy := range xys {
		y, ok := chartValue(xy.Y)
		if ok && !math.IsNaN(xy.X) && !math.IsInf(xy.X, 0) {
			out = append(out, plotter.XY{X: xy.X, Y: y})
		}
	}
	return out
}

// addLine draws the drawable points of xys (chartable); a series with
// none draws nothing.
func addLine(p *plot.Plot, name string, xys plotter.XYs, c color.Color, width vg.Length) error {
	xys = chartable(xys)
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("api: chart %q: %w", name, err)
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = width
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// addVLine marks x across the y range the plot has so far.
func addVLine(p *plot.Plot, x float64, c color.Color) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: p.Y.Max}})
	if err != nil {
		return // only fails on NaN or Inf, which a marker can do without
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = vg.Points(1)
	l.LineStyle.Dashes = dashMarker
	p.Add(l)
}

// jobSpan is a job's run time, for marking charts.
type jobSpan struct {
	Start, End time.Time // End is zero while the job runs
	Failed     bool
}

const mib = 1 << 20

// chartWidth is the drawing width; pages scale the SVG to their column.
const chartWidth = 11 * vg.Inch

// memoryChart plots live heap, Go memory and RSS in MiB, with job starts
// (green) and ends (grey, or vermilion when the job failed) as dashed
// lines, and a second, short chart of goroutines.
func memoryChart(samples []memSample, jobs []jobSpan) (mem, gor template.HTML, err error) {
	n := len(samples)
	heap, total, rss, g := make(plotter.XYs, n), make(plotter.XYs, n), make(plotter.XYs, n), make(plotter.XYs, n)
	haveRSS := false
	for i, s := range samples {
		x := float64(s.At.UnixMilli()) / 1000
		heap[i] = plotter.XY{X: x, Y: float64(s.HeapLive) / mib}
		total[i] = plotter.XY{X: x, Y: float64(s.GoTotal) / mib}
		rss[i] = plotter.XY{X: x, Y: float64(s.RSS) / mib}
		g[i] = plotter.XY{X: x, Y: float64(s.Goroutines)}
		haveRSS = haveRSS || s.RSS > 0
	}
	ticks := plot.TimeTicks{Format: "15:04:05"}
	p := newPlot("", "MiB")
	p.X.Tick.Marker = ticks
	p.X.Label.Text = "time (UTC)"
	p.Y.Min = 0
	if err := addLine(p, "live heap", heap, colBlue, vg.Points(1.5)); err != nil {
		return "", "", err
	}
	if err := addLine(p, "Go memory", total, colOrange, vg.Points(1.2)); err != nil {
		return "", "", err
	}
	if haveRSS {
		if err := addLine(p, "RSS", rss, colPurple, vg.Points(1.2)); err != nil {
			return "", "", err
		}
	}
	lo, hi := samples[0].At, samples[n-1].At
	in := func(t time.Time) bool { return !t.Before(lo) && !t.After(hi) }
	for _, j := range jobs {
		if in(j.Start) {
			addVLine(p, float64(j.Start.UnixMilli())/1000, colGreen)
		}
		if !j.End.IsZero() && in(j.End) {
			c := color.Color(colGrey)
			if j.Failed {
				c = colVermil
			}
			addVLine(p, float64(j.End.UnixMilli())/1000, c)
		}
	}
	if mem, err = svgHTML(p, chartWidth, 3.6*vg.Inch); err != nil {
		return "", "", err
	}

	pg := newPlot("", "goroutines")
	pg.X.Tick.Marker = ticks
	pg.Y.Min = 0
	if err := addLine(pg, "goroutines", g, colGrey, vg.Points(1.2)); err != nil {
		return "", "", err
	}
	gor, err = svgHTML(pg, chartWidth, 1.8*vg.Inch)
	return mem, gor, err
}

// retainedChart is a bar per guarded run (oldest left): the bytes the run
// retained, in KiB. labels name the bars (job IDs where known).
func retainedChart(reps []*memguard.Report, labels []string) (template.HTML, error) {
	vals := make(plotter.Values, len(reps))
	for i, r := range reps {
		vals[i] = float64(r.RetainedBytes) / 1024
	}
	p := newPlot("", "retained KiB")
	w := vg.Points(max(6, min(28, 480/float64(max(len(reps), 1)))))
	bars, err := plotter.NewBarChart(vals, w)
	if err != nil {
		return "", fmt.Errorf("api: retained chart: %w", err)
	}
	bars.Color = colBar
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	return svgHTML(p, chartWidth, 3.2*vg.Inch)
}

// markColours shade the dates of planned covariates, one colour per
// covariate: the palette's colours that the forecast (blue) and the
// history (grey) do not use, light enough to read the forecast through.
var markColours = []color.NRGBA{{230, 159, 0, 80}, {0, 158, 115, 70}, {204, 121, 167, 80}, {213, 94, 0, 60}}

// dateMarks are the dates to shade for one covariate.
type dateMarks struct {
	Label string // legend entry, "promo planned"
	Dates []time.Time
	Color color.Color
}

// dateBands shades one step of a frequency around each date, over the
// full height of the plot, whatever its y range turns out to be: a
// plotter draws after the axes are settled, so it is added first (under
// the lines) without knowing the data that comes after.
type dateBands struct {
	label  string
	lo, hi []float64 // each band's x extent, Unix seconds
	color  color.Color
}

func newDateBands(m dateMarks, freq data.Frequency) *dateBands {
	b := &dateBands{label: m.Label, lo: make([]float64, len(m.Dates)), hi: make([]float64, len(m.Dates)), color: m.Color}
	for i, t := range m.Dates {
		// Half a step each side, so neighbouring dates' bands meet and a
		// run of promotion days reads as one block.
		b.lo[i] = float64(t.Unix()) - float64(t.Sub(freq.Add(t, -1))/time.Second)/2
		b.hi[i] = float64(t.Unix()) + float64(freq.Add(t, 1).Sub(t)/time.Second)/2
	}
	return b
}

// Plot implements plot.Plotter.
func (b *dateBands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for i := range b.lo {
		x0, x1 := trX(b.lo[i]), trX(b.hi[i])
		c.FillPolygon(b.color, c.ClipPolygonX([]vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y},
			{X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}}))
	}
}

// DataRange implements plot.DataRanger: the bands widen the x range to
// show the last band whole, and leave the y range to the data.
func (b *dateBands) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for i := range b.lo {
		xmin, xmax = math.Min(xmin, b.lo[i]), math.Max(xmax, b.hi[i])
	}
	return xmin, xmax, math.Inf(1), math.Inf(-1)
}

// Thumbnail implements plot.Thumbnailer, for the legend.
func (b *dateBands) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.color, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}

// forecastChart plots the recent history of s and the combined forecast
// with its 80% and 95% bands, and shades the forecast dates of marks
// (planned promotions) under them.
func forecastChart(s *data.Series, res *forecast.Result, historyPoints int, marks []dateMarks) (template.HTML, error) {
	p := newPlot("", "quantity")
	p.X.Tick.Marker = dateTicks{}
	var bands []*dateBands
	if res != nil {
		for _, m := range marks {
			if len(m.Dates) == 0 {
				continue
			}
			b := newDateBands(m, res.Freq)
			p.Add(b)
			bands = append(bands, b)
		}
	}
	var last plotter.XY
	if s != nil && s.Len() > 0 {
		from := max(s.Len()-historyPoints, 0)
		hist := make(plotter.XYs, 0, s.Len()-from)
		for i := from; i < s.Len(); i++ {
			hist = append(hist, plotter.XY{X: float64(s.Date(i).Unix()), Y: s.Values[i]})
		}
		if err := addLine(p, "history", hist, colGrey, vg.Points(1.2)); err != nil {
			return "", err
		}
		if hist = chartable(hist); len(hist) > 0 {
			last = hist[len(hist)-1]
		}
	}
	if res != nil && len(res.Points) > 0 {
		layout := res.Freq.Layout()
		n := len(res.Points)
		mean := make(plotter.XYs, 0, n+1)
		lo80, hi80 := make(plotter.XYs, 0, n), make(plotter.XYs, 0, n)
		lo95, hi95 := make(plotter.XYs, 0, n), make(plotter.XYs, 0, n)
		if last.X != 0 {
			mean = append(mean, last) // join the forecast to the history
		}
		for _, pt := range res.Points {
			t, err := time.Parse(layout, pt.Date)
			if err != nil {
				return "", fmt.Errorf("api: forecast date %q: %w", pt.Date, err)
			}
			x := float64(t.Unix())
			mean = append(mean, plotter.XY{X: x, Y: pt.Value})
			lo80, hi80 = append(lo80, plotter.XY{X: x, Y: pt.Lower}), append(hi80, plotter.XY{X: x, Y: pt.Upper})
			lo95, hi95 = append(lo95, plotter.XY{X: x, Y: pt.Lower95}), append(hi95, plotter.XY{X: x, Y: pt.Upper95})
		}
		for _, b := range []struct {
			name   string
			lo, hi plotter.XYs
			c      color.Color
		}{{"95% interval", lo95, hi95, colBand95}, {"80% interval", lo80, hi80, colBand80}} {
			if !finite(b.lo) || !finite(b.hi) {
				continue // a fallback forecast may carry no intervals
			}
			ring := make(plotter.XYs, 0, 2*n)
			ring = append(ring, b.lo...)
			for i := n - 1; i >= 0; i-- {
				ring = append(ring, b.hi[i])
			}
			ring = chartable(ring) // all finite: this only clamps
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return "", fmt.Errorf("api: forecast band: %w", err)
			}
			poly.Color = b.c
			poly.LineStyle.Width = 0
			p.Add(poly)
			p.Legend.Add(b.name, poly)
		}
		if err := addLine(p, "forecast", mean, colBlue, vg.Points(1.8)); err != nil {
			return "", err
		}
		for _, b := range bands {
			p.Legend.Add(b.label, b)
		}
		if last.X != 0 {
			addVLine(p, last.X, colGrey)
		}
	}
	return svgHTML(p, chartWidth, 3.8*vg.Inch)
}

func finite(xys plotter.XYs) bool {
	for _, xy := range xys {
		if math.IsNaN(xy.Y) || math.IsInf(xy.Y, 0) {
			return false
		}
	}
	return true
}
