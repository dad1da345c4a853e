package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
	"github.com/groupsync/groupsync/sync/targettest"
)

// bytes hands out fuzz input one choice at a time; past its end every choice
// is zero.
type bytes struct {
	b []byte
}

func (r *bytes) next(n int) int {
	if len(r.b) == 0 {
		return 0
	}
	c := int(r.b[0])
	r.b = r.b[1:]
	return c % n
}

var (
	fuzzNames = []string{"Engineering", "engineering", "Leadership", "Leadership ", "Sales", "Ünits", "U\u0308nits", "Ops"}
	fuzzUsers = []string{"u1", "u2", "u3", "u4", "u5", "u6"}
)

func (r *bytes) members() []string {
	var out []string
	for _, u := range fuzzUsers {
		if r.next(2) == 1 {
			out = append(out, u)
		}
	}
	return out
}

// desired draws a desired source set over the ids s0..s3.
func (r *bytes) desired(apps []string) []sync.SourceGroup {
	var out []sync.SourceGroup
	for i := range 4 {
		if r.next(3) == 0 {
			continue
		}
		s := sync.SourceGroup{ID: fmt.Sprintf("s%d", i), Name: fuzzNames[r.next(len(fuzzNames))], Members: r.members()}
		if len(apps) > 0 && r.next(6) == 0 {
			s.ImportedFrom = apps[r.next(len(apps))]
		}
		out = append(out, s)
	}
	return out
}

// FuzzPlan checks the algebra of plans on random histories: after applying
// plan(x, y), planning y again has no operations; a force plan then finds no
// difference that no finding names; and no local attribute, origin or id
// changes, except by a planned delete.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"))
	f.Add([]byte("\x02\x02\x01\x01\x01\x01\x01\x01\x01\x02\x03\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"))
	f.Add([]byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0\xdf\xde\xdd\xdc\xdb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &bytes{b: data}
		ctx := context.Background()
		tgt := &targettest.Target{}
		store := &sync.MemStore{}
		var apps []string
		for range r.next(3) {
			apps = append(apps, tgt.Put(group.Group{Name: fuzzNames[r.next(len(fuzzNames))], Origin: origin.Target,
				Members: group.NewMembers(r.members()...), Type: "Teams", Attributes: map[string]string{"color": "blue"}}))
		}
		var users map[string]string
		if r.next(2) == 1 {
			users = map[string]string{}
			for _, u := range fuzzUsers[:5] { // u6 is never provisioned
				users[u] = "t-" + u
			}
		}
		policy := func() sync.Policy {
			return sync.Policy{MaxMembersPerRequest: 1 + r.next(3), Unlink: sync.UnlinkAction(r.next(2)),
				MaxDeletes: r.next(3) - 1, BlockNearDuplicates: r.next(2) == 1}
		}
		rec := &recorder{Target: tgt}
		a := &sync.Applier{Policy: policy(), Target: rec, Store: store}

		// History: a first push, then hand edits in the app.
		x := r.desired(apps)
		if _, _, err := a.Sync(ctx, sync.Input{Desired: x, Users: users}); err != nil && !errors.Is(err, sync.ErrTooManyDeletes) {
			t.Fatalf("first sync: %v", err)
		}
		drift := false
		for _, g := range tgt.Groups() {
			switch r.next(6) {
			case 0:
				g.Type, g.Attributes = "Moved", map[string]string{"moved": "yes"}
				tgt.Put(g)
			case 1:
				g.Members = g.Members.With(fuzzUsers[r.next(len(fuzzUsers))])
				tgt.Put(g)
				drift = true
			case 2:
				g.Name = fuzzNames[r.next(len(fuzzNames))]
				tgt.Put(g)
				drift = true
			}
		}
		before := map[string]group.Group{}
		for _, g := range tgt.Groups() {
			before[g.ID] = g
		}

		// plan(x, y), applied with a new policy, forced or not.
		a.Policy = policy()
		rec.values = nil
		y := r.desired(apps)
		force := r.next(2) == 1
		in := sync.Input{Desired: y, Users: users, Force: force}
		p, _, err := a.Sync(ctx, in)
		if err != nil && !errors.Is(err, sync.ErrTooManyDeletes) {
			t.Fatalf("sync y: %v\nplan:\n%s", err, p)
		}
		if p.Err() != nil {
			for id, g := range before {
				if got, _ := tgt.Group(id); !cmp.Equal(g, got, planOpts) {
					t.Fatalf("refused plan changed group %s", id)
				}
			}
			return
		}
		for _, n := range rec.values {
			if n > p.MaxMembersPerRequest {
				t.Fatalf("a request carried %d member values, more than %d:\n%s", n, p.MaxMembersPerRequest, p)
			}
		}

		// Ids, origins and local attributes are untouched; groups go only by
		// a planned delete.
		deleted := map[string]bool{}
		for _, g := range p.Groups {
			for _, op := range g.Ops {
				if op.Kind == sync.OpDelete {
					deleted[g.TargetID] = true
				}
			}
		}
		for id, b := range before {
			g, ok := tgt.Group(id)
			switch {
			case !ok && !deleted[id]:
				t.Errorf("group %s (%q) disappeared without a planned delete", id, b.Name)
			case ok && deleted[id]:
				t.Errorf("group %s was to be deleted", id)
			case ok && (g.Origin != b.Origin || g.Type != b.Type || !cmp.Equal(g.Attributes, b.Attributes)):
				t.Errorf("group %s local state changed: %+v -> %+v", id, b, g)
			}
		}

		// Planning y again: nothing to do.
		if again, err := a.Plan(ctx, sync.Input{Desired: y, Users: users}); err != nil {
			t.Fatal(err)
		} else if again.Len() != 0 {
			t.Fatalf("re-plan has %d operations:\n%s\nafter applying:\n%s\nx %+v\ny %+v force %v drift %v", again.Len(), again, p, x, y, force, drift)
		}
		// A force plan sees the live target: unless drift was left alone by
		// a normal sync, nothing is left to do either.
		live, err := a.Plan(ctx, sync.Input{Desired: y, Users: users, Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if !force && drift {
			return // a normal sync leaves hand changes alone (R11)
		}
		if live.Len() != 0 {
			t.Fatalf("force re-plan has %d operations:\n%s\nafter applying:\n%s", live.Len(), live, p)
		}
		checkDifferencesNamed(t, tgt, store, y, users, live)
		if t.Failed() {
			t.Logf("x: %+v\ny: %+v force %v\nplan:\n%s\nlive:\n%s", x, y, force, p, live)
		}
	})
}

