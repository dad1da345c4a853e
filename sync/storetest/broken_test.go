package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/conformance"
	"github.com/groupsync/groupsync/internal/tabletest"
	groupsync "github.com/groupsync/groupsync/sync"
)

// Broken stores that TestStore must catch, each a [groupsync.MemStore]
// with one thing wrong.
type (
	// seeded is not empty when new, like a migration that inserts a
	// sample row.
	seeded struct{ *groupsync.MemStore }
	// snapshotLoser drops the snapshot of every link it stores.
	snapshotLoser struct{ *groupsync.MemStore }
	// addsFirst records a change's additions before its removals.
	addsFirst struct{ *groupsync.MemStore }
	// upserter creates the link that Pushed finds missing.
	upserter struct{ *groupsync.MemStore }
	// strictUnlink refuses to drop a link that is not there.
	strictUnlink struct{ *groupsync.MemStore }
	// secondStatus keeps status times to the second, like a DATETIME
	// column without fractions.
	secondStatus struct{ *groupsync.MemStore }
	// findingDropper saves a plan without its findings.
	findingDropper struct{ *groupsync.MemStore }
	// collating sorts source ids case-insensitively, like a database's
	// default collation.
	collating struct{ *groupsync.MemStore }
	// leaseless grants the lease to every owner.
	leaseless struct{ *groupsync.MemStore }
	// eternalLease ignores the ttl: a lease lasts until released.
	eternalLease struct{ *groupsync.MemStore }
	// twoStepPushed records a change by loading the snapshot and linking
	// it again changed, two calls with a round trip between them.
	twoStepPushed struct{ *groupsync.MemStore }
	// truncating keeps at most 1000 members of a snapshot, like a column
	// of limited size.
	truncating struct{ *groupsync.MemStore }
)

func newSeeded() groupsync.Store {
	m := &groupsync.MemStore{}
	_ = m.Link(context.Background(), groupsync.Link{SourceID: "sample", TargetID: "t0"})
	return seeded{m}
}

func (s snapshotLoser) Link(ctx context.Context, l groupsync.Link) error {
	l.Pushed = nil
	return s.MemStore.Link(ctx, l)
}

func (s addsFirst) Pushed(ctx context.Context, sourceID string, c groupsync.Change) error {
	if err := s.MemStore.Pushed(ctx, sourceID, groupsync.Change{Name: c.Name, ExternalID: c.ExternalID, Add: c.Add}); err != nil {
		return err
	}
	return s.MemStore.Pushed(ctx, sourceID, groupsync.Change{Remove: c.Remove})
}

func (s upserter) Pushed(ctx context.Context, sourceID string, c groupsync.Change) error {
	if err := s.MemStore.Pushed(ctx, sourceID, c); !errors.Is(err, groupsync.ErrNotLinked) {
		return err
	}
	if err := s.MemStore.Link(ctx, groupsync.Link{SourceID: sourceID}); err != nil {
		return err
	}
	return s.MemStore.Pushed(ctx, sourceID, c)
}

func (s strictUnlink) Unlink(ctx context.Context, sourceID string) error {
	st, err := s.MemStore.Load(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(st.Links, func(l groupsync.Link) bool { return l.SourceID == sourceID }) {
		return fmt.Errorf("unlink %s: %w", sourceID, groupsync.ErrNotLinked)
	}
	return s.MemStore.Unlink(ctx, sourceID)
}

func (s secondStatus) SetStatus(ctx context.Context, st groupsync.Status) error {
	st.LastAttempt = st.LastAttempt.Truncate(time.Second)
	st.LastSuccess = st.LastSuccess.Truncate(time.Second)
	st.PendingSince = st.PendingSince.Truncate(time.Second)
	return s.MemStore.SetStatus(ctx, st)
}

func (s findingDropper) SavePlan(ctx context.Context, p groupsync.Plan) error {
	p.Findings = nil
	return s.MemStore.SavePlan(ctx, p)
}

func (s collating) Load(ctx context.Context) (groupsync.State, error) {
	st, err := s.MemStore.Load(ctx)
	fold := func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }
	slices.SortStableFunc(st.Links, func(a, b groupsync.Link) int { return fold(a.SourceID, b.SourceID) })
	slices.SortStableFunc(st.Statuses, func(a, b groupsync.Status) int { return fold(a.SourceID, b.SourceID) })
	return st, err
}

func (leaseless) Lease(context.Context, string, time.Duration) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

func (s eternalLease) Lease(ctx context.Context, owner string, _ time.Duration) (func(context.Context) error, error) {
	return s.MemStore.Lease(ctx, owner, 100*365*24*time.Hour)
}

