package ml

import (
	"math"
)

// sortFloats sorts v (no NaNs) ascending with an LSD radix sort on the
// float64 bits, using keys and tk (len(v) each) as scratch. Binning sorts every column
// of the design (150,000 values × 20 columns on a pooled design), where
// a comparison sort spent 15-20% of an HGBT fit; radix passes are
// branch-free, and a pass whose digit is the same for every value (the
// high bits of counts and calendar fields) is skipped.
//
// The order is slices.Sort's; like it, -0 and +0 may come in either
// order (binning treats them as equal).
func sortFloats(v []float64, keys, tk []uint64) {
	n := len(v)
	if n < 256 {
		insertionSortFloats(v)
		return
	}
	// Map each value to an unsigned key in the same order: flip the sign
	// bit of positives, all bits of negatives.
	keys, tk = keys[:n], tk[:n]
	for i, f := range v {
		b := math.Float64bits(f)
		mask := uint64(int64(b)>>63) | 1<<63
		keys[i] = b ^ mask
	}
	const bits = 11
	const buckets = 1 << bits
	var count [buckets]int
	for shift := uint(0); shift < 64; shift += bits {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&(buckets-1)]++
		}
		if count[(keys[0]>>shift)&(buckets-1)] == n {
			continue // one digit for all: the pass would not move anything
		}
		sum := 0
		for d := range count {
			c := count[d]
			count[d] = sum
			sum += c
		}
		for _, k := range keys {
			d := (k >> shift) & (buckets - 1)
			tk[count[d]] = k
			count[d]++
		}
		keys, tk = tk, keys
	}
	for i, k := range keys {
		mask := ^uint64(int64(k)>>63) | 1<<63
		v[i] = math.Float64frombits(k ^ mask)
	}
}

func insertionSortFloats(v []float64) {
	for i := 1; i < len(v); i++ {
		x := v[i]
		j := i
		for ; j > 0 && v[j-1] > x; j-- {
			v[j] = v[j-1]
		}
		v[j] = x
	}
}

// binOf returns the index of the first threshold >= x in th (ascending,
// padded to 256 entries with +Inf), as slices.BinarySearch would on the
// unpadded thresholds whose last entry is +Inf: eight halving steps
// whose comparisons become conditional moves instead of branches the
// predictor misses half the time.
func binOf(th *[256]float64, x float64) uint8 {
	b := 0
	for step := 128; step > 0; step >>= 1 {
		if th[b+step-1] < x {
			b += step
		}
	}
	return uint8(b)
}
