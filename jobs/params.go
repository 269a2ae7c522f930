package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/hierarchy"
	"github.com/forecastd/forecastd/models"
)

// Kind is what a job does. The zero Kind is unset: Params.Validate makes
// it KindTrain, the default of a job request.
type Kind uint8

// Job kinds.
const (
	// KindTrain runs the tournament on each series.
	KindTrain Kind = iota + 1
	// KindRefresh re-predicts each series from its latest history with the
	// models the last tournament kept.
	KindRefresh
)

var kindNames = [...]string{KindTrain: "train", KindRefresh: "refresh"}

// ParseKind parses a kind's name; the empty name is the default,
// KindTrain. It is the one place a kind's name is read.
func ParseKind(name string) (Kind, error) {
	if name == "" {
		return KindTrain, nil
	}
	for k, n := range kindNames {
		if n != "" && n == name {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("kind %q: want %q or %q", name, KindTrain, KindRefresh)
}

func (k Kind) valid() bool { return k > 0 && int(k) < len(kindNames) }

// String is the kind's name: a metric label, a memguard run kind and
// what the API shows.
func (k Kind) String() string {
	if !k.valid() {
		return fmt.Sprintf("Kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("jobs: invalid kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a kind's name (ParseKind).
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Params are the parameters of a job, as POST /v1/jobs takes them.
type Params struct {
	Kind            Kind     `json:"kind,omitempty"`
	Horizon         int      `json:"horizon"`
	Stores          []string `json:"stores,omitempty"`
	SKUs            []string `json:"skus,omitempty"`
	TopK            int      `json:"top_k,omitempty"`
	BacktestWindows int      `json:"backtest_windows,omitempty"`
	Step            int      `json:"step,omitempty"`
	Season          int      `json:"season,omitempty"`
	Metric          string   `json:"metric,omitempty"`
	Combine         string   `json:"combine,omitempty"`
	Models          []string `json:"models,omitempty"`
	// PartitionBy splits the job across workers (PostgreSQL backend):
	// "series" (default: chunks of PartitionSize series) or "store".
	PartitionBy string `json:"partition_by,omitempty"`
	// PartitionSize is the number of series per partition; default the
	// worker's (FORECASTD_PARTITION_SIZE, 50).
	PartitionSize int `json:"partition_size,omitempty"`
	// Negative is what the job does with a series that has negative
	// values (weeks where returns exceed sales): allow (the default)
	// trains it as it is, and candidates that need non-negative data
	// decline it; clip trains on max(y, 0); refuse leaves it out of the
	// job with a warning. An upload's negative policy decides what is
	// stored; this one what a job trains on.
	Negative ingest.NegativePolicy `json:"negative,omitempty"`
	// Reconcile makes the forecasts coherent across the store x SKU
	// hierarchy (package forecast/hierarchy): none (or empty, the
	// default) trains the series alone, as before; bottom_up, top_down,
	// mint_ols, mint_wls and mint_shrink also train the store, SKU and
	// total aggregates and reconcile all of them (jobs/reconcile.go).
	Reconcile string `json:"reconcile,omitempty"`
	// Series, when set, restricts the job to exactly these series (with
	// stores and skus, which still apply): a retraining on drift names
	// the drifting series only.
	Series []data.Key `json:"series,omitempty"`
	// Reason says why a job forecastd queued by itself runs: ReasonDrift
	// for a retraining on drift (FORECASTD_RETRAIN_ON_DRIFT), with Drift
	// the series' figures. Empty for a job asked for.
	Reason string        `json:"reason,omitempty"`
	Drift  []DriftFigure `json:"drift,omitempty"`
}

// ReasonDrift is the Reason of a retraining queued because its series
// drifted (jobs/accuracy.go).
const ReasonDrift = "drift"

// maxFilter bounds the store and SKU lists of one request.
const maxFilter = 10000

// DecodeParams parses and validates a job request body: unknown fields,
// wrong types, trailing data and out-of-range values are errors.
func DecodeParams(body []byte, reg *models.Registry) (Params, error) {
	var p Params
	if err := checkKeys(body); err != nil {
		return p, fmt.Errorf("invalid job request: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("invalid job request: %w", err)
	}
	if dec.More() {
		return p, fmt.Errorf("invalid job request: trailing data after the JSON object")
	}
	return p, p.Validate(reg)
}

// paramKeys are the JSON names of Params' fields, from their tags.
var paramKeys = func() []string {
	var keys []string
	t := reflect.TypeFor[Params]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}()

// fieldOf is the field name key selects as encoding/json matches it:
// exactly, or else folding case as strings.EqualFold does (so the Kelvin
// sign selects k and the long s selects s). It is "" for an unknown key.
func fieldOf(key string) string {
	for _, k := range paramKeys {
		if k == key {
			return k
		}
	}
	for _, k := range paramKeys {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return ""
}

// checkKeys refuses a body whose top-level object names a field twice,
// or names one in another case than its own. encoding/json matches keys
// case-insensitively and keeps the last value, so {"horizon":7,
// "HORIZON":300} would ask for 300 while a reader of the body (a proxy,
// a log, a person) sees 7. Unknown keys and malformed bodies are left
// to the decoder, which says what is wrong with them.
func checkKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		switch field := fieldOf(key); {
		case field == "":
		case field != key:
			return fmt.Errorf("key %q: write it %q", key, field)
		case seen[field]:
			return fmt.Errorf("key %q appears twice", key)
		default:
			seen[field] = true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// Validate checks p and fills the defaults.
func (p *Params) Validate(reg *models.Registry) error {
	if p.Kind == 0 {
		p.Kind = KindTrain
	}
	if !p.Kind.valid() {
		return fmt.Errorf("kind %v: want %q or %q", p.Kind, KindTrain, KindRefresh)
	}
	if len(p.Stores) > maxFilter || len(p.SKUs) > maxFilter {
		return fmt.Errorf("at most %d stores and %d skus per job", maxFilter, maxFilter)
	}
	if len(p.Series) > maxFilter || len(p.Drift) > maxFilter {
		return fmt.Errorf("at most %d series and drift figures per job", maxFilter)
	}
	if p.Reason != "" && p.Reason != ReasonDrift {
		return fmt.Errorf("reason %q: want %q or none", p.Reason, ReasonDrift)
	}
	if len(p.Drift) > 0 && p.Reason != ReasonDrift {
		return fmt.Errorf("drift figures are given only with reason %q", ReasonDrift)
	}
	if p.PartitionBy != "" && p.PartitionBy != PartitionBySeries && p.PartitionBy != PartitionByStore {
		return fmt.Errorf("partition_by %q: want %q or %q", p.PartitionBy, PartitionBySeries, PartitionByStore)
	}
	if p.PartitionSize < 0 || p.PartitionSize > 100000 {
		return fmt.Errorf("partition_size %d: want 1..100000 (or 0 for the default)", p.PartitionSize)
	}
	neg, err := ingest.ParseNegativePolicy(string(p.Negative))
	if err != nil {
		return err
	}
	p.Negative = neg
	if _, err := hierarchy.ParseMethod(p.Reconcile); err != nil {
		return err
	}
	if _, err := reg.Select(p.Models); err != nil {
		return err
	}
	o := p.options()
	if err := o.Validate(); err != nil {
		return err
	}
	p.TopK, p.BacktestWindows, p.Step, p.Metric, p.Combine = o.TopK, o.Windows, o.Step, string(o.Metric), string(o.Combine)
	return nil
}

// filter is the series selection of p.
func (p Params) filter() sqlstore.SeriesFilter {
	return sqlstore.SeriesFilter{Stores: p.Stores, SKUs: p.SKUs, Keys: p.Series}
}

func (p Params) options() forecast.Options {
	return forecast.Options{Horizon: p.Horizon, TopK: p.TopK, Windows: p.BacktestWindows, Step: p.Step,
		Season: p.Season, Metric: forecast.Metric(p.Metric), Combine: forecast.Combination(p.Combine)}
}

// DriftFigure is why a retraining on drift includes a series: the
// vintage it was judged on and its realized figures against the bound.
type DriftFigure struct {
	Store        string   `json:"store"`
	SKU          string   `json:"sku"`
	VintageJobID string   `json:"vintage_job_id"`
	Steps        int      `json:"steps"`
	WAPE         *float64 `json:"wape"`
	WAPELimit    *float64 `json:"wape_limit"`
	Coverage80   *float64 `json:"coverage_80"`
	CoverageP    *float64 `json:"coverage_p"`
	Reasons      []string `json:"reasons"`
}

// reconcileMethod is the job's reconciliation; Validate has refused an
// unknown one, so a stored job's value parses (None when empty).
func (p Params) reconcileMethod() hierarchy.Method {
	m, _ := hierarchy.ParseMethod(p.Reconcile)
	return m
}
