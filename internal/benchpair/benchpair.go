// Package benchpair measures a benchmark against its baseline in one run:
// the baseline and the measured operation take turns, once each per
// iteration of b.Loop, and the measured side's figures are reported as
// multiples of the baseline's, so that a ratio on a result line comes from
// one run on one machine at one moment. The module's benchmarks quote and
// check their figures that way, never as times measured apart.
package benchpair

import (
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"
	"time"
)

// Pair is what [Run] measured.
type Pair struct {
	// Baseline and Measured are the two sides.
	Baseline, Measured Side
}

// Side is one side of a [Pair].
type Side struct {
	call func()
	// NS holds each call's time in nanoseconds, in iteration order.
	NS []float64
	// Bytes and Allocs are the heap bytes and objects one call allocates.
	Bytes, Allocs float64
}

// Options adjust [Run].
type Options struct {
	// Collect collects the heap, untimed, before each call, so that
	// neither side pays for the other's garbage. It suits calls that take
	// far longer than a collection (a plan of thousands of groups), not
	// requests.
	Collect bool
}

// heapBudget is roughly how long Run spends on each side counting its heap
// allocation, after timing: at least one call, at most as many calls as it
// timed.
const heapBudget = 100 * time.Millisecond

// Run runs baseline and measured in turn, once each per iteration of
// b.Loop, baseline first in even iterations and measured first in odd
// ones, and times each call. Then it counts each side's heap allocation
// exactly, over a run of calls between two collections (which hand every
// cached span back to the runtime's counters).
func Run(b *testing.B, baseline, measured func(), opts Options) *Pair {
	p := &Pair{Baseline: Side{call: baseline}, Measured: Side{call: measured}}
	sides := [2]*Side{&p.Baseline, &p.Measured}
	for i := 0; b.Loop(); i++ {
		for k := range 2 {
			s := sides[(i+k)%2]
			if opts.Collect {
				runtime.GC()
			}
			start := time.Now()
			s.call()
			s.NS = append(s.NS, float64(time.Since(start)))
		}
	}
	for _, s := range sides {
		calls := min(len(s.NS), max(1, int(float64(heapBudget)/Median(s.NS))))
		s.Bytes, s.Allocs = heapPerCall(s.call, calls)
	}
	return p
}

// TimeRatio is the median, over blocks of two iterations, of the measured
// calls' time over the baseline calls'. A block runs baseline, measured,
// measured, baseline: the calls run next to each other, so whatever else
// the machine does at that moment falls on both, and each side runs once
// right after itself and once right after the other, so neither gains
// from the order. The median discounts the blocks that load falls on
// unevenly. A single iteration counts as a block.
func (p *Pair) TimeRatio() float64 {
	m, b := p.Measured.NS, p.Baseline.NS
	if len(m) == 1 {
		return m[0] / b[0]
	}
	rs := make([]float64, len(m)/2)
	for j := range rs {
		rs[j] = (m[2*j] + m[2*j+1]) / (b[2*j] + b[2*j+1])
	}
	return Median(rs)
}

// Report reports both sides' figures, under the names given (median time,
// bytes and allocations per call), and the measured side's time and bytes
// as multiples of the baseline's (x-baseline-time, x-baseline-bytes); it
// returns the two ratios.
func (p *Pair) Report(b *testing.B, baselineName, measuredName string) (timeRatio, bytesRatio float64) {
	for _, s := range []struct {
		name string
		side *Side
	}{{baselineName, &p.Baseline}, {measuredName, &p.Measured}} {
		b.ReportMetric(Median(s.side.NS), s.name+"-ns/op")
		b.ReportMetric(s.side.Bytes, s.name+"-B/op")
		b.ReportMetric(s.side.Allocs, s.name+"-allocs/op")
	}
	timeRatio, bytesRatio = p.TimeRatio(), p.Measured.Bytes/p.Baseline.Bytes
	b.ReportMetric(timeRatio, "x-baseline-time")
	b.ReportMetric(bytesRatio, "x-baseline-bytes")
	return timeRatio, bytesRatio
}

// heapPerCall returns the bytes and objects f allocates per call, over
// calls calls between two collections. Objects include the small
// allocations packed into shared blocks, as allocs/op does.
func heapPerCall(f func(), calls int) (bytes, allocs float64) {
	s := []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/heap/allocs:objects"},
		{Name: "/gc/heap/tiny/allocs:objects"},
	}
	read := func() (uint64, uint64) {
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64() + s[2].Value.Uint64()
	}
	runtime.GC()
	b0, a0 := read()
	for range calls {
		f()
	}
	runtime.GC()
	b1, a1 := read()
	return float64(b1-b0) / float64(calls), float64(a1-a0) / float64(calls)
}

// Median returns the median of xs, which it does not change.
func Median(xs []float64) float64 {
	xs = slices.Sorted(slices.Values(xs))
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}
