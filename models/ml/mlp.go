package ml

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// MLP is a multi-layer perceptron regressor with ReLU hidden layers and a
// linear output, trained by Adam on the squared error with an L2 penalty,
// as scikit-learn's MLPRegressor (solver "adam"). Features should be
// standardised (see Imputer).
//
// Training runs epochs of shuffled mini-batches and stops after MaxIter
// epochs or, as scikit-learn, when the training loss has not improved by
// Tol for NIterNoChange consecutive epochs. There is no validation-based
// early stopping (scikit-learn's default is off too).
type MLP struct {
	// Hidden are the hidden layer sizes; default [100]. One or two layers
	// are typical; more work.
	Hidden []int `json:"hidden,omitempty"`
	// Alpha is the L2 penalty on the weights; default 1e-4.
	Alpha float64 `json:"alpha,omitempty"`
	// LearningRate is Adam's step size; default 1e-3.
	LearningRate float64 `json:"learning_rate,omitempty"`
	// BatchSize is the mini-batch size; default min(200, rows).
	BatchSize int `json:"batch_size,omitempty"`
	// MaxIter bounds the epochs; default 200.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol is the loss improvement that counts as progress; default 1e-4.
	Tol float64 `json:"tol,omitempty"`
	// NIterNoChange is the number of epochs without progress that stops
	// training; default 10.
	NIterNoChange int `json:"n_iter_no_change,omitempty"`
	// Seed seeds the weight initialisation and the batch shuffling.
	Seed uint64 `json:"seed,omitempty"`
	// StandardiseTarget trains on (y - mean)/std and undoes it in
	// Predict. scikit-learn does not (its default is off here too), but
	// with targets in the tens and Adam's small steps, the output bias
	// alone takes hundreds of steps to reach the mean level of y.
	StandardiseTarget bool `json:"standardise_target,omitempty"`
}

// MLPModel is a fitted perceptron. Layer l maps Sizes[l] inputs to
// Sizes[l+1] outputs with weights W[l] (row-major, Sizes[l]×Sizes[l+1])
// and biases B[l].
type MLPModel struct {
	Sizes []int       `json:"sizes"`
	W     [][]float64 `json:"w"`
	B     [][]float64 `json:"b"`
	// Epochs is the number of epochs trained; Loss the final training
	// loss (half mean squared error plus penalty).
	Epochs int     `json:"epochs"`
	Loss   float64 `json:"loss"`
	// YMean and YScale undo a standardised target: predictions are
	// YMean + YScale·output. YScale zero means the target was not
	// standardised.
	YMean  float64 `json:"y_mean,omitempty"`
	YScale float64 `json:"y_scale,omitempty"`
}

// mlpStack is the widest layer Predict evaluates without allocating.
const mlpStack = 128

// Predict runs the network forward on one row.
func (m *MLPModel) Predict(x []float64) float64 {
	checkRow("MLPModel", x, m.Sizes[0])
	var b1, b2 [mlpStack]float64
	w := m.width()
	if w <= mlpStack {
		return m.forward(x, b1[:w], b2[:w])
	}
	return m.forward(x, make([]float64, w), make([]float64, w))
}

// PredictBatch writes the predictions for the rows of x into dst (grown if
// short) and returns it. It allocates its two activation buffers once per
// call, not per row.
func (m *MLPModel) PredictBatch(dst, x []float64) []float64 {
	cols := m.Sizes[0]
	if len(x)%cols != 0 {
		panic(fmt.Sprintf("ml: PredictBatch: len(x) = %d is not a multiple of %d columns", len(x), cols))
	}
	n := len(x) / cols
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	w := m.width()
	b1, b2 := make([]float64, w), make([]float64, w)
	for i := range dst {
		dst[i] = m.forward(x[i*cols:(i+1)*cols], b1, b2)
	}
	return dst
}

// width is the widest layer after the input.
func (m *MLPModel) width() int {
	w := 1
	for _, s := range m.Sizes[1:] {
		w = max(w, s)
	}
	return w
}

