// Command hierarchy scores hierarchical reconciliation (-set walmart: on
// the Walmart45 weekly store totals, total and 45 stores) on the Kaggle
// store/item data: the last 90 days of every series are held out, a
// tournament forecasts every node of the hierarchy (the 500 store x SKU
// series, the 10 stores, the 50 SKUs across stores and the total), and
// each method of forecast/hierarchy reconciles them; the table gives the
// WAPE of each method at each level, the empirical coverage of the
// reconciled 80% and 95% intervals, and the largest incoherence (how far
// an aggregate is from the sum of its series).
//
//	go run ./bench/hierarchy [-stores 10] [-skus 50] [-models a,b] [-save f.json | -load f.json]
//
// bottom_up is today's way to a store or total forecast: the sum of the
// SKU forecasts; none is each aggregate's own tournament, incoherent.
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/forecastd/forecastd/bench/holdout"
	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/models"
)

func main() {
	dataDir := flag.String("data", "../shared/data", "folder holding store_item_demand/ and walmart45/")
	set := flag.String("set", "store", "store (store/item, daily, h=90), walmart (Walmart45 store totals, weekly, h=13) or m5 (m5_sample's 10 series with their dept, category and state, daily, h=28)")
	stores := flag.Int("stores", 0, "keep the first N stores (0 = all 10)")
	skus := flag.Int("skus", 0, "keep the first N SKUs (0 = all 50)")
	modelList := flag.String("models", "", "comma-separated candidates (default: the default tournament)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "series trained at once")
	h := flag.Int("h", 0, "steps held out and forecast (0: 90 days for store, 13 weeks for walmart)")
	save := flag.String("save", "", "write the base forecasts to this JSON file")
	load := flag.String("load", "", "read the base forecasts from this JSON file instead of training")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *set, *dataDir, *stores, *skus, *modelList, *workers, *h, *save, *load); err != nil {
		fmt.Fprintln(os.Stderr, "hierarchy:", err)
		os.Exit(1)
	}
}

// base is what the tournaments produced for every node, as saved.
type base struct {
	Models    string                  `json:"models"`
	Seconds   float64                 `json:"seconds"`
	Points    [][]float64             `json:"points"`
	Radius80  [][]float64             `json:"radius_80"`
	Radius95  [][]float64             `json:"radius_95"`
	Residuals [][]forecast.FoldErrors `json:"residuals"`
}

func run(ctx context.Context, set, dataDir string, nStores, nSKUs int, modelList string, workers, h int, save, load string) error {
	var (
		series []*data.Series
		attrs  hierarchy.SeriesAttributes
		err    error
		name   = "store/item"
	)
	switch set {
	case "store":
		series, err = holdout.StoreItem(filepath.Join(dataDir, "store_item_demand", "demand-forecasting-kernels-only.zip"))
		if h == 0 {
			h = 90
		}
	case "walmart":
		series, err = readWalmart(filepath.Join(dataDir, "walmart45", "Walmart.csv"))
		name = "walmart45"
		if h == 0 {
			h = 13
		}
	case "m5":
		series, attrs, err = readM5(filepath.Join(dataDir, "m5_sample", "sales_train_validation.csv"))
		name = "m5_sample"
		if h == 0 {
			h = 28
		}
	default:
		err = fmt.Errorf("-set %q: want store, walmart or m5", set)
	}
	if err != nil {
		return err
	}
	series = keep(series, nStores, nSKUs)
	keys := make([]data.Key, len(series))
	train := make([]*data.Series, len(series))
	actualB := make([][]float64, len(series)) // [bottom][step]
	for i, s := range series {
		keys[i] = s.Key
		n := len(s.Values)
		t := *s
		t.Values = s.Values[:n-h]
		train[i], actualB[i] = &t, s.Values[n-h:]
	}
	hier, err := hierarchy.NewGrouped(keys, attrs)
	if err != nil {
		return err
	}
	aggs, err := hierarchy.AggregateSeries(hier, train)
	if err != nil {
		return err
	}
	all := append(aggs, train...)
	actual := make([][]float64, hier.Len())
	for i := range actual {
		actual[i] = make([]float64, h)
	}
	b := make([]float64, hier.Bottom())
	col := make([]float64, hier.Len())
	for t := 0; t < h; t++ {
		for j := range b {
			b[j] = actualB[j][t]
		}
		hier.Sum(col, b)
		for i, v := range col {
			actual[i][t] = v
		}
	}
	var bs *base
	if load != "" {
		bs, err = readBase(load, hier.Len())
	} else {
		bs, err = trainAll(ctx, hier, all, modelList, workers, h)
	}
	if err != nil {
		return err
	}
	if save != "" {
		if err := writeBase(save, bs); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d series, %d aggregates (%d stores, %d SKUs, %d attribute values, %d store x attribute values, total), last %d steps held out; candidates: %s; tournaments %.0f s\n",
		name, hier.Bottom(), hier.Aggregates(), countLevel(hier, hierarchy.LevelStore), countLevel(hier, hierarchy.LevelSKU),
		countLevel(hier, hierarchy.LevelAttribute), countLevel(hier, hierarchy.LevelStoreAttribute), h, bs.Models, bs.Seconds)
	return score(ctx, hier, bs, actual)
}

