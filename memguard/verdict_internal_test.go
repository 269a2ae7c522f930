package memguard

import (
	"math"
	"strings"
	"testing"
)

// TestJudge feeds synthetic per-run figures to the verdict and checks the
// state after each run. Slopes of exactly linear series are exact (a
// least-squares line through collinear points is that line), so they are
// compared with a tolerance of 1e-6 B.
func TestJudge(t *testing.T) {
	const kib = 1 << 10
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		retained []int64
		leaked   []int // per run; nil means none
		// want is the state after each run, one letter per run:
		// c clean, s suspect, l leak.
		want  string
		slope float64 // final slope, if non-zero
	}{
		{
			name:     "steady 256 KiB leak is called after warm-up and MinRuns",
			retained: []int64{256 * kib, 256 * kib, 256 * kib, 256 * kib, 256 * kib, 256 * kib, 256 * kib, 256 * kib},
			// 256 KiB is below the single-run threshold (1 MiB), so runs
			// stay clean until the slope has MinRuns=5 post-warm-up
			// points, at run 8.
			want:  "cccccccl",
			slope: 256 * kib,
		},
		{
			name:     "warm-up growth then flat",
			retained: []int64{8 << 20, 8 << 20, 8 << 20, 0, 0, 0, 0, 0, 0, 0},
			want:     "cccccccccc",
		},
		{
			name:     "noise both ways",
			retained: []int64{0, 0, 0, 40 * kib, -40 * kib, 30 * kib, -30 * kib, 50 * kib, -50 * kib, 10 * kib, -10 * kib},
			want:     "ccccccccccc",
		},
		{
			name:     "one large retained growth is suspect",
			retained: []int64{0, 0, 0, 0, 2 << 20, 0, 0, 0, 0},
			// Run 5 retains 2 MiB: suspect. Runs 6 and 7 have too few
			// points for a slope. From run 8 the step is in the window:
			// slope above the floor but only 1 of 4 or 5 increments
			// positive, so suspect, not leak.
			want: "ccccsccss",
		},
		{
			name: "cache fills for five runs, then plateau",
			// Runs 4 and 5 still fill (past the warm-up, at the single-run
			// threshold, not above it). From run 8, when the window can be
			// judged, the growth is in it but not in the tail: suspect, not
			// leak, until MinRuns runs without growth clear it at run 10.
			retained: []int64{1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 0, 0, 0, 0, 0, 0, 0},
			want:     "cccccccssccc",
		},
		{
			name: "one late spike is not a leak",
			// Run 10 retains 4 MiB: suspect (single run), never leak, and
			// clean again after the plateau.
			retained: []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 4 << 20, 0, 0, 0, 0, 0},
			want:     "cccccccccsssssc",
		},
		{
			name:     "leak every other run",
			retained: []int64{0, 512 * kib, 0, 512 * kib, 0, 512 * kib, 0, 512 * kib, 0, 512 * kib, 0, 512 * kib},
			// Called at run 8 (3 leaking runs of 5). When the window holds
			// as many leaking runs as clean ones, its robust noise is half
			// the leak, so the mean of 5 runs does not stand above it: the
			// verdict alternates leak and suspect, never clean.
			want: "ccccccclslsl",
		},
		{
			name:     "noisy steady leak stands above its noise",
			retained: []int64{0, 0, 0, 200 * kib, 120 * kib, 180 * kib, 90 * kib, 220 * kib, 140 * kib, 160 * kib},
			want:     "ccccccclll",
		},
		{
			name:     "goroutine leaked every run",
			retained: make([]int64, 6),
			leaked:   []int{1, 1, 1, 1, 1, 1},
			want:     "ssssll",
		},
		{
			name:     "goroutine leaked every other run",
			retained: make([]int64, 12),
			leaked:   []int{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0},
			// The fifth leaking run of the last ten is run 9.
			want: "scscscscllll",
		},
		{
			name:     "goroutine leaked once",
			retained: make([]int64, 4),
			leaked:   []int{0, 2, 0, 0},
			want:     "cscc",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks := &kindState{}
			var got strings.Builder
			var v Verdict
			for i, r := range tc.retained {
				n := 0
				if tc.leaked != nil {
					n = tc.leaked[i]
				}
				v = ks.judge(&o, r, n, 1<<20)
				got.WriteByte(v.State[0])
			}
			if got.String() != tc.want {
				t.Errorf("states %s, want %s; last verdict %+v", got.String(), tc.want, v)
			}
			if tc.slope != 0 && math.Abs(v.Slope-tc.slope) > 1e-6 {
				t.Errorf("slope %v, want %v", v.Slope, tc.slope)
			}
			if v.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestParseStacks(t *testing.T) {
	dump := `goroutine 7 [running]:
main.main()
	/src/main.go:10 +0x1d

goroutine 18 [chan receive, 2 minutes]:
example.com/p.(*T).wait(0xc000010000, {0x1, 0x2})
	/src/p/t.go:42 +0x25
example.com/p.start.func1()
	/src/p/t.go:30 +0x3e
created by example.com/p.start in goroutine 7
	/src/p/t.go:29 +0x85
`
	recs := parseStacks([]byte(dump))
	if len(recs) != 2 {
		t.Fatalf("parsed %d goroutines, want 2: %+v", len(recs), recs)
	}
	r := recs[1]
	if r.id != 18 || r.state != "chan receive" {
		t.Errorf("goroutine %d state %q, want 18 chan receive", r.id, r.state)
	}
	want := frameKey([]Frame{
		{Function: "runtime.gopark", File: "/go/src/runtime/proc.go", Line: 1},
		{Function: "example.com/p.(*T).wait", File: "/src/p/t.go", Line: 42},
		{Function: "example.com/p.start.func1", File: "/src/p/t.go", Line: 30},
		{Function: "runtime.goexit", File: "/go/src/runtime/asm.s", Line: 2},
	})
	if r.key != want {
		t.Errorf("key %q, want %q (runtime frames dropped, created-by ignored)", r.key, want)
	}
}

func TestOwnAlloc(t *testing.T) {
	cases := []struct {
		name  string
		stack []Frame
		want  bool
	}{
		{"fn allocation under runCall.call", []Frame{
			{Function: "example.com/p.leak", File: "/src/p/p.go"},
			{Function: selfPrefix + "(*runCall).call", File: "/src/memguard/guard.go"},
			{Function: "runtime/pprof.Do", File: "/go/src/runtime/pprof/runtime.go"},
			{Function: selfPrefix + "(*Guard).run", File: "/src/memguard/guard.go"},
		}, false},
		{"memguard's base profile", []Frame{
			{Function: "bytes.(*Buffer).grow", File: "/go/src/bytes/buffer.go"},
			{Function: selfPrefix + "heapProfile", File: "/src/memguard/heapdiff.go"},
			{Function: selfPrefix + "(*Guard).run", File: "/src/memguard/guard.go"},
		}, true},
		{"goroutine started by fn", []Frame{
			{Function: "example.com/p.worker", File: "/src/p/p.go"},
		}, false},
		{"memguard's own tests", []Frame{
			{Function: selfPrefix + "leakHelper", File: "/src/memguard/x_test.go"},
			{Function: selfPrefix + "(*runCall).call", File: "/src/memguard/guard.go"},
		}, false},
	}
	for _, tc := range cases {
		if got := ownAlloc(tc.stack); got != tc.want {
			t.Errorf("%s: ownAlloc = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBudgetReadAllocatesNothing holds the budget sampler's tick, which
// runs every SampleInterval for the whole run, to no allocation.
func TestBudgetReadAllocatesNothing(t *testing.T) {
	br := newBudgetReader()
	defer br.close()
	if n := testing.AllocsPerRun(100, func() { br.read() }); n != 0 {
		t.Errorf("budget read allocates %v times per tick, want 0", n)
	}
}