// forward evaluates the network on x, alternating between the scratch
// buffers b1 and b2 (each at least width() long).
func (m *MLPModel) forward(x, b1, b2 []float64) float64 {
	in := x
	for l := 0; l+1 < len(m.Sizes); l++ {
		nOut := m.Sizes[l+1]
		out := b1[:nOut]
		if l%2 == 1 {
			out = b2[:nOut]
		}
		w := m.W[l]
		if nOut == 1 {
			out[0] = m.B[l][0] + dot(in, w)
		} else {
			copy(out, m.B[l])
			for i, v := range in {
				if v != 0 {
					axpy(v, w[i*nOut:(i+1)*nOut], out)
				}
			}
		}
		if l+2 < len(m.Sizes) {
			for k, v := range out {
				if v < 0 {
					out[k] = 0
				}
			}
		}
		in = out
	}
	if m.YScale != 0 {
		return m.YMean + m.YScale*in[0]
	}
	return in[0]
}

// mlpSettings are MLP's settings with the defaults filled in.
type mlpSettings struct {
	hidden                []int
	alpha, lr, tol        float64
	maxIter, patience, bs int
}

// settings fills in the defaults (bs before capping at the rows);
// invalid settings are a programmer error and panic, as elsewhere in
// this package.
func (p MLP) settings() mlpSettings {
	if p.Alpha < 0 || p.LearningRate < 0 || p.BatchSize < 0 || p.MaxIter < 0 || p.Tol < 0 || p.NIterNoChange < 0 {
		panic(fmt.Sprintf("ml: mlp: invalid settings %+v", p))
	}
	hidden := p.Hidden
	if len(hidden) == 0 {
		hidden = []int{100}
	}
	for _, h := range hidden {
		if h < 1 {
			panic("ml: mlp: hidden layer sizes must be >= 1")
		}
	}
	return mlpSettings{
		hidden:   hidden,
		alpha:    orDefault(p.Alpha, 1e-4),
		lr:       orDefault(p.LearningRate, 1e-3),
		tol:      orDefault(p.Tol, 1e-4),
		maxIter:  orDefault(p.MaxIter, 200),
		patience: orDefault(p.NIterNoChange, 10),
		bs:       orDefault(p.BatchSize, 200),
	}
}

