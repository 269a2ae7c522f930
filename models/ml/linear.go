package ml

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Link is the link function of a Linear model, by its JSON name.
type Link string

// The links.
const (
	// LinkIdentity predicts Intercept + Coef·x.
	LinkIdentity Link = ""
	// LinkLog predicts exp(Intercept + Coef·x), the Poisson GLM's.
	LinkLog Link = "log"
)

// Linear is a fitted linear model: Predict(x) = Intercept + Coef·x, or its
// exponential with LinkLog (the Poisson GLM).
type Linear struct {
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	Link      Link      `json:"link,omitempty"`
	// Scale is the robust scale (sigma) a Huber fit estimated jointly
	// with the coefficients; zero for the other models.
	Scale float64 `json:"scale,omitempty"`
	// Iter is the number of solver iterations the fit took (zero for the
	// closed forms).
	Iter int `json:"iter,omitempty"`
}

// Predict returns the prediction for one row.
func (m *Linear) Predict(x []float64) float64 {
	checkRow("Linear", x, len(m.Coef))
	s := m.Intercept
	for j, c := range m.Coef {
		s += c * x[j]
	}
	if m.Link == LinkLog {
		return math.Exp(s)
	}
	return s
}

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it.
func (m *Linear) PredictBatch(dst, x []float64) []float64 {
	return predictBatch(dst, x, len(m.Coef), m.Predict)
}

// OLS is ordinary least squares with an intercept, as scikit-learn's
// LinearRegression. It has no settings.
type OLS struct{}

// Fit solves min ||y - Xw - b||² on the centred design. It first solves
// the normal equations by Cholesky, which costs one pass over the data to
// form XᵀX; when that matrix is too ill-conditioned for the squared
// condition number to leave 1e-8 relative accuracy, it returns the
// minimum-norm solution, which is what scikit-learn's lstsq returns: from
// the eigenvectors of XᵀX when columns are exactly collinear (gramPinv),
// else by QR and SVD of the centred design.
func (OLS) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error) {
	n, err := checkXY("ols", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "ols"); err != nil {
		return nil, err
	}
	xm, ym := columnMeans(x, cols, nil), mean(y)
	gram := make([]float64, cols*cols)
	xty := make([]float64, cols)
	centredGram(gram, xty, x, cols, xm, y, ym, n)
	var ch mat.Cholesky
	if n > cols && ch.Factorize(mat.NewSymDense(cols, gram)) && ch.Cond() < 1e8 {
		w := mat.NewVecDense(cols, nil)
		if err := ch.SolveVecTo(w, mat.NewVecDense(cols, xty)); err == nil {
			return newLinear(w.RawVector().Data, xm, ym), nil
		}
	}
	if w, ok := gramPinv(gram, xty, cols); ok {
		return newLinear(w, xm, ym), nil
	}
	if err := ctxErr(ctx, "ols"); err != nil {
		return nil, err
	}
	// QR of the augmented design [Xc | yc]: its R is [[R, c], [0, ρ]]
	// with c = Qᵀyc, so the least-squares problem reduces to R w = c
	// without ever forming Q. The minimum-norm solution of that small
	// system comes from the SVD of R, with scikit-learn's lstsq cut-off
	// (singular values below eps·max(n, cols)·σ_max count as zero).
	xa := mat.NewDense(n, cols+1, nil)
	raw := xa.RawMatrix().Data
	for i := 0; i < n; i++ {
		for j := 0; j < cols; j++ {
			raw[i*(cols+1)+j] = x[i*cols+j] - xm[j]
		}
		raw[i*(cols+1)+cols] = y[i] - ym
	}
	var qr mat.QR
	qr.Factorize(xa)
	var ra mat.Dense
	qr.RTo(&ra)
	r := ra.Slice(0, cols, 0, cols)
	c := ra.Slice(0, cols, cols, cols+1)
	var svd mat.SVD
	if !svd.Factorize(r, mat.SVDFull) {
		return nil, fmt.Errorf("ols: %w: SVD did not converge", ErrNoConvergence)
	}
	var wm mat.Dense
	rank := svd.Rank(float64(max(n, cols)) * 2.220446049250313e-16)
	svd.SolveTo(&wm, c, rank)
	w := mat.NewVecDense(cols, nil)
	for j := 0; j < cols; j++ {
		w.SetVec(j, wm.At(j, 0))
	}
	return newLinear(w.RawVector().Data, xm, ym), nil
}

// gramPinv handles the common rank-deficient design cheaply: columns that
// are exact linear combinations of others (a 7-day mean beside lags 1-7)
// leave eigenvalues of XᵀX at rounding level while the rest are well
// conditioned. When the spectrum splits that cleanly (every eigenvalue
// below 1e-13 or above 1e-8 of the largest), the minimum-norm solution
// is Σ v·(vᵀXᵀy)/λ over the large eigenvalues, accurate to ~1e-8; any
// murkier spectrum returns ok = false for the QR/SVD path.
func gramPinv(gram, xty []float64, cols int) (w []float64, ok bool) {
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(cols, append([]float64(nil), gram...)), true) {
		return nil, false
	}
	vals := eig.Values(nil)
	top := vals[len(vals)-1]
	if top <= 0 {
		return nil, false
	}
	for _, l := range vals {
		if r := l / top; r > 1e-13 && r < 1e-8 {
			return nil, false
		}
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	w = make([]float64, cols)
	for k, l := range vals {
		if l/top <= 1e-13 {
			continue
		}
		var proj float64
		for j := 0; j < cols; j++ {
			proj += vecs.At(j, k) * xty[j]
		}
		proj /= l
		for j := 0; j < cols; j++ {
			w[j] += proj * vecs.At(j, k)
		}
	}
	return w, true
}

