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

// heapProfile returns the current heap profile. The caller runs GC first:
// the profile describes the heap as of the last completed cycle.
func heapProfile() (*profile.Profile, error) {
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		return nil, fmt.Errorf("memguard: heap profile: %w", err)
	}
	p, err := profile.ParseData(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("memguard: parse heap profile: %w", err)
	}
	return p, nil
}

// diffHeap returns after − before as a profile: the base is scaled by −1
// and merged, so samples present in both cancel and what remains is what
// the run allocated and kept (positive) or freed (negative).
func diffHeap(before, after *profile.Profile) (*profile.Profile, error) {
	base := before.Copy()
	base.Scale(-1)
	d, err := profile.Merge([]*profile.Profile{base, after})
	if err != nil {
		return nil, fmt.Errorf("memguard: diff heap profiles: %w", err)
	}
	return d, nil
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
		if a.bytes > 0 {
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