// Fit trains the network.
func (p MLP) Fit(ctx context.Context, x []float64, cols int, y []float64) (*MLPModel, error) {
	st := p.settings()
	n, err := checkXY("mlp", x, cols, y, 2)
	if err != nil {
		return nil, err
	}
	st.bs = min(st.bs, n)
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	var yMean, yScale float64
	if p.StandardiseTarget {
		y, yMean, yScale = standardise(y)
	}
	tr := newMLPTrainer(append(append([]int{cols}, st.hidden...), 1), st.bs, rng)
	m := tr.m
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	best := math.Inf(1)
	noImprove := 0
	epoch := 0
	var loss float64
	for epoch = 0; epoch < st.maxIter; epoch++ {
		if err := ctxErr(ctx, "mlp"); err != nil {
			return nil, err
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var sse float64
		for start := 0; start < n; start += st.bs {
			sse = tr.batch(x, y, perm[start:start+min(st.bs, n-start)], sse, st.alpha, st.lr)
		}
		// Epoch loss as scikit-learn reports it: half mean squared error
		// plus the penalty at the final weights.
		var wsq float64
		for l := range m.W {
			wsq += dot(m.W[l], m.W[l])
		}
		loss = sse/(2*float64(n)) + 0.5*st.alpha*wsq/float64(st.bs)
		if !finite(loss) {
			return nil, fmt.Errorf("mlp: %w: training loss diverged", ErrNoConvergence)
		}
		if loss > best-st.tol {
			noImprove++
		} else {
			noImprove = 0
		}
		best = math.Min(best, loss)
		if noImprove > st.patience {
			epoch++
			break
		}
	}
	m.Epochs, m.Loss = epoch, loss
	if p.StandardiseTarget {
		m.YMean, m.YScale = yMean, yScale
	}
	return m, nil
}

// standardise returns (y - mean)/scale with the mean and the population
// standard deviation (1 for a constant y).
func standardise(y []float64) (ys []float64, yMean, yScale float64) {
	n := len(y)
	yMean = mean(y)
	for _, v := range y {
		yScale += (v - yMean) * (v - yMean)
	}
	yScale = math.Sqrt(yScale / float64(n))
	if yScale == 0 {
		yScale = 1
	}
	ys = make([]float64, n)
	for i, v := range y {
		ys[i] = (v - yMean) / yScale
	}
	return ys, yMean, yScale
}

// Adam's moment decay rates and epsilon, scikit-learn's defaults.
const beta1, beta2, adamEps = 0.9, 0.999, 1e-8

// mlpTrainer is the network being trained and its training buffers, all
// allocated once: gradients and Adam's moments per layer, and the
// activations and deltas of one mini-batch.
type mlpTrainer struct {
	m              *MLPModel
	sizes          []int
	gW, gB         [][]float64
	mW, mB, vW, vB [][]float64
	acts, deltas   [][]float64 // per layer, bs rows each
	yb             []float64
	step           int // Adam steps taken
}

// newMLPTrainer initialises a network of the given layer sizes with
// Glorot uniform weights (scikit-learn's factor 6 for ReLU), drawn from
// rng, for mini-batches of up to bs rows.
func newMLPTrainer(sizes []int, bs int, rng *rand.Rand) *mlpTrainer {
	L := len(sizes) - 1
	tr := &mlpTrainer{
		m:     &MLPModel{Sizes: sizes, W: make([][]float64, L), B: make([][]float64, L)},
		sizes: sizes,
		gW:    make([][]float64, L), gB: make([][]float64, L),
		mW: make([][]float64, L), mB: make([][]float64, L),
		vW: make([][]float64, L), vB: make([][]float64, L),
		acts:   make([][]float64, L+1),
		deltas: make([][]float64, L+1),
		yb:     make([]float64, bs),
	}
	m := tr.m
	for l := 0; l < L; l++ {
		fi, fo := sizes[l], sizes[l+1]
		bound := math.Sqrt(6 / float64(fi+fo))
		m.W[l], m.B[l] = make([]float64, fi*fo), make([]float64, fo)
		for k := range m.W[l] {
			m.W[l][k] = (2*rng.Float64() - 1) * bound
		}
		for k := range m.B[l] {
			m.B[l][k] = (2*rng.Float64() - 1) * bound
		}
		tr.gW[l], tr.gB[l] = make([]float64, fi*fo), make([]float64, fo)
		tr.mW[l], tr.mB[l] = make([]float64, fi*fo), make([]float64, fo)
		tr.vW[l], tr.vB[l] = make([]float64, fi*fo), make([]float64, fo)
	}
	for l := 0; l <= L; l++ {
		tr.acts[l] = make([]float64, bs*sizes[l])
		tr.deltas[l] = make([]float64, bs*sizes[l])
	}
	return tr
}

// batch trains on the rows in batch, one Adam step, and returns sse plus
// the batch's sum of squared errors (before the step).
func (tr *mlpTrainer) batch(x, y []float64, batch []int, sse, alpha, lr float64) float64 {
	sizes, m := tr.sizes, tr.m
	L, cols, b := len(sizes)-1, sizes[0], len(batch)
	in := tr.acts[0][:b*cols]
	for r, i := range batch {
		copy(in[r*cols:(r+1)*cols], x[i*cols:(i+1)*cols])
		tr.yb[r] = y[i]
	}
	// Forward.
	for l := 0; l < L; l++ {
		fi, fo := sizes[l], sizes[l+1]
		out := tr.acts[l+1][:b*fo]
		for r := 0; r < b; r++ {
			copy(out[r*fo:(r+1)*fo], m.B[l])
		}
		matMulAdd(out, tr.acts[l][:b*fi], m.W[l], b, fi, fo)
		if l+1 < L {
			for k, v := range out {
				out[k] = math.Max(v, 0)
			}
		}
	}
	// Output deltas: d(½·mean sq err)/d out, times b (scikit-learn
	// divides the weight gradients by the batch size instead).
	dOut := tr.deltas[L][:b]
	for r := 0; r < b; r++ {
		d := tr.acts[L][r] - tr.yb[r]
		dOut[r] = d
		sse += d * d
	}
	tr.backward(b, alpha)
	// Adam.
	tr.step++
	lrT := lr * math.Sqrt(1-math.Pow(beta2, float64(tr.step))) / (1 - math.Pow(beta1, float64(tr.step)))
	for l := 0; l < L; l++ {
		adam(m.W[l], tr.gW[l], tr.mW[l], tr.vW[l], lrT, beta1, beta2, adamEps)
		adam(m.B[l], tr.gB[l], tr.mB[l], tr.vB[l], lrT, beta1, beta2, adamEps)
	}
	return sse
}

// backward propagates the output deltas of a batch of b rows back
// through the layers, filling the penalised gradients.
func (tr *mlpTrainer) backward(b int, alpha float64) {
	sizes, m := tr.sizes, tr.m
	for l := len(sizes) - 2; l >= 0; l-- {
		fi, fo := sizes[l], sizes[l+1]
		d := tr.deltas[l+1][:b*fo]
		gW, gB := tr.gW[l], tr.gB[l]
		// gW = (aᵀ·d + alpha·W) / b; gB = mean d.
		for k, w := range m.W[l] {
			gW[k] = alpha * w
		}
		matTMulAdd(gW, tr.acts[l][:b*fi], d, b, fi, fo)
		scale(1/float64(b), gW)
		clear(gB)
		for r := 0; r < b; r++ {
			axpy(1/float64(b), d[r*fo:(r+1)*fo], gB)
		}
		if l > 0 {
			dPrev := tr.deltas[l][:b*fi]
			matMulT(dPrev, d, m.W[l], b, fi, fo)
			a := tr.acts[l][:b*fi]
			for k := range dPrev {
				if a[k] <= 0 {
					dPrev[k] = 0
				}
			}
		}
	}
}

func adam(param, grad, m, v []float64, lr, b1, b2, eps float64) {
	for k, g := range grad {
		m[k] = b1*m[k] + (1-b1)*g
		v[k] = b2*v[k] + (1-b2)*g*g
		param[k] -= lr * m[k] / (math.Sqrt(v[k]) + eps)
	}
}

// The three products of a training step, written as row-major loops
// whose inner loop is a contiguous axpy or dot. gonum's blas64.Gemm would
// do, but it goes parallel above a few 64×64 blocks, and a fit must stay
// on one core: the tournament parallelises over series.

// matMulAdd sets out (b×fo) += a (b×fi) · w (fi×fo).
func matMulAdd(out, a, w []float64, b, fi, fo int) {
	if fo == 1 {
		// The output layer: one dot product per row, not fi axpys of 1.
		for r := 0; r < b; r++ {
			out[r] += dot(a[r*fi:(r+1)*fi], w)
		}
		return
	}
	for r := 0; r < b; r++ {
		o := out[r*fo : (r+1)*fo]
		for i, v := range a[r*fi : (r+1)*fi] {
			if v != 0 {
				axpy(v, w[i*fo:(i+1)*fo], o)
			}
		}
	}
}

// matTMulAdd sets g (fi×fo) += aᵀ (fi×b) · d (b×fo).
func matTMulAdd(g, a, d []float64, b, fi, fo int) {
	if fo == 1 {
		for r := 0; r < b; r++ {
			axpy(d[r], a[r*fi:(r+1)*fi], g)
		}
		return
	}
	for r := 0; r < b; r++ {
		dr := d[r*fo : (r+1)*fo]
		for i, v := range a[r*fi : (r+1)*fi] {
			if v != 0 {
				axpy(v, dr, g[i*fo:(i+1)*fo])
			}
		}
	}
}

// matMulT sets out (b×fi) = d (b×fo) · wᵀ (fo×fi).
func matMulT(out, d, w []float64, b, fi, fo int) {
	if fo == 1 {
		for r := 0; r < b; r++ {
			o := out[r*fi : (r+1)*fi]
			for i, v := range w[:fi] {
				o[i] = d[r] * v
			}
		}
		return
	}
	for r := 0; r < b; r++ {
		dr := d[r*fo : (r+1)*fo]
		o := out[r*fi : (r+1)*fi]
		for i := range o {
			o[i] = dot(dr, w[i*fo:(i+1)*fo])
		}
	}
}
