package memguard

import (
	"bytes"
	"cmp"
	"fmt"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// pprof label keys set on every guarded run.
const (
	LabelKind = "memguard_kind"
	LabelRun  = "memguard_run"
)

// selfPrefix is the symbol prefix of this package's functions, used to keep
// memguard's own frames out of site names.
var selfPrefix = reflect.TypeFor[Report]().PkgPath() + "."

// internalFrame reports whether a frame belongs to the Go runtime or to
// memguard itself (but not to memguard's tests, whose functions are the
// leaks under test).
func internalFrame(fn, file string) bool {
	switch {
	case strings.HasPrefix(fn, "runtime."),
		strings.HasPrefix(fn, "runtime/"),
		strings.HasPrefix(fn, "internal/runtime/"):
		return true
	case strings.HasPrefix(fn, selfPrefix):
		return !strings.HasSuffix(file, "_test.go")
	}
	return false
}

// firstUserFrame returns the innermost frame that is not internal, or the
// innermost frame if all are.
func firstUserFrame(stack []Frame) Frame {
	for _, f := range stack {
		if !internalFrame(f.Function, f.File) {
			return f
		}
	}
	if len(stack) > 0 {
		return stack[0]
	}
	return Frame{}
}

// sampleStack expands a profile sample's locations, inlined frames
// included, innermost first.
func sampleStack(s *profile.Sample) []Frame {
	var st []Frame
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			f := Frame{Line: int(ln.Line)}
			if ln.Function != nil {
				f.Function = ln.Function.Name
				f.File = ln.Function.Filename
			}
			st = append(st, f)
		}
	}
	return st
}

// goroutineGroup is a set of goroutines started by one run that share a
// stack and labels.
type goroutineGroup struct {
	count  int
	labels map[string]string
	stack  []Frame
}

// runGoroutines returns the goroutines still alive that carry run id's
// label. Goroutines inherit their creator's labels, so these are exactly
// the goroutines the run started, directly or not, that have not finished.
// (Callbacks of time.AfterFunc run on fresh goroutines without labels and
// are not seen; they are short-lived by nature.)
func runGoroutines(id string) ([]goroutineGroup, error) {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 0); err != nil {
		return nil, fmt.Errorf("memguard: goroutine profile: %w", err)
	}
	p, err := profile.ParseData(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("memguard: parse goroutine profile: %w", err)
	}
	var gs []goroutineGroup
	for _, s := range p.Sample {
		if !slices.Contains(s.Label[LabelRun], id) || len(s.Value) == 0 || s.Value[0] <= 0 {
			continue
		}
		labels := make(map[string]string, len(s.Label))
		for k, v := range s.Label {
			if len(v) > 0 {
				labels[k] = v[0]
			}
		}
		gs = append(gs, goroutineGroup{count: int(s.Value[0]), labels: labels, stack: sampleStack(s)})
	}
	return gs, nil
}

// runHasGoroutines is the cheap check behind awaitGoroutines: it looks for
// the run's label in the text goroutine profile (debug=1), which needs no
// compression or parsing, unlike the protobuf form runGoroutines reads.
func runHasGoroutines(id string, buf *bytes.Buffer) (bool, error) {
	buf.Reset()
	if err := pprof.Lookup("goroutine").WriteTo(buf, 1); err != nil {
		return false, fmt.Errorf("memguard: goroutine profile: %w", err)
	}
	// Labels print as {"k":"v", ...} with %q quoting.
	return bytes.Contains(buf.Bytes(), []byte(strconv.Quote(LabelRun)+":"+strconv.Quote(id))), nil
}

