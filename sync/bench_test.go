package sync_test

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/sync"
)

// benchShape is one benchmarked input size: groups linked groups of members
// members each.
type benchShape struct {
	groups, members int
}

func (s benchShape) String() string {
	return fmt.Sprintf("groups=%d/members=%d", s.groups, s.members)
}

// changed is the number of members added, and also of members removed, per
// group: 10% of the group.
func (s benchShape) changed() int { return s.members / 10 }

var benchShapes = []benchShape{
	{groups: 1000, members: 100},
	{groups: 10, members: 100000},
	{groups: 10000, members: 1000},
}

// benchInput is one shape's planner input together with the baseline's view
// of the same data.
type benchInput struct {
	shape benchShape
	in    sync.Input
	// target holds, per desired group (in.Desired order), the snapshot's
	// members as a plain slice, extracted before timing for the baseline.
	target [][]string
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// oktaID returns an Okta-style id: a three-character prefix ("00u" for
// users, "00g" for groups) and 17 random base62 characters.
func oktaID(r *rand.Rand, prefix string) string {
	b := make([]byte, 0, len(prefix)+17)
	b = append(b, prefix...)
	for range 17 {
		b = append(b, base62[r.IntN(len(base62))])
	}
	return string(b)
}

// uuid returns a random (version 4) UUID string.
func uuid(r *rand.Rand) string {
	var u [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			u[i+j] = byte(v >> (8 * j))
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], u[10:16])
	return string(buf[:])
}

