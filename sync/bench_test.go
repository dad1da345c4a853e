package sync_test

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/benchpair"
	"github.com/groupsync/groupsync/internal/tabletest"
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

// planShapes are the inputs BenchmarkPlan plans: each row's large shape
// gives the README's figures, its short shape (one tenth of the members or
// fewer) is what CI runs with -short.
var planShapes = []struct {
	name         string
	large, short benchShape
	reason       string
}{
	{name: "many small groups", large: benchShape{groups: 1000, members: 100}, short: benchShape{groups: 100, members: 100},
		reason: "the fixed cost per group dominates: what allocations per group cost"},
	{name: "few huge groups", large: benchShape{groups: 10, members: 100000}, short: benchShape{groups: 10, members: 10000},
		reason: "the cost per member dominates: sorting and merging a group's members"},
	{name: "many large groups", large: benchShape{groups: 10000, members: 1000}, short: benchShape{groups: 100, members: 1000},
		reason: "both at once, and the largest plan: ten million members"},
}

// Targets of BenchmarkPlan, from the README.
const (
	// planTimeTarget is the most the planner may take, as a multiple of
	// the baseline's time on the same input. The benchmark fails above the
	// target itself, with no allowance for noise: the two take turns in
	// one loop, so load from other processes falls on both, and the ratio
	// is a median over blocks of turns. In 15 runs of .ci/bench on a
	// shared 2-core machine, 5 of them beside two busy loops, the short
	// shapes' ratios stayed between 0.63 and 1.11, and in 6 runs of the
	// large shapes between 0.60 and 1.10: well below the target, which a
	// planner half again as slow as today's would exceed.
	planTimeTarget = 1.5
	// planAllocsPerGroup and planAllocsPerPlan bound the planner's heap
	// allocations: at most planAllocsPerGroup per group plus
	// planAllocsPerPlan for the plan, whatever the groups' sizes (the
	// README: about six per group, since cut to five). They are counted
	// exactly, between two collections, so there is no noise to allow
	// for; one allocation per member would exceed the bound at every
	// shape.
	planAllocsPerGroup = 6
	planAllocsPerPlan  = 100
)

// BenchmarkPlan plans each shape of planShapes and computes the baseline
// on the same input, the two taking turns in one loop (see [benchpair.Run]), and
// reports the planner's time and bytes as multiples of the baseline's
// (x-baseline-time, x-baseline-bytes), both sides' figures (planner-…,
// baseline-…), and the planner's allocations per group (allocs/group). It
// fails when the planner takes more than planTimeTarget times the
// baseline's time, or allocates more than planAllocsPerGroup per group
// plus planAllocsPerPlan.
//
// The README's figures, large shapes (three to four minutes; the two
// largest shapes get one turn each per run, so take several runs and their
// medians):
//
//	go test ./sync -run '^$' -bench BenchmarkPlan -count 6 | tee plan.txt
//	go run golang.org/x/perf/cmd/benchstat@latest plan.txt
//
// CI's, short shapes (.ci/bench; the longer -benchtime gives each short
// shape 20 or more blocks of turns):
//
//	go test ./sync -run '^$' -bench BenchmarkPlan -short -benchtime 3s
func BenchmarkPlan(b *testing.B) {
	for _, row := range planShapes {
		shape := row.large
		if testing.Short() {
			shape = row.short
		}
		b.Run(shape.String(), func(b *testing.B) {
			bi := newBenchInput(shape)
			checkBenchInput(b, bi)
			plan := func() { planSink = sync.Policy{}.Plan(bi.in) }
			base := func() {
				a, r := baseline(bi)
				countSink += a + r
			}
			p := benchpair.Run(b, base, plan, benchpair.Options{Collect: true})
			planSink = sync.Plan{}
			baselineSink, baselineSinkRemove = nil, nil

			timeRatio, _ := p.Report(b, "baseline", "planner")
			allocs := p.Measured.Allocs
			b.ReportMetric(allocs/float64(shape.groups), "allocs/group")
			b.ReportMetric(float64(shape.groups*shape.members), "members/op")
			if timeRatio > planTimeTarget {
				b.Errorf("the planner takes %.2f× the baseline's time, want at most %g×", timeRatio, planTimeTarget)
			}
			if limit := planAllocsPerGroup*shape.groups + planAllocsPerPlan; allocs > float64(limit) {
				b.Errorf("the planner allocates %.0f times (%.1f per group), want at most %d (%d per group and %d per plan)",
					allocs, allocs/float64(shape.groups), limit, planAllocsPerGroup, planAllocsPerPlan)
			}
		})
	}
}

// TestBenchInputShape checks the input generator on the short shapes, the
// ones CI benchmarks, cheap enough for every test run (the race detector
// included). BenchmarkPlan runs the same check on every shape, large ones
// included, before timing it.
func TestBenchInputShape(t *testing.T) {
	tabletest.Check(t, planShapes)
	for _, row := range planShapes {
		t.Run(row.short.String(), func(t *testing.T) {
			checkBenchInput(t, newBenchInput(row.short))
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