// trainAll runs a tournament on every node's series; nodes that sum the
// same series (a store with one SKU and that SKU's series) share one.
func trainAll(ctx context.Context, hier *hierarchy.Hierarchy, all []*data.Series, modelList string, workers, h int) (*base, error) {
	var names []string
	if modelList != "" {
		names = strings.Split(modelList, ",")
	}
	specs, err := models.Standard().Select(names)
	if err != nil {
		return nil, err
	}
	idx := make(map[data.Key]int, len(all))
	first := map[string]int{}
	same := make([]int, len(all)) // the node whose tournament node i shares
	var unique []*data.Series
	for i, s := range all {
		idx[s.Key] = i
		m := fmt.Sprint(hier.Members(i))
		if j, ok := first[m]; ok {
			same[i] = j
			continue
		}
		first[m], same[i] = i, i
		unique = append(unique, s)
	}
	n := len(all)
	bs := &base{Models: "default tournament", Points: make([][]float64, n), Radius80: make([][]float64, n),
		Radius95: make([][]float64, n), Residuals: make([][]forecast.FoldErrors, n)}
	if modelList != "" {
		bs.Models = modelList
	}
	t0 := time.Now()
	o := forecast.Options{Horizon: h, Candidates: specs, Workers: workers}
	err = forecast.Run(ctx, unique, o, func(s *data.Series, out *forecast.Outcome, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", s.Key, err)
		}
		i := idx[s.Key]
		for _, p := range out.Result.Points {
			bs.Points[i] = append(bs.Points[i], p.Value)
			bs.Radius80[i] = append(bs.Radius80[i], p.Upper-p.Value)
			bs.Radius95[i] = append(bs.Radius95[i], p.Upper95-p.Value)
		}
		bs.Residuals[i] = out.Residuals
		return nil
	}, func(done, total int) {
		fmt.Fprintf(os.Stderr, "\r%d/%d series, %s", done, total, time.Since(t0).Round(time.Second))
	})
	fmt.Fprintln(os.Stderr)
	bs.Seconds = time.Since(t0).Seconds()
	for i, j := range same {
		bs.Points[i], bs.Radius80[i], bs.Radius95[i], bs.Residuals[i] = bs.Points[j], bs.Radius80[j], bs.Radius95[j], bs.Residuals[j]
	}
	return bs, err
}