// Ridge is least squares with an L2 penalty on the coefficients, as
// scikit-learn's Ridge: min ||y - Xw - b||² + Alpha·||w||², the
// intercept unpenalised (the data are centred).
type Ridge struct {
	// Alpha is the penalty strength; default 1 (scikit-learn's).
	// Negative values panic.
	Alpha float64 `json:"alpha,omitempty"`
}

// Fit solves the normal equations (XcᵀXc + αI)w = Xcᵀyc by Cholesky, as
// scikit-learn's "cholesky" solver does for dense data.
func (r Ridge) Fit(ctx context.Context, x []float64, cols int, y []float64) (*Linear, error) {
	if r.Alpha < 0 {
		panic("ml: Ridge.Alpha must be >= 0")
	}
	alpha := orDefault(r.Alpha, 1)
	n, err := checkXY("ridge", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	if err := ctxErr(ctx, "ridge"); err != nil {
		return nil, err
	}
	xm, ym := columnMeans(x, cols, nil), mean(y)
	gram := make([]float64, cols*cols)
	xty := make([]float64, cols)
	centredGram(gram, xty, x, cols, xm, y, ym, n)
	for j := 0; j < cols; j++ {
		gram[j*cols+j] += alpha
	}
	w, err := solveSPD(gram, xty, cols)
	if err != nil {
		return nil, fmt.Errorf("ridge: %w", err)
	}
	return newLinear(w, xm, ym), nil
}

// newLinear undoes the centring: b = ȳ - x̄·w.
func newLinear(w, xm []float64, ym float64) *Linear {
	b := ym
	for j, c := range w {
		b -= c * xm[j]
	}
	return &Linear{Coef: append([]float64(nil), w...), Intercept: b}
}

// centredGram writes XcᵀXc into gram (cols×cols) and Xcᵀyc into xty,
// where Xc and yc are centred by xm and ym, without materialising Xc.
func centredGram(gram, xty, x []float64, cols int, xm []float64, y []float64, ym float64, n int) {
	// Four rows at a time: each update of the Gram row then reads and
	// writes it once for four rank-one terms, which quarters the memory
	// traffic on the accumulator.
	r := make([]float64, 4*cols)
	r0, r1, r2, r3 := r[:cols], r[cols:2*cols], r[2*cols:3*cols], r[3*cols:]
	i := 0
	for ; i+4 <= n; i += 4 {
		for j := 0; j < cols; j++ {
			r0[j] = x[i*cols+j] - xm[j]
			r1[j] = x[(i+1)*cols+j] - xm[j]
			r2[j] = x[(i+2)*cols+j] - xm[j]
			r3[j] = x[(i+3)*cols+j] - xm[j]
		}
		y0, y1, y2, y3 := y[i]-ym, y[i+1]-ym, y[i+2]-ym, y[i+3]-ym
		for a := 0; a < cols; a++ {
			a0, a1, a2, a3 := r0[a], r1[a], r2[a], r3[a]
			g := gram[a*cols : a*cols+cols]
			for b := a; b < cols; b++ {
				g[b] += a0*r0[b] + a1*r1[b] + a2*r2[b] + a3*r3[b]
			}
			xty[a] += a0*y0 + a1*y1 + a2*y2 + a3*y3
		}
	}
	for ; i < n; i++ {
		for j := 0; j < cols; j++ {
			r0[j] = x[i*cols+j] - xm[j]
		}
		yi := y[i] - ym
		for a := 0; a < cols; a++ {
			ra := r0[a]
			g := gram[a*cols : a*cols+cols]
			for b := a; b < cols; b++ {
				g[b] += ra * r0[b]
			}
			xty[a] += ra * yi
		}
	}
	for a := 0; a < cols; a++ {
		for b := 0; b < a; b++ {
			gram[a*cols+b] = gram[b*cols+a]
		}
	}
}

// solveSPD solves A w = b for symmetric positive definite A (p×p,
// row-major) by Cholesky.
func solveSPD(a, b []float64, p int) ([]float64, error) {
	sym := mat.NewSymDense(p, a)
	var ch mat.Cholesky
	if !ch.Factorize(sym) {
		return nil, fmt.Errorf("%w: normal equations not positive definite", ErrNoConvergence)
	}
	w := mat.NewVecDense(p, nil)
	if err := ch.SolveVecTo(w, mat.NewVecDense(p, b)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoConvergence, err)
	}
	return w.RawVector().Data, nil
}

// columnMeans writes the mean of each column of x into dst (grown if
// short) and returns it.
func columnMeans(x []float64, cols int, dst []float64) []float64 {
	if cap(dst) < cols {
		dst = make([]float64, cols)
	}
	dst = dst[:cols]
	clear(dst)
	n := len(x) / cols
	for i := 0; i < n; i++ {
		for j, v := range x[i*cols : (i+1)*cols] {
			dst[j] += v
		}
	}
	for j := range dst {
		dst[j] /= float64(n)
	}
	return dst
}

func mean(y []float64) float64 {
	var s float64
	for _, v := range y {
		s += v
	}
	return s / float64(len(y))
}
