package ets

import "fmt"

// Component is the type of one ETS component: none, additive or
// multiplicative. The values are R's codes in etscalc.c, and index the
// letters N, A and M.
type Component int

// The component types.
const (
	None Component = 0
	Add  Component = 1
	Mul  Component = 2
)

// letter is R's code letter of c: N, A or M.
func (c Component) letter() string { return [3]string{"N", "A", "M"}[c] }

// MaxSeason is the longest season the ETS models accept, as in R, whose
// etscalc.c keeps the seasonal states in fixed arrays of 24 (ets() ignores
// the season of longer-period data and refuses explicit seasonal forms).
const MaxSeason = 24

// Form is one member of the ETS family: error, trend and season types
// and whether the trend is damped.
type Form struct {
	Error, Trend, Season Component
	Damped               bool
}

// String returns R's short name, e.g. "MAdM".
func (f Form) String() string {
	s := f.Error.letter() + f.Trend.letter()
	if f.Damped {
		s += "d"
	}
	return s + f.Season.letter()
}

// Method returns R's method string, e.g. "ETS(M,Ad,M)".
func (f Form) Method() string {
	t := f.Trend.letter()
	if f.Damped {
		t += "d"
	}
	return "ETS(" + f.Error.letter() + "," + t + "," + f.Season.letter() + ")"
}

// ParseForm parses a name such as "AAdA", "MNM" or "AAN": one form, no Z
// components.
func ParseForm(name string) (Form, error) {
	sp, err := parseSpec(name)
	if err != nil || len(sp.errs) != 1 || len(sp.trends) != 1 || len(sp.seasons) != 1 || len(sp.damped) != 1 {
		return Form{}, fmt.Errorf("ets: invalid form %q", name)
	}
	return Form{Error: sp.errs[0], Trend: sp.trends[0], Season: sp.seasons[0], Damped: sp.damped[0]}, nil
}

// spec is a parsed model string as R's ets(model=) takes it: the choices
// for each component, Z standing for every choice R considers.
type spec struct {
	errs, trends, seasons []Component
	damped                []bool
}

// parseSpec parses a model string such as "ZZZ", "AAdA" or "MZM"; ""
// means "ZZZ". A Z trend tries N and A, each damped and not.
func parseSpec(model string) (spec, error) {
	if model == "" {
		model = "ZZZ"
	}
	s := model
	explicitDamped := false
	if len(s) == 4 && s[2] == 'd' {
		explicitDamped = true
		s = s[:2] + s[3:]
	}
	if len(s) != 3 {
		return spec{}, fmt.Errorf("ets: invalid model %q", model)
	}
	pick := func(c byte, allowN bool, z []Component) ([]Component, bool) {
		switch c {
		case 'N':
			return []Component{None}, allowN
		case 'A':
			return []Component{Add}, true
		case 'M':
			return []Component{Mul}, true
		case 'Z':
			return z, true
		}
		return nil, false
	}
	var sp spec
	var ok1, ok2, ok3 bool
	sp.errs, ok1 = pick(s[0], false, []Component{Add, Mul})
	sp.trends, ok2 = pick(s[1], true, []Component{None, Add})
	sp.seasons, ok3 = pick(s[2], true, []Component{None, Add, Mul})
	if !ok1 || !ok2 || !ok3 {
		return spec{}, fmt.Errorf("ets: invalid model %q", model)
	}
	switch {
	case explicitDamped:
		if s[1] == 'N' {
			return spec{}, fmt.Errorf("ets: invalid model %q: damped without trend", model)
		}
		sp.damped = []bool{true}
	case s[1] == 'Z':
		sp.damped = []bool{true, false}
	default:
		sp.damped = []bool{false}
	}
	return sp, nil
}

// Params are the smoothing parameters. Beta is 0 without a trend, Gamma
// 0 without a season and Phi 1 without damping, as R passes them to C.
type Params struct {
	Alpha, Beta, Gamma, Phi float64
}

// nStates is the length of the full state vector (l, b, s_0..s_{m-1}).
func nStates(f Form, m int) int {
	n := 1
	if f.Trend != None {
		n++
	}
	if f.Season != None {
		n += m
	}
	return n
}
