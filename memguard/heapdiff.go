package memguard

import (
	"bytes"
	"cmp"
	"fmt"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// heapProfile returns the current heap profile, gzipped. The caller runs
// GC first: the profile describes the heap as of the last completed cycle.
// It is kept encoded because the parsed form is many times larger and
// would be counted as retained by the run it measures.
func heapProfile() ([]byte, error) {
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		return nil, fmt.Errorf("memguard: heap profile: %w", err)
	}
	return buf.Bytes(), nil
}

// diffHeap returns after − before as a profile: the base is scaled by −1
// and merged, so samples present in both cancel and what remains is what
// the run allocated and kept (positive) or freed (negative).
func diffHeap(before, after []byte) (*profile.Profile, error) {
	base, err := profile.ParseData(before)
	if err != nil {
		return nil, fmt.Errorf("memguard: parse heap profile: %w", err)
	}
	cur, err := profile.ParseData(after)
	if err != nil {
		return nil, fmt.Errorf("memguard: parse heap profile: %w", err)
	}
	base.Scale(-1)
	d, err := profile.Merge([]*profile.Profile{base, cur})
	if err != nil {
		return nil, fmt.Errorf("memguard: diff heap profiles: %w", err)
	}
	return d, nil
}

// callFrame is the frame through which every guarded fn is called.
var callFrame = selfPrefix + "(*runCall).call"

// ownAlloc reports whether memguard itself made an allocation (the base
// profile, the report) rather than the guarded fn: the innermost memguard
// frame of an allocation by fn is runCall.call, of memguard's own any
// other. Allocations on goroutines fn started have no memguard frame.
func ownAlloc(st []Frame) bool {
	for _, f := range st {
		if strings.HasPrefix(f.Function, selfPrefix) && !strings.HasSuffix(f.File, "_test.go") {
			return !strings.HasPrefix(f.Function, callFrame)
		}
	}
	return false
}

// sampleIndex returns the index of the named sample type, or -1.
func sampleIndex(p *profile.Profile, typ string) int {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i
		}
	}
	return -1
}

// topGrowth returns the n allocation sites of a diff profile whose in-use
// bytes grew most. Samples are summed per stack first: a heap profile keeps
// one sample per stack and object size.
func topGrowth(d *profile.Profile, n int) []Site {
	iSpace, iObjs := sampleIndex(d, "inuse_space"), sampleIndex(d, "inuse_objects")
	if iSpace < 0 || n <= 0 {
		return nil
	}
	type acc struct {
		sample         *profile.Sample
		bytes, objects int64
	}
	byStack := make(map[string]*acc)
	var key strings.Builder
	for _, s := range d.Sample {
		if s.Value[iSpace] == 0 {
			continue
		}
		key.Reset()
		for _, loc := range s.Location {
			key.WriteString(strconv.FormatUint(loc.ID, 16))
			key.WriteByte(',')
		}
		a := byStack[key.String()]
		if a == nil {
			a = &acc{sample: s}
			byStack[key.String()] = a
		}
		a.bytes += s.Value[iSpace]
		if iObjs >= 0 {
			a.objects += s.Value[iObjs]
		}
	}
	accs := make([]*acc, 0, len(byStack))
	for _, a := range byStack {
		if a.bytes > 0 && !ownAlloc(sampleStack(a.sample)) {
			accs = append(accs, a)
		}
	}
	slices.SortFunc(accs, func(a, b *acc) int { return cmp.Compare(b.bytes, a.bytes) })
	if len(accs) > n {
		accs = accs[:n]
	}
	sites := make([]Site, 0, len(accs))
	for _, a := range accs {
		st := sampleStack(a.sample)
		f := firstUserFrame(st)
		sites = append(sites, Site{
			Function: f.Function,
			File:     f.File,
			Line:     f.Line,
			Stack:    st,
			Bytes:    a.bytes,
			Objects:  a.objects,
		})
	}
	return sites
}

// encodeProfile returns p gzipped in the pprof format.
func encodeProfile(p *profile.Profile) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		return nil, fmt.Errorf("memguard: encode diff profile: %w", err)
	}
	return buf.Bytes(), nil
}