// awaitGoroutines polls until run id has no goroutines left or grace has
// passed, and returns what is left. Polling starts fast because most
// goroutines that are merely finishing are gone within microseconds.
func awaitGoroutines(id string, grace time.Duration) ([]goroutineGroup, error) {
	deadline := time.Now().Add(grace)
	wait := time.Millisecond
	var buf bytes.Buffer
	for {
		found, err := runHasGoroutines(id, &buf)
		if err != nil || !found {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return runGoroutines(id)
		}
		time.Sleep(min(wait, left))
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// stackRecord is one goroutine parsed from a runtime.Stack dump.
type stackRecord struct {
	id    int64
	state string
	key   string
}

// allStacks returns the text traceback of every goroutine, growing the
// buffer until it fits.
func allStacks() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parseStacks parses runtime.Stack(all) output. Each goroutine is keyed by
// its non-runtime frames ("function file:line" joined), which is how its
// stack is matched with a goroutine profile sample: the text traceback
// hides runtime frames that the profile shows.
func parseStacks(dump []byte) []stackRecord {
	var recs []stackRecord
	for block := range strings.SplitSeq(string(dump), "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		// goroutine 18 [chan receive, 2 minutes]:
		hdr := strings.TrimPrefix(lines[0], "goroutine ")
		sp := strings.IndexByte(hdr, ' ')
		if sp < 0 {
			continue
		}
		id, err := strconv.ParseInt(hdr[:sp], 10, 64)
		if err != nil {
			continue
		}
		state := ""
		if i, j := strings.IndexByte(hdr, '['), strings.IndexByte(hdr, ']'); i >= 0 && j > i {
			state = hdr[i+1 : j]
			if c := strings.IndexByte(state, ','); c >= 0 {
				state = state[:c]
			}
		}
		var key strings.Builder
		for i := 1; i+1 < len(lines); i += 2 {
			fn := lines[i]
			if strings.HasPrefix(fn, "created by ") {
				break
			}
			if p := strings.LastIndexByte(fn, '('); p > 0 && strings.HasSuffix(fn, ")") {
				fn = fn[:p]
			}
			loc := strings.TrimSpace(lines[i+1])
			if sp := strings.LastIndexByte(loc, ' '); sp > 0 && strings.HasPrefix(loc[sp+1:], "+0x") {
				loc = loc[:sp]
			}
			c := strings.LastIndexByte(loc, ':')
			if c < 0 {
				continue
			}
			file := loc[:c]
			if internalFrame(fn, "") && !strings.HasPrefix(fn, selfPrefix) {
				continue
			}
			fmt.Fprintf(&key, "%s %s:%s;", fn, file, loc[c+1:])
		}
		recs = append(recs, stackRecord{id: id, state: state, key: key.String()})
	}
	return recs
}

// frameKey keys a profile stack the same way parseStacks keys a traceback.
func frameKey(stack []Frame) string {
	var key strings.Builder
	for _, f := range stack {
		if internalFrame(f.Function, "") && !strings.HasPrefix(f.Function, selfPrefix) {
			continue
		}
		fmt.Fprintf(&key, "%s %s:%d;", f.Function, f.File, f.Line)
	}
	return key.String()
}

// describeGoroutines turns groups into report entries, matching goroutine
// IDs and wait states from a full traceback by stack. Where goroutines of
// other runs share a stack the newest IDs are taken, which may name a
// goroutine of another run with the same stack.
func describeGoroutines(gs []goroutineGroup, max int) []Goroutine {
	if len(gs) == 0 {
		return nil
	}
	slices.SortFunc(gs, func(a, b goroutineGroup) int { return b.count - a.count })
	if len(gs) > max {
		gs = gs[:max]
	}
	byKey := make(map[string][]stackRecord)
	for _, r := range parseStacks(allStacks()) {
		byKey[r.key] = append(byKey[r.key], r)
	}
	out := make([]Goroutine, 0, len(gs))
	for _, g := range gs {
		e := Goroutine{
			Count:    g.count,
			Labels:   g.labels,
			Stack:    g.stack,
			Function: firstUserFrame(g.stack).Function,
		}
		recs := byKey[frameKey(g.stack)]
		slices.SortFunc(recs, func(a, b stackRecord) int { return cmp.Compare(b.id, a.id) })
		for i := 0; i < len(recs) && i < g.count && i < maxIDs; i++ {
			e.IDs = append(e.IDs, recs[i].id)
		}
		if len(recs) > 0 {
			e.State = recs[0].state
		}
		out = append(out, e)
	}
	return out
}

// maxIDs bounds the goroutine IDs listed per group: a leak of thousands of
// goroutines needs a count, not a list.
const maxIDs = 32
