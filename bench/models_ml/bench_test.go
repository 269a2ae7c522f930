package modelsml

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/forecastd/forecastd/internal/cputime"
	"github.com/forecastd/forecastd/models/ml"
)

const cols = 20

// matrixDir holds the matrices make_matrix.py writes.
func matrixDir() string {
	if d := os.Getenv("FORECASTD_ML_BENCH"); d != "" {
		return d
	}
	return "/tmp/forecastd_ml_bench"
}

func readF64(b *testing.B, name string) []float64 {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(matrixDir(), name))
	if err != nil {
		b.Fatalf("%v: run make_matrix.py (or run.sh) first", err)
	}
	v := numpyAlloc(b, len(raw)/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return v
}

// numpyAlloc returns n zeroed float64s in the kind of memory numpy would
// give an array of that size, so that both sides read their inputs
// through the same pages. From 4 MiB up, numpy asks the kernel for 2 MiB
// pages (madvise MADV_HUGEPAGE; numpy.core.multiarray._get_madvise_hugepage()
// is True by default), while on a kernel whose transparent huge pages are
// "madvise" (this machine) Go's heap gets 4 KiB pages. Streaming the
// 24 MB large design through 4 KiB pages costs about a quarter more CPU
// time (TLB misses): that is the allocator's difference, not the
// model's, and it decided the kNN fit, which only reads its input once.
// FORECASTD_ML_BENCH_HUGEPAGES=0 keeps every input on Go's heap.
func numpyAlloc(b *testing.B, n int) []float64 {
	const hugeFrom = 4 << 20 // numpy's threshold, in bytes
	if n*8 < hugeFrom || os.Getenv("FORECASTD_ML_BENCH_HUGEPAGES") == "0" {
		return make([]float64, n)
	}
	mem, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		b.Fatalf("mmap %d bytes: %v", n*8, err)
	}
	// Advise before the first touch, as numpy does, so that the page
	// faults can be served with huge pages.
	if err := syscall.Madvise(mem, syscall.MADV_HUGEPAGE); err != nil {
		b.Fatalf("madvise MADV_HUGEPAGE: %v", err)
	}
	b.Cleanup(func() {
		if err := syscall.Munmap(mem); err != nil {
			b.Errorf("munmap: %v", err)
		}
	})
	return unsafe.Slice((*float64)(unsafe.Pointer(&mem[0])), n)
}

// sizes are the designs to run: FORECASTD_ML_BENCH_SIZES, a comma list
// of small and large, default small (the large fits take seconds each,
// too long for the repository-wide `go test -bench . -benchtime 20x`).
func sizes() []string {
	if s := os.Getenv("FORECASTD_ML_BENCH_SIZES"); s != "" {
		return strings.Split(s, ",")
	}
	return []string{"small"}
}

type predictor interface {
	PredictBatch(dst, x []float64) []float64
}

type fitFunc func(ctx context.Context, x []float64, cols int, y []float64) (predictor, error)

func wrap[P predictor](f func(ctx context.Context, x []float64, cols int, y []float64) (P, error)) fitFunc {
	return func(ctx context.Context, x []float64, cols int, y []float64) (predictor, error) {
		return f(ctx, x, cols, y)
	}
}

// benchModels are the settings peer_sklearn.py mirrors. scaled models
// get standardised features, as in the forecaster (and a StandardScaler
// in the peer, timed outside the fit in both).
var benchModels = []struct {
	name   string
	scaled bool
	fit    fitFunc
}{
	{"ols", false, wrap(ml.OLS{}.Fit)},
	{"ridge", false, wrap(ml.Ridge{}.Fit)},
	{"lasso", true, wrap(ml.Lasso{Alpha: 0.1}.Fit)},
	{"elastic_net", true, wrap(ml.ElasticNet{Alpha: 0.1}.Fit)},
	{"huber", true, wrap(ml.Huber{}.Fit)},
	{"poisson_glm", true, wrap(ml.Poisson{Alpha: 1e-3}.Fit)},
	{"knn", true, wrap(ml.KNN{K: 10}.Fit)},
	{"cart", false, wrap(ml.Tree{MaxDepth: 8, MinSamplesLeaf: 5}.Fit)},
	{"random_forest", false, wrap(ml.Forest{Trees: 40, MaxDepth: 10, MaxFeatures: 0.5, MinSamplesLeaf: 2}.Fit)},
	{"extra_trees", false, wrap(ml.ExtraTrees{Trees: 40, MaxDepth: 10, MinSamplesLeaf: 2}.Fit)},
	{"hgbt", false, wrap(ml.HGBT{}.Fit)},
	{"hgbt_poisson", false, wrap(ml.HGBT{Loss: "poisson"}.Fit)},
	{"mlp", true, wrap(ml.MLP{Hidden: []int{32}, MaxIter: 50, NIterNoChange: 1000}.Fit)},
}

func load(b *testing.B, size string) (x, y, xt []float64) {
	return readF64(b, size+"_x.f64"), readF64(b, size+"_y.f64"), readF64(b, size+"_test_x.f64")
}

// BenchmarkFit times Fit per model on the small (700×20) and large
// (150,000×20) designs.
func BenchmarkFit(b *testing.B) {
	ctx := context.Background()
	for _, size := range sizes() {
		x, y, _ := load(b, size)
		xs := ml.NewImputer(x, cols, true).Transform(numpyAlloc(b, len(x)), x)
		for _, m := range benchModels {
			b.Run(m.name+"/"+size, func(b *testing.B) {
				in := x
				if m.scaled {
					in = xs
				}
				b.ReportAllocs()
				start := cputime.Process()
				for b.Loop() {
					if _, err := m.fit(ctx, in, cols, y); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkPredict times PredictBatch per model on the test rows (28 for
// small, 1000 for large), after one fit outside the timer.
func BenchmarkPredict(b *testing.B) {
	ctx := context.Background()
	for _, size := range sizes() {
		x, y, xt := load(b, size)
		im := ml.NewImputer(x, cols, true)
		xs, xts := im.Transform(numpyAlloc(b, len(x)), x), im.Transform(numpyAlloc(b, len(xt)), xt)
		for _, m := range benchModels {
			b.Run(m.name+"/"+size, func(b *testing.B) {
				in, test := x, xt
				if m.scaled {
					in, test = xs, xts
				}
				p, err := m.fit(ctx, in, cols, y)
				if err != nil {
					b.Fatal(err)
				}
				dst := make([]float64, len(test)/cols)
				b.ReportAllocs()
				start := cputime.Process()
				for b.Loop() {
					dst = p.PredictBatch(dst, test)
				}
				b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