// residuals lines up the nodes' backtest errors by fold origin and step.
func residuals(bs *base) *mat.Dense {
	var rows [][]float64
	for _, f := range bs.Residuals[0] {
		for k := range f.Errors {
			row := make([]float64, len(bs.Residuals))
			ok := true
			for i, folds := range bs.Residuals {
				found := false
				for _, g := range folds {
					if g.Origin == f.Origin && k < len(g.Errors) {
						row[i], found = g.Errors[k], true
					}
				}
				ok = ok && found
			}
			if ok {
				rows = append(rows, row)
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for r, row := range rows {
		m.SetRow(r, row)
	}
	return m
}

// group is a level of the table: its label and its nodes.
type group struct {
	label string
	nodes []int
}

// groups are the levels of hier in the table's order: total, store, SKU,
// each attribute (across stores, then per store), store x SKU.
func groups(hier *hierarchy.Hierarchy) []group {
	var out []group
	at := map[string]int{}
	add := func(label string, i int) {
		j, ok := at[label]
		if !ok {
			j = len(out)
			at[label] = j
			out = append(out, group{label: label})
		}
		out[j].nodes = append(out[j].nodes, i)
	}
	for i, n := range hier.Nodes {
		switch n.Level {
		case hierarchy.LevelAttribute:
			add(n.Attribute, i)
		case hierarchy.LevelStoreAttribute:
			add("store x "+n.Attribute, i)
		case hierarchy.LevelBottom:
			add("store x sku", i)
		default:
			add(string(n.Level), i)
		}
	}
	return out
}

func score(ctx context.Context, hier *hierarchy.Hierarchy, bs *base, actual [][]float64) error {
	res := residuals(bs)
	rows := 0
	if res != nil {
		rows, _ = res.Dims()
	}
	in := hierarchy.Input{Base: bs.Points, Residuals: res, Radius80: bs.Radius80, Radius95: bs.Radius95, NonNegative: true}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	gs := groups(hier)
	fmt.Fprint(tw, "method\t")
	for _, g := range gs {
		fmt.Fprintf(tw, "WAPE %s (%d)\t", g.label, len(g.nodes))
	}
	fmt.Fprintln(tw, "cover80 store\tcover95 store\tcover80 series\tcover95 series\tmax incoherence\tclipped\tseconds\t")
	byLevel := func(l hierarchy.Level) []int {
		for _, g := range gs {
			if g.label == string(l) || (l == hierarchy.LevelBottom && g.label == "store x sku") {
				return g.nodes
			}
		}
		return nil
	}
	for _, m := range hierarchy.Methods {
		t0 := time.Now()
		out, err := hierarchy.Reconcile(ctx, hier, m, in)
		if err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		secs := time.Since(t0).Seconds()
		fmt.Fprintf(tw, "%s\t", m)
		for _, g := range gs {
			fmt.Fprintf(tw, "%.4f\t", wape(g.nodes, out.Points, actual))
		}
		fmt.Fprintf(tw, "%.3f\t%.3f\t%.3f\t%.3f\t%.1e\t%d\t%.1f\t\n",
			coverage(byLevel(hierarchy.LevelStore), out.Points, out.Radius80, actual),
			coverage(byLevel(hierarchy.LevelStore), out.Points, out.Radius95, actual),
			coverage(byLevel(hierarchy.LevelBottom), out.Points, out.Radius80, actual),
			coverage(byLevel(hierarchy.LevelBottom), out.Points, out.Radius95, actual),
			incoherence(hier, out.Points), out.Clipped, secs)
		if m == hierarchy.MinTShrink {
			defer fmt.Printf("mint_shrink: lambda %.4f from %d backtest error samples (fold x step) common to all %d nodes\n", out.Lambda, rows, hier.Len())
		}
	}
	return tw.Flush()
}

func wape(nodes []int, fc, actual [][]float64) float64 {
	var e, y float64
	for _, i := range nodes {
		for t, a := range actual[i] {
			e += math.Abs(a - fc[i][t])
			y += math.Abs(a)
		}
	}
	return e / y
}

func coverage(nodes []int, fc, radius, actual [][]float64) float64 {
	in, n := 0, 0
	for _, i := range nodes {
		for t, a := range actual[i] {
			n++
			if math.Abs(a-fc[i][t]) <= radius[i][t] || (fc[i][t]-radius[i][t] < 0 && a >= 0 && a <= fc[i][t]+radius[i][t]) {
				in++
			}
		}
	}
	return float64(in) / float64(n)
}

// incoherence is the largest gap between an aggregate and the sum of its
// series' forecasts.
func incoherence(hier *hierarchy.Hierarchy, fc [][]float64) float64 {
	worst := 0.0
	b := make([]float64, hier.Bottom())
	col := make([]float64, hier.Len())
	for t := range fc[0] {
		for j := range b {
			b[j] = fc[hier.Aggregates()+j][t]
		}
		hier.Sum(col, b)
		for i := 0; i < hier.Aggregates(); i++ {
			worst = math.Max(worst, math.Abs(col[i]-fc[i][t]))
		}
	}
	return worst
}

func countLevel(hier *hierarchy.Hierarchy, l hierarchy.Level) int {
	n := 0
	for _, nd := range hier.Nodes {
		if nd.Level == l {
			n++
		}
	}
	return n
}

// keep returns the series of the first nStores stores and nSKUs SKUs (by
// their order in series, which Assemble sorts), all when 0.
func keep(series []*data.Series, nStores, nSKUs int) []*data.Series {
	storeSeen, skuSeen := map[string]int{}, map[string]int{}
	var out []*data.Series
	for _, s := range series {
		if _, ok := storeSeen[s.Key.Store]; !ok {
			storeSeen[s.Key.Store] = len(storeSeen)
		}
		if _, ok := skuSeen[s.Key.SKU]; !ok {
			skuSeen[s.Key.SKU] = len(skuSeen)
		}
		if (nStores == 0 || storeSeen[s.Key.Store] < nStores) && (nSKUs == 0 || skuSeen[s.Key.SKU] < nSKUs) {
			out = append(out, s)
		}
	}
	return out
}

// readWalmart reads the Walmart45 weekly store totals as series keyed
// {store, "all"}: a two-level hierarchy (total, stores).
func readWalmart(path string) ([]*data.Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil {
		return nil, err
	}
	var obs []data.Observation
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		d, err := time.Parse("02/01/2006", rec[1])
		if err != nil {
			return nil, err
		}
		q, err := strconv.ParseFloat(rec[2], 64)
		if err != nil {
			return nil, err
		}
		obs = append(obs, data.Observation{Date: d, Key: data.Key{Store: rec[0], SKU: "all"}, Quantity: q})
	}
	return ingest.Assemble(obs, data.Weekly)
}

func readBase(path string, nodes int) (*base, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bs base
	if err := json.Unmarshal(b, &bs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(bs.Points) != nodes {
		return nil, fmt.Errorf("%s holds %d nodes, the hierarchy has %d: run with the same -stores and -skus", path, len(bs.Points), nodes)
	}
	return &bs, nil
}

func writeBase(path string, bs *base) error {
	b, err := json.Marshal(bs)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