// newBenchInput builds a deterministic input of shape s: every group linked
// (created by the source, with a pushed snapshot), the target listed without
// members, and each group's desired members differing from its snapshot by
// 10% added and 10% removed. Users come from one shared directory, as in an
// org where a user belongs to many groups.
func newBenchInput(s benchShape) *benchInput {
	r := rand.New(rand.NewPCG(0x5eed, uint64(s.groups)<<32|uint64(s.members)))
	perGroup := s.members + s.changed() // snapshot ∪ desired

	// The user directory: at least twice a group's union, and at least
	// 20,000 users, so that groups overlap without being identical.
	nUsers := max(2*perGroup, 20000)
	srcUsers := make([]string, nUsers)
	users := make(map[string]string, nUsers)
	tgtOf := make([]string, nUsers)
	for i := range nUsers {
		for {
			id := oktaID(r, "00u")
			if _, dup := users[id]; dup {
				continue
			}
			srcUsers[i] = id
			tgtOf[i] = uuid(r)
			users[id] = tgtOf[i]
			break
		}
	}
	perm := make([]int, nUsers)
	for i := range perm {
		perm[i] = i
	}

	bi := &benchInput{
		shape:  s,
		target: make([][]string, s.groups),
		in: sync.Input{
			Desired: make([]sync.SourceGroup, s.groups),
			Users:   users,
			Current: make([]sync.TargetGroup, s.groups),
			Links:   make([]sync.Link, s.groups),
		},
	}
	seen := make(map[string]struct{}, s.groups)
	for g := range s.groups {
		// Pick perGroup distinct users: a partial Fisher-Yates shuffle
		// of perm, which stays a permutation from one group to the next.
		for i := range perGroup {
			j := i + r.IntN(nUsers-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		picked := perm[:perGroup]
		// picked[:c] are removed, picked[c:members] kept, picked[members:]
		// added.
		c := s.changed()
		src := make([]string, 0, s.members)
		for _, u := range picked[c:] {
			src = append(src, srcUsers[u])
		}
		r.Shuffle(len(src), func(i, j int) { src[i], src[j] = src[j], src[i] })
		tgt := make([]string, 0, s.members)
		for _, u := range picked[:s.members] {
			tgt = append(tgt, tgtOf[u])
		}

		var gid string
		for {
			gid = oktaID(r, "00g")
			if _, dup := seen[gid]; !dup {
				seen[gid] = struct{}{}
				break
			}
		}
		tid := uuid(r)
		name := fmt.Sprintf("Engineering Team %05d", g)
		bi.in.Desired[g] = sync.SourceGroup{ID: gid, Name: name, Members: src}
		bi.in.Current[g] = sync.TargetGroup{ID: tid, ExternalID: gid, Name: name}
		bi.in.Links[g] = sync.Link{SourceID: gid, TargetID: tid, Created: true,
			Pushed: &sync.Snapshot{Name: name, Members: group.NewMembers(tgt...)}}
		bi.target[g] = bi.in.Links[g].Pushed.Members.Slice()
	}
	return bi
}

// baseline is the fixed reference the planner is measured against: per
// group, a presized hash set of the target members, source members mapped
// through the user mapping, and unsorted adds and removes.
func baseline(bi *benchInput) (adds, removes int) {
	users := bi.in.Users
	for g := range bi.in.Desired {
		s := &bi.in.Desired[g]
		have := make(map[string]struct{}, len(bi.target[g]))
		for _, id := range bi.target[g] {
			have[id] = struct{}{}
		}
		var add, remove []string
		for _, u := range s.Members {
			id, ok := users[u]
			if !ok {
				continue
			}
			if _, ok := have[id]; ok {
				delete(have, id)
			} else {
				add = append(add, id)
			}
		}
		for id := range have {
			remove = append(remove, id)
		}
		adds += len(add)
		removes += len(remove)
		baselineSink = add
		baselineSinkRemove = remove
	}
	return adds, removes
}

var (
	planSink           sync.Plan
	baselineSink       []string
	baselineSinkRemove []string
	countSink          int
)

// planCounts returns the member values p adds and removes, per group and in
// total, and the number of operations that are neither.
func planCounts(p sync.Plan) (adds, removes map[string]int, other int) {
	adds, removes = map[string]int{}, map[string]int{}
	for _, gp := range p.Groups {
		for _, op := range gp.Ops {
			switch op.Kind {
			case sync.OpAddMembers:
				adds[gp.SourceID] += len(op.Members)
			case sync.OpRemoveMembers:
				removes[gp.SourceID] += len(op.Members)
			default:
				other++
			}
		}
	}
	return adds, removes, other
}

// BenchmarkPlan times the planner and the baseline on the same inputs. The
// names, BenchmarkPlan/groups=G/members=M/impl=planner|baseline, let
// benchstat pair them: benchstat -col /impl bench.txt.
func BenchmarkPlan(b *testing.B) {
	for _, shape := range benchShapes {
		// The input is built, and checked, on first use, so that a -bench
		// pattern that skips a shape skips building it too.
		var bi *benchInput
		input := func(b *testing.B) *benchInput {
			if bi == nil {
				bi = newBenchInput(shape)
				checkBenchInput(b, bi)
				runtime.GC() // start the timing without the build's garbage
			}
			return bi
		}
		members := float64(shape.groups * shape.members)
		b.Run(shape.String()+"/impl=planner", func(b *testing.B) {
			bi := input(b)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				planSink = sync.Policy{}.Plan(bi.in)
			}
			b.StopTimer()
			b.ReportMetric(members, "members/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/members, "ns/member")
		})
		b.Run(shape.String()+"/impl=baseline", func(b *testing.B) {
			bi := input(b)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				a, r := baseline(bi)
				countSink += a + r
			}
			b.StopTimer()
			b.ReportMetric(members, "members/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/members, "ns/member")
		})
		planSink = sync.Plan{}
		baselineSink, baselineSinkRemove = nil, nil
	}
}

// TestBenchInputShape checks the input generator on the first benchmark
// shape and on scaled-down versions of the others, cheap enough for every
// test run (the race detector included). BenchmarkPlan runs the same check
// on every full-size shape before timing it.
func TestBenchInputShape(t *testing.T) {
	shapes := []benchShape{
		{groups: 1000, members: 100},
		{groups: 10, members: 10000},
		{groups: 100, members: 1000},
	}
	for _, shape := range shapes {
		t.Run(shape.String(), func(t *testing.T) {
			checkBenchInput(t, newBenchInput(shape))
		})
	}
}

// checkBenchInput checks that bi asks for what the benchmarks claim to
// measure: every group linked, created by the source, snapshotted and listed
// without members; per group exactly 10% of the members added and 10%
// removed, no other operation and no finding; and the baseline agreeing with
// the planner on the member values.
func checkBenchInput(tb testing.TB, bi *benchInput) {
	tb.Helper()
	shape := bi.shape
	c := shape.changed()
	if c == 0 {
		tb.Fatalf("shape %v changes no member", shape)
	}
	if len(bi.in.Desired) != shape.groups || len(bi.in.Links) != shape.groups || len(bi.in.Current) != shape.groups {
		tb.Fatalf("input has %d desired groups, %d links and %d target groups, want %d each",
			len(bi.in.Desired), len(bi.in.Links), len(bi.in.Current), shape.groups)
	}
	for i, l := range bi.in.Links {
		s := bi.in.Desired[i]
		if !l.Created || l.Pushed == nil || l.SourceID != s.ID || bi.in.Current[i].MembersRead {
			tb.Fatalf("group %d: link %+v is not a created, snapshotted link of %s with an unread target", i, l, s.ID)
		}
		if n := l.Pushed.Members.Len(); n != shape.members || len(bi.target[i]) != n {
			tb.Fatalf("group %d: snapshot has %d members (baseline %d), want %d", i, n, len(bi.target[i]), shape.members)
		}
		if n := len(slices.Compact(slices.Sorted(slices.Values(s.Members)))); n != shape.members || len(s.Members) != n {
			tb.Fatalf("group %d: source has %d distinct of %d members, want %d", i, n, len(s.Members), shape.members)
		}
	}

	p := sync.Policy{}.Plan(bi.in)
	if len(p.Findings) != 0 {
		tb.Errorf("plan has %d findings, want none; first: %v", len(p.Findings), p.Findings[0])
	}
	if len(p.Groups) != shape.groups {
		tb.Fatalf("plan has %d groups, want %d", len(p.Groups), shape.groups)
	}
	adds, removes, other := planCounts(p)
	if other != 0 {
		tb.Errorf("plan has %d operations other than member adds and removes", other)
	}
	var totalAdd, totalRemove int
	for _, s := range bi.in.Desired {
		if adds[s.ID] != c || removes[s.ID] != c {
			tb.Fatalf("group %s: plan adds %d and removes %d members, want %d each",
				s.ID, adds[s.ID], removes[s.ID], c)
		}
		totalAdd += adds[s.ID]
		totalRemove += removes[s.ID]
	}
	if want := shape.groups * c; totalAdd != want || totalRemove != want {
		tb.Errorf("plan adds %d and removes %d members in all, want %d each", totalAdd, totalRemove, want)
	}

	ba, br := baseline(bi)
	if ba != totalAdd || br != totalRemove {
		tb.Errorf("baseline adds %d and removes %d members, planner %d and %d", ba, br, totalAdd, totalRemove)
	}
	// On the last group, which the baseline's sinks hold, both compute the
	// same member values.
	lastID := bi.in.Desired[len(bi.in.Desired)-1].ID
	var pa, pr []string
	for _, gp := range p.Groups {
		if gp.SourceID != lastID {
			continue
		}
		for _, op := range gp.Ops {
			switch op.Kind {
			case sync.OpAddMembers:
				pa = append(pa, op.Members...)
			case sync.OpRemoveMembers:
				pr = append(pr, op.Members...)
			}
		}
	}
	if !slices.Equal(pa, slices.Sorted(slices.Values(baselineSink))) ||
		!slices.Equal(pr, slices.Sorted(slices.Values(baselineSinkRemove))) {
		tb.Errorf("group %s: planner and baseline disagree on the member values", lastID)
	}
	baselineSink, baselineSinkRemove = nil, nil
}