// checkDifferencesNamed checks that every desired group that the target does
// not show as desired has a finding that says why.
func checkDifferencesNamed(t *testing.T, tgt *targettest.Target, store *sync.MemStore, y []sync.SourceGroup, users map[string]string, live sync.Plan) {
	t.Helper()
	named := map[string]bool{}
	for _, f := range live.Findings {
		if f.Kind != sync.MemberNotProvisioned && !(f.Kind == sync.NearDuplicate && !f.Blocked) {
			named[f.SourceID] = true
		}
	}
	st, _ := store.Load(context.Background())
	links := map[string]string{}
	for _, l := range st.Links {
		links[l.SourceID] = l.TargetID
	}
	for _, s := range y {
		if named[s.ID] || s.ImportedFrom != "" {
			continue
		}
		id, ok := links[s.ID]
		if !ok {
			t.Errorf("source group %s (%q) is not linked and no finding says why", s.ID, s.Name)
			continue
		}
		g, ok := tgt.Group(id)
		if !ok {
			t.Errorf("source group %s is linked to missing %s and no finding says so", s.ID, id)
			continue
		}
		var want []string
		for _, m := range s.Members {
			if users == nil {
				want = append(want, m)
			} else if u, ok := users[m]; ok {
				want = append(want, u)
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if g.Name != s.Name || !slices.Equal(g.Members.Slice(), want) {
			t.Errorf("source group %s wants %q %v; target %s has %q %v; no finding says why",
				s.ID, s.Name, want, id, g.Name, g.Members.Slice())
		}
	}
}
