package arima

import "fmt"

// Order is the order of a seasonal ARIMA(P,D,Q)(SP,SD,SQ)Period model.
type Order struct {
	P int `json:"p"` // non-seasonal AR order
	D int `json:"d"` // non-seasonal differences
	Q int `json:"q"` // non-seasonal MA order

	SP int `json:"sp"` // seasonal AR order
	SD int `json:"sd"` // seasonal differences
	SQ int `json:"sq"` // seasonal MA order

	// Period is the season length m; it is ignored when SP, SD and SQ
	// are all zero.
	Period int `json:"period"`
}

// String formats the order as R's forecast package does, e.g.
// "ARIMA(0,1,1)(0,1,1)[12]".
func (o Order) String() string {
	if o.seasonal() {
		return fmt.Sprintf("ARIMA(%d,%d,%d)(%d,%d,%d)[%d]", o.P, o.D, o.Q, o.SP, o.SD, o.SQ, o.Period)
	}
	return fmt.Sprintf("ARIMA(%d,%d,%d)", o.P, o.D, o.Q)
}

func (o Order) seasonal() bool { return o.Period > 1 && o.SP+o.SD+o.SQ > 0 }

// ns returns the season length used in the expansion (0 when non-seasonal,
// as R, which then multiplies seasonal orders of zero by any period).
func (o Order) ns() int {
	if o.seasonal() {
		return o.Period
	}
	return 0
}

// narma is the number of ARMA coefficients.
func (o Order) narma() int { return o.P + o.Q + o.SP + o.SQ }

// validate panics on programmer errors in an order.
func (o Order) validate() {
	if o.P < 0 || o.D < 0 || o.Q < 0 || o.SP < 0 || o.SD < 0 || o.SQ < 0 || o.Period < 0 {
		panic(fmt.Sprintf("arima: negative order %+v", o))
	}
	if o.SP+o.SD+o.SQ > 0 && o.Period < 2 {
		panic(fmt.Sprintf("arima: seasonal order %+v needs Period >= 2", o))
	}
}

// expandedP and expandedQ are the degrees of the multiplied-out AR and MA
// polynomials.
func (o Order) expandedP() int { return o.P + o.ns()*o.SP }
func (o Order) expandedQ() int { return o.Q + o.ns()*o.SQ }

// delta returns the coefficients of the differencing operator
// (1-B)^D (1-B^m)^SD as R's arima stores them: minus the coefficients of
// B, B^2, ... so that x_t = sum delta_i x_{t-i} + w_t.
func (o Order) delta() []float64 {
	poly := []float64{1}
	for i := 0; i < o.D; i++ {
		poly = polyMul(poly, []float64{1, -1})
	}
	if o.seasonal() {
		s := make([]float64, o.Period+1)
		s[0], s[o.Period] = 1, -1
		for i := 0; i < o.SD; i++ {
			poly = polyMul(poly, s)
		}
	}
	d := make([]float64, len(poly)-1)
	for i := range d {
		d[i] = -poly[i+1]
	}
	return d
}

func polyMul(a, b []float64) []float64 {
	out := make([]float64, len(a)+len(b)-1)
	for i, x := range a {
		for j, y := range b {
			out[i+j] += x * y
		}
	}
	return out
}
