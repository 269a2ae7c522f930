package record

import (
	"encoding/json"
	"math"

	"github.com/forecastd/forecastd/forecast"
)

// Result is the codec of a series' forecast result (the body of a
// results row: what the API serves).
var Result = Codec[forecast.Result]{name: "forecast result", data: decodeResult}

// Kept is the codec of the models a tournament kept for a series, with
// their states (read by refresh jobs). A fallback result kept none: its
// record holds null, which decodes as nil.
var Kept = New[[]forecast.Kept]("kept models")

// plainResult has forecast.Result's fields without its methods.
type plainResult forecast.Result

// decodeResult reads what Result.MarshalJSON wrote: an undefined coverage
// is written as null and read back as NaN (plain decoding would make it
// 0, a coverage that was never measured).
func decodeResult(b []byte, dst *forecast.Result) error {
	aux := struct {
		*plainResult
		Coverage80 *float64 `json:"coverage_80"`
		Coverage95 *float64 `json:"coverage_95"`
	}{plainResult: (*plainResult)(dst)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	dst.Coverage80, dst.Coverage95 = orNaN(aux.Coverage80), orNaN(aux.Coverage95)
	return nil
}

// DecodeResultServed reads a result record into dst except for its
// leaderboard and combination metrics, which it leaves empty: they are
// most of a stored result and of the cost of reading it, and a forecast
// request serves neither.
func DecodeResultServed(b []byte, dst *forecast.Result) error {
	return Result.decodeWith(b, dst, func(b []byte, dst *forecast.Result) error {
		aux := struct {
			*plainResult
			Coverage80  *float64 `json:"coverage_80"`
			Coverage95  *float64 `json:"coverage_95"`
			Leaderboard skip     `json:"leaderboard"`
			Combination skip     `json:"combination"`
		}{plainResult: (*plainResult)(dst)}
		if err := json.Unmarshal(b, &aux); err != nil {
			return err
		}
		dst.Coverage80, dst.Coverage95 = orNaN(aux.Coverage80), orNaN(aux.Coverage95)
		return nil
	})
}

// skip is a JSON value that is read past and dropped.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
