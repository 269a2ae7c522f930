package memguard

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
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
	// Samples present in both cancel to zero but stay in the merge; a
	// heap profile carries every stack ever sampled, so without them the
	// diff kept for a report is a fraction of the size.
	d.Sample = slices.DeleteFunc(d.Sample, func(s *profile.Sample) bool {
		for _, v := range s.Value {
			if v != 0 {
				return false
			}
		}
		return true
	})
	return d.Compact(), nil
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

// siteDeltas returns the growth of in-use bytes and objects of a diff
// profile per allocation stack, memguard's own allocations left out. The
// key names each frame by function, file and line, so deltas of different
// profiles add up. Samples are summed per stack: a heap profile keeps one
// sample per stack and object size.
func siteDeltas(d *profile.Profile) map[string]*Site {
	iSpace, iObjs := sampleIndex(d, "inuse_space"), sampleIndex(d, "inuse_objects")
	if iSpace < 0 {
		return nil
	}
	byLocs := make(map[string]*Site)
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
		site := byLocs[key.String()]
		if site == nil {
			st := sampleStack(s)
			if ownAlloc(st) {
				continue
			}
			f := firstUserFrame(st)
			site = &Site{Function: f.Function, File: f.File, Line: f.Line, Stack: st}
			byLocs[key.String()] = site
		}
		site.Bytes += s.Value[iSpace]
		if iObjs >= 0 {
			site.Objects += s.Value[iObjs]
		}
	}
	out := make(map[string]*Site, len(byLocs))
	for _, site := range byLocs {
		k := stackKey(site.Stack)
		if o := out[k]; o != nil {
			o.Bytes += site.Bytes
			o.Objects += site.Objects
			continue
		}
		out[k] = site
	}
	return out
}

// stackKey keys a stack by its frames.
func stackKey(st []Frame) string {
	var b strings.Builder
	for _, f := range st {
		b.WriteString(f.Function)
		b.WriteByte(' ')
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
		b.WriteByte(';')
	}
	return b.String()
}

// topSites returns copies of the n sites that grew most, largest first.
func topSites(sites map[string]*Site, n int) []Site {
	if n <= 0 {
		return nil
	}
	grew := make([]*Site, 0, len(sites))
	for _, s := range sites {
		if s.Bytes > 0 {
			grew = append(grew, s)
		}
	}
	slices.SortFunc(grew, func(a, b *Site) int {
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(a.Function, b.Function)
	})
	if len(grew) > n {
		grew = grew[:n]
	}
	out := make([]Site, len(grew))
	for i, s := range grew {
		out[i] = *s
	}
	return out
}

// maxWindowSites bounds the stacks a window accumulates: when it is
// exceeded the stacks with the least growth are dropped, which are not
// the ones a report would name.
const maxWindowSites = 512

// siteAccumulator sums the heap diffs of a kind's profiled runs since the
// window's baseline, per allocation stack, so that the sites of a leak are
// named from all the runs it grew in, not from one run's sample.
type siteAccumulator struct {
	sites map[string]*Site
	// since is the run whose diff was summed first; runs the number of
	// diffs summed.
	since, runs int
}

// add sums one run's deltas.
func (a *siteAccumulator) add(run int, deltas map[string]*Site) {
	if a.sites == nil {
		a.sites = make(map[string]*Site, len(deltas))
	}
	if a.runs == 0 {
		a.since = run
	}
	a.runs++
	for k, d := range deltas {
		if s := a.sites[k]; s != nil {
			s.Bytes += d.Bytes
			s.Objects += d.Objects
			if s.Bytes == 0 {
				// Allocated in one run, freed in another: gone.
				delete(a.sites, k)
			}
			continue
		}
		c := *d
		a.sites[k] = &c
	}
	if len(a.sites) > maxWindowSites {
		all := slices.Collect(maps.Keys(a.sites))
		slices.SortFunc(all, func(x, y string) int { return cmp.Compare(a.sites[y].Bytes, a.sites[x].Bytes) })
		for _, k := range all[maxWindowSites/2:] {
			delete(a.sites, k)
		}
	}
}

func (a *siteAccumulator) reset() {
	a.sites = nil
	a.since, a.runs = 0, 0
}

// encodeProfile returns p gzipped in the pprof format.
func encodeProfile(p *profile.Profile) ([]byte, error) {
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		return nil, fmt.Errorf("memguard: encode diff profile: %w", err)
	}
	return buf.Bytes(), nil
}