func (s twoStepPushed) Pushed(ctx context.Context, sourceID string, c groupsync.Change) error {
	st, err := s.MemStore.Load(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(st.Links, func(l groupsync.Link) bool { return l.SourceID == sourceID })
	if i < 0 {
		return fmt.Errorf("record pushed change of %s: %w", sourceID, groupsync.ErrNotLinked)
	}
	l := st.Links[i]
	var snap groupsync.Snapshot
	if l.Pushed != nil {
		snap = *l.Pushed
	}
	if c.Name != "" {
		snap.Name = c.Name
	}
	snap.Members = snap.Members.Without(c.Remove...).With(c.Add...)
	l.Pushed = &snap
	time.Sleep(2 * time.Millisecond) // a round trip to the database
	return s.MemStore.Link(ctx, l)
}

func (s truncating) Link(ctx context.Context, l groupsync.Link) error {
	if l.Pushed != nil && l.Pushed.Members.Len() > 1000 {
		p := *l.Pushed
		p.Members = group.NewMembers(p.Members.Slice()[:1000]...)
		l.Pushed = &p
	}
	return s.MemStore.Link(ctx, l)
}

// cachingLoad returns the state it loaded last while nothing has changed
// since, sharing it with every caller.
type cachingLoad struct {
	*groupsync.MemStore
	mu     sync.Mutex
	cached *groupsync.State
}

func (s *cachingLoad) Load(ctx context.Context) (groupsync.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil {
		st, err := s.MemStore.Load(ctx)
		if err != nil {
			return st, err
		}
		s.cached = &st
	}
	return *s.cached, nil
}

// forget drops the cache after err, a write's result.
func (s *cachingLoad) forget(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cached = nil
	return err
}

func (s *cachingLoad) Link(ctx context.Context, l groupsync.Link) error {
	return s.forget(s.MemStore.Link(ctx, l))
}

func (s *cachingLoad) Pushed(ctx context.Context, sourceID string, c groupsync.Change) error {
	return s.forget(s.MemStore.Pushed(ctx, sourceID, c))
}

func (s *cachingLoad) Unlink(ctx context.Context, sourceID string) error {
	return s.forget(s.MemStore.Unlink(ctx, sourceID))
}

func (s *cachingLoad) SetStatus(ctx context.Context, st groupsync.Status) error {
	return s.forget(s.MemStore.SetStatus(ctx, st))
}

func (s *cachingLoad) SavePlan(ctx context.Context, p groupsync.Plan) error {
	return s.forget(s.MemStore.SavePlan(ctx, p))
}

// retainer keeps the plan it is given, not a copy, and stores it only when
// loaded.
type retainer struct {
	*groupsync.MemStore
	mu   sync.Mutex
	plan *groupsync.Plan
}

func (s *retainer) SavePlan(_ context.Context, p groupsync.Plan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plan = &p
	return nil
}

func (s *retainer) Load(ctx context.Context) (groupsync.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plan != nil {
		if err := s.MemStore.SavePlan(ctx, *s.plan); err != nil {
			return groupsync.State{}, err
		}
	}
	return s.MemStore.Load(ctx)
}

func mem() *groupsync.MemStore { return &groupsync.MemStore{} }

func TestStoreCatchesBrokenStores(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		store  func() groupsync.Store
		check  string // the check that must fail
	}{
		{
			name:   "new store holds a link",
			reason: "a new store must be empty, or a first push would find links it never made",
			store:  newSeeded,
			check:  "Empty",
		},
		{
			name:   "R11 link loses its snapshot",
			reason: "a normal sync takes names and members from the last-pushed snapshot; a lost one makes every sync read live",
			store:  func() groupsync.Store { return snapshotLoser{mem()} },
			check:  "Link",
		},
		{
			name:   "R8 additions recorded before removals",
			reason: "a change's removals apply first, so a member both removed and added stays a member",
			store:  func() groupsync.Store { return addsFirst{mem()} },
			check:  "Pushed",
		},
		{
			name:   "Pushed creates the missing link",
			reason: "a stale plan must not resurrect a link that was dropped: Pushed of an unlinked group fails with ErrNotLinked",
			store:  func() groupsync.Store { return upserter{mem()} },
			check:  "PushedNotLinked",
		},
		{
			name:   "R14 Unlink of a missing link fails",
			reason: "dropping a link that is gone is done already; an error would fail a retried unlink",
			store:  func() groupsync.Store { return strictUnlink{mem()} },
			check:  "Unlink",
		},
		{
			name:   "R12 status times kept to the second",
			reason: "a status keeps the times of the attempt exactly; TestStore allows another location, not less precision",
			store:  func() groupsync.Store { return secondStatus{mem()} },
			check:  "SetStatus",
		},
		{
			name:   "R13 last plan loses its findings",
			reason: "Diagnose reads the findings of the last plan; a store must keep them",
			store:  func() groupsync.Store { return findingDropper{mem()} },
			check:  "SavePlan",
		},
		{
			name:   "Load sorts by a case-insensitive collation",
			reason: "links and statuses come sorted by source id in byte order, whatever the database's collation",
			store:  func() groupsync.Store { return collating{mem()} },
			check:  "LoadSorts",
		},
		{
			name:   "Load shares what it returns",
			reason: "a caller may change the state Load returned without changing the store",
			store:  func() groupsync.Store { return &cachingLoad{MemStore: mem()} },
			check:  "LoadReturnsCopies",
		},
		{
			name:   "SavePlan keeps the caller's plan",
			reason: "a store keeps a copy of what it is given, so a caller may change its value afterwards",
			store:  func() groupsync.Store { return &retainer{MemStore: mem()} },
			check:  "StoreKeepsCopies",
		},
		{
			name:   "lease granted to every owner",
			reason: "two push runs against the same state must never interleave",
			store:  func() groupsync.Store { return leaseless{mem()} },
			check:  "Lease",
		},
		{
			name:   "lease never expires",
			reason: "a run that died holding the lease must not block every later run",
			store:  func() groupsync.Store { return eternalLease{mem()} },
			check:  "LeaseExpires",
		},
		{
			name:   "Pushed loads and links again in two steps",
			reason: "the applier records several groups at once; two changes of one group recorded together must both be kept",
			store:  func() groupsync.Store { return twoStepPushed{mem()} },
			check:  "ConcurrentUseLosesNothing",
		},
		{
			name:   "snapshot keeps at most 1000 members",
			reason: "a snapshot keeps every member, however large the group",
			store:  func() groupsync.Store { return truncating{mem()} },
			check:  "LargeSnapshot",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := TestStore(t.Context(), func() (groupsync.Store, error) { return tt.store(), nil })
			conformance.Caught(t, err, tt.check)
		})
	}
}
