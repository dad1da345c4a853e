package scimxtest

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
	"github.com/groupsync/groupsync/scimx"
)

// txStore is a [scimx.MemStore] whose transactions go through wrap.
type txStore struct {
	*scimx.MemStore
	wrap func(scimx.Tx) scimx.Tx
}

func (s txStore) View(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.MemStore.View(ctx, tenant, func(tx scimx.Tx) error { return f(s.wrap(tx)) })
}

func (s txStore) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.MemStore.Update(ctx, tenant, func(tx scimx.Tx) error { return f(s.wrap(tx)) })
}

// Broken transactions, each a MemStore's with one thing wrong.
type (
	// unsortedTx lists groups in reverse order of id, as a query without
	// ORDER BY may.
	unsortedTx struct{ scimx.Tx }
	// foldingTx looks names up case-insensitively, as a database's
	// default collation may.
	foldingTx struct{ scimx.Tx }
	// keepsMembersTx ignores ClearMembers.
	keepsMembersTx struct{ scimx.Tx }
	// lenientTx deletes an unknown id without an error, as a DELETE that
	// does not count its rows does.
	lenientTx struct{ scimx.Tx }
	// truncatingTx creates a group with at most its first 1000 members,
	// as an insert with one parameter per member may be cut short.
	truncatingTx struct{ scimx.Tx }
)

func (tx unsortedTx) Groups() ([]scimx.Record, error) {
	recs, err := tx.Tx.Groups()
	slices.Reverse(recs)
	return recs, err
}

func (tx foldingTx) Lookup(attr scimx.Attr, value string) ([]scimx.Record, error) {
	if attr != scimx.DisplayName {
		return tx.Tx.Lookup(attr, value)
	}
	all, err := tx.Tx.Groups()
	return slices.DeleteFunc(all, func(r scimx.Record) bool { return !strings.EqualFold(r.Name, value) }), err
}

func (tx keepsMembersTx) Change(id string, c scimx.Change) (scimx.Record, error) {
	c.ClearMembers = false
	return tx.Tx.Change(id, c)
}

func (tx lenientTx) Delete(id string) error {
	if err := tx.Tx.Delete(id); !errors.Is(err, scimx.ErrNotFound) {
		return err
	}
	return nil
}

func (tx truncatingTx) Create(g group.Group) (scimx.Record, error) {
	if g.Members.Len() > 1000 {
		g.Members = group.NewMembers(g.Members.Slice()[:1000]...)
	}
	return tx.Tx.Create(g)
}

// deletedNames remembers the names of deleted groups, shared by the
// transactions of one store.
type deletedNames struct {
	mu    sync.Mutex
	names map[string][]scimx.Record
}

// staleIndexTx finds deleted groups by name, as a name index kept apart
// from the groups and not updated on delete would.
type staleIndexTx struct {
	scimx.Tx
	deleted *deletedNames
}

func (tx staleIndexTx) Delete(id string) error {
	rec, err := tx.Tx.Group(id, false)
	if err != nil {
		return err
	}
	if err := tx.Tx.Delete(id); err != nil {
		return err
	}
	tx.deleted.mu.Lock()
	defer tx.deleted.mu.Unlock()
	tx.deleted.names[rec.Name] = append(tx.deleted.names[rec.Name], rec)
	return nil
}

func (tx staleIndexTx) Lookup(attr scimx.Attr, value string) ([]scimx.Record, error) {
	recs, err := tx.Tx.Lookup(attr, value)
	if attr == scimx.DisplayName {
		tx.deleted.mu.Lock()
		defer tx.deleted.mu.Unlock()
		recs = append(recs, tx.deleted.names[value]...)
	}
	return recs, err
}

func newStaleIndex() scimx.Store {
	d := &deletedNames{names: map[string][]scimx.Record{}}
	return txStore{&scimx.MemStore{}, func(tx scimx.Tx) scimx.Tx { return staleIndexTx{tx, d} }}
}

// Broken stores, each a MemStore with one thing wrong.
type (
	// tenantBlind keeps every tenant's groups together.
	tenantBlind struct{ *scimx.MemStore }
	// committer keeps the writes of a failed Update.
	committer struct{ *scimx.MemStore }
	// writableView runs View as a read-write transaction.
	writableView struct{ *scimx.MemStore }
	// autocommit runs every call of an Update in a transaction of its own,
	// as a store that forgot to begin one would, and changes members by
	// reading the set, then writing it back whole.
	autocommit struct{ *scimx.MemStore }
)

func (s tenantBlind) View(ctx context.Context, _ string, f func(scimx.Tx) error) error {
	return s.MemStore.View(ctx, "", f)
}

func (s tenantBlind) Update(ctx context.Context, _ string, f func(scimx.Tx) error) error {
	return s.MemStore.Update(ctx, "", f)
}

func (s committer) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	var ferr error
	if err := s.MemStore.Update(ctx, tenant, func(tx scimx.Tx) error {
		ferr = f(tx)
		return nil
	}); err != nil {
		return err
	}
	return ferr
}

func (s writableView) View(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.MemStore.Update(ctx, tenant, f)
}

func (s autocommit) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return f(autocommitTx{s.MemStore, ctx, tenant})
}

// autocommitTx is the transaction of an [autocommit] store.
type autocommitTx struct {
	s      *scimx.MemStore
	ctx    context.Context
	tenant string
}

// in runs f in a transaction of its own, a View or an Update.
func in[T any](tx autocommitTx, write bool, f func(scimx.Tx) (T, error)) (T, error) {
	run := tx.s.View
	if write {
		run = tx.s.Update
	}
	var v T
	err := run(tx.ctx, tx.tenant, func(t scimx.Tx) (err error) {
		v, err = f(t)
		return err
	})
	return v, err
}

func (tx autocommitTx) Group(id string, members bool) (scimx.Record, error) {
	return in(tx, false, func(t scimx.Tx) (scimx.Record, error) { return t.Group(id, members) })
}

func (tx autocommitTx) Lookup(attr scimx.Attr, value string) ([]scimx.Record, error) {
	return in(tx, false, func(t scimx.Tx) ([]scimx.Record, error) { return t.Lookup(attr, value) })
}

func (tx autocommitTx) Groups() ([]scimx.Record, error) {
	return in(tx, false, scimx.Tx.Groups)
}

func (tx autocommitTx) HasMember(id, member string) (bool, error) {
	return in(tx, false, func(t scimx.Tx) (bool, error) { return t.HasMember(id, member) })
}

func (tx autocommitTx) GroupIDs(ids []string) ([]string, error) {
	return in(tx, false, func(t scimx.Tx) ([]string, error) { return t.GroupIDs(ids) })
}

func (tx autocommitTx) Create(g group.Group) (scimx.Record, error) {
	return in(tx, true, func(t scimx.Tx) (scimx.Record, error) { return t.Create(g) })
}

func (tx autocommitTx) Delete(id string) error {
	_, err := in(tx, true, func(t scimx.Tx) (struct{}, error) { return struct{}{}, t.Delete(id) })
	return err
}

func (tx autocommitTx) Change(id string, c scimx.Change) (scimx.Record, error) {
	cur, err := tx.Group(id, true)
	if err != nil {
		return scimx.Record{}, err
	}
	members := cur.Members
	if c.ClearMembers {
		members = group.Members{}
	}
	members = members.Without(c.Remove...).With(c.Add...)
	time.Sleep(2 * time.Millisecond) // a round trip to the database
	c.ClearMembers, c.Remove, c.Add = true, nil, members.Slice()
	return in(tx, true, func(t scimx.Tx) (scimx.Record, error) { return t.Change(id, c) })
}

func mem() *scimx.MemStore { return &scimx.MemStore{} }

// withTx returns a function that makes a MemStore whose transactions go
// through wrap.
func withTx(wrap func(scimx.Tx) scimx.Tx) func() scimx.Store {
	return func() scimx.Store { return txStore{mem(), wrap} }
}

func TestStoreCatchesBrokenStores(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		store  func() scimx.Store
		check  string // the check that must fail
	}{
		{
			name:   "groups listed unsorted",
			reason: "Groups returns every group sorted by id, so that paging with startIndex and count is stable",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return unsortedTx{tx} }),
			check:  "CreateAndRead",
		},
		{
			name:   "R5 name lookup folds case",
			reason: "names compare byte for byte: a POST associates with a group of exactly its name, never with one that differs in case",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return foldingTx{tx} }),
			check:  "Lookup",
		},
		{
			name:   "R2 a change that clears members keeps them",
			reason: "a PUT replaces the members: an absent members attribute means the empty set",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return keepsMembersTx{tx} }),
			check:  "Change",
		},
		{
			name:   "deleted group still found by name",
			reason: "a deleted group's name is free again: a POST of that name must create a group, not associate with one that is gone",
			store:  newStaleIndex,
			check:  "Delete",
		},
		{
			name:   "failed Update keeps its writes",
			reason: "PATCH is atomic: either every operation of a request applies or none does",
			store:  func() scimx.Store { return committer{mem()} },
			check:  "Rollback",
		},
		{
			name:   "View allows writes",
			reason: "the handler reads in View; a write there is a bug that must fail with ErrReadOnlyTx, not change the group",
			store:  func() scimx.Store { return writableView{mem()} },
			check:  "ViewIsReadOnly",
		},
		{
			name:   "Delete of an unknown id succeeds",
			reason: "a request for an id the tenant does not have answers 404, which the handler knows only from ErrNotFound",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return lenientTx{tx} }),
			check:  "NotFound",
		},
		{
			name:   "R16 tenants share their groups",
			reason: "every read, match and write is scoped to the tenant of the request's credentials",
			store:  func() scimx.Store { return tenantBlind{mem()} },
			check:  "TenantsAreIsolated",
		},
		{
			name:   "Update runs each call in a transaction of its own",
			reason: "concurrent PATCHes of one group each add their member; a read-then-write outside one transaction loses some",
			store:  func() scimx.Store { return autocommit{mem()} },
			check:  "ConcurrentUpdatesLoseNothing",
		},
		{
			name:   "group created with at most 1000 members",
			reason: "a group keeps every member, however large",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return truncatingTx{tx} }),
			check:  "LargeGroup",
		},
		{
			name:   "GroupsOf unsorted",
			reason: "the groups of a user come sorted by id, as every other list of groups does",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return unsortedIndexTx{tx} }),
			check:  "GroupsOf",
		},
		{
			name:   "MemberPage in case-folded order",
			reason: "pages follow byte order, the order of the after cursor; another order skips and repeats members across pages",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return unsortedIndexTx{tx} }),
			check:  "MemberPage",
		},
		{
			name:   "R17 an event outlives its rolled-back transaction",
			reason: "an event commits with the change it describes, or not at all: a feed written apart from the change announces what never happened",
			store:  sideFeedStore(flawNoRollback),
			check:  "FeedRollsBack",
		},
		{
			name:   "R17 numbers counted from the events kept",
			reason: "after pruning, a number counted from what is left repeats one a consumer has seen, and the consumer skips the new event",
			store:  sideFeedStore(flawCountSeq),
			check:  "PruneEvents",
		},
		{
			name:   "R17 concurrent Appends read the same newest number",
			reason: "two writers that read the newest number outside the tenant's write lock give two events one number, or leave a gap",
			store:  sideFeedStore(flawRace),
			check:  "FeedConcurrentAppendsAreGapFree",
		},
		{
			name:   "R17 pruning ignores the cursors",
			reason: "retention deletes only what every consumer has passed; otherwise a consumer that was down misses a revoke",
			store:  sideFeedStore(flawPruneAll),
			check:  "PruneEvents",
		},
		{
			name:   "R17 Events include the cursor's own event",
			reason: "reading after seq n starts at n+1: a consumer that resumes at its cursor must not get its last event as new",
			store:  withTx(func(tx scimx.Tx) scimx.Tx { return inclusiveEventsTx{tx} }),
			check:  "Feed",
		},
		{
			name:   "R16 tenants share one feed",
			reason: "each tenant numbers and reads its own events; one tenant must never see another's changes",
			store:  func() scimx.Store { return tenantBlind{mem()} },
			check:  "FeedTenantsAreIsolated",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := TestStore(t.Context(), func() (scimx.Store, error) { return tt.store(), nil })
			conformance.Caught(t, err, tt.check)
		})
	}
}

func (tx autocommitTx) GroupsOf(member string) ([]string, error) {
	return in(tx, false, func(t scimx.Tx) ([]string, error) { return t.GroupsOf(member) })
}

func (tx autocommitTx) MemberPage(id, after string, limit int) ([]string, error) {
	return in(tx, false, func(t scimx.Tx) ([]string, error) { return t.MemberPage(id, after, limit) })
}

func (tx autocommitTx) Append(e scimx.FeedEvent) (scimx.FeedEvent, error) {
	return in(tx, true, func(t scimx.Tx) (scimx.FeedEvent, error) { return t.Append(e) })
}

func (tx autocommitTx) Events(after int64, limit int) ([]scimx.FeedEvent, error) {
	return in(tx, false, func(t scimx.Tx) ([]scimx.FeedEvent, error) { return t.Events(after, limit) })
}

func (tx autocommitTx) Cursor(name string) (int64, error) {
	return in(tx, false, func(t scimx.Tx) (int64, error) { return t.Cursor(name) })
}

func (tx autocommitTx) SetCursor(name string, seq int64) error {
	_, err := in(tx, true, func(t scimx.Tx) (struct{}, error) { return struct{}{}, t.SetCursor(name, seq) })
	return err
}

func (tx autocommitTx) PruneEvents(before time.Time) (int, error) {
	return in(tx, true, func(t scimx.Tx) (int, error) { return t.PruneEvents(before) })
}

// unsortedIndexTx answers GroupsOf in reverse and pages members in
// case-folded order, as queries in a database's default collation may.
type unsortedIndexTx struct{ scimx.Tx }

func (tx unsortedIndexTx) GroupsOf(member string) ([]string, error) {
	ids, err := tx.Tx.GroupsOf(member)
	slices.Reverse(ids)
	return ids, err
}

func (tx unsortedIndexTx) MemberPage(id, after string, limit int) ([]string, error) {
	all, err := tx.Tx.MemberPage(id, "", 1<<30)
	if err != nil || limit < 1 {
		return nil, err
	}
	slices.SortFunc(all, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	i := 0
	if after != "" {
		i = slices.Index(all, after) + 1
	}
	return all[i:min(len(all), i+limit)], nil
}

// inclusiveEventsTx returns the event of seq after too.
type inclusiveEventsTx struct{ scimx.Tx }

func (tx inclusiveEventsTx) Events(after int64, limit int) ([]scimx.FeedEvent, error) {
	return tx.Tx.Events(max(0, after-1), limit)
}

// The flaws of a sideFeed.
const (
	flawNoRollback = iota + 1 // Append writes at once, outside the transaction
	flawCountSeq              // Seq is one more than the events kept
	flawRace                  // the newest number is read before the lock, and Updates run at once
	flawPruneAll              // PruneEvents deletes what is old enough, whatever the cursors
)

// sideFeed keeps a feed beside a MemStore's groups, in a structure of its
// own, with one flaw.
type sideFeed struct {
	*scimx.MemStore
	flaw    int
	mu      sync.Mutex
	events  map[string][]scimx.FeedEvent
	cursors map[string]map[string]int64
	ids     int
}

func sideFeedStore(flaw int) func() scimx.Store {
	return func() scimx.Store {
		return &sideFeed{MemStore: mem(), flaw: flaw, events: map[string][]scimx.FeedEvent{}, cursors: map[string]map[string]int64{}}
	}
}

func (s *sideFeed) View(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.MemStore.View(ctx, tenant, func(tx scimx.Tx) error { return f(&sideTx{Tx: tx, s: s, tenant: tenant}) })
}

func (s *sideFeed) Update(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	run := s.MemStore.Update
	if s.flaw == flawRace {
		run = s.MemStore.View // readers run at once
	}
	return run(ctx, tenant, func(tx scimx.Tx) error {
		stx := &sideTx{Tx: tx, s: s, tenant: tenant, write: true}
		if err := f(stx); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.events[tenant] = append(s.events[tenant], stx.pending...)
		for name, seq := range stx.cursors {
			if s.cursors[tenant] == nil {
				s.cursors[tenant] = map[string]int64{}
			}
			s.cursors[tenant][name] = seq
		}
		return nil
	})
}

type sideTx struct {
	scimx.Tx
	s       *sideFeed
	tenant  string
	write   bool
	pending []scimx.FeedEvent
	cursors map[string]int64
}

func (tx *sideTx) Append(e scimx.FeedEvent) (scimx.FeedEvent, error) {
	if !tx.write {
		return e, scimx.ErrReadOnlyTx
	}
	tx.s.mu.Lock()
	evs := tx.s.events[tx.tenant]
	var newest int64
	if len(evs) > 0 {
		newest = evs[len(evs)-1].Seq
	}
	if tx.s.flaw == flawCountSeq {
		newest = int64(len(evs))
	}
	tx.s.ids++
	e.ID = fmt.Sprintf("e%d", tx.s.ids)
	tx.s.mu.Unlock()
	if tx.s.flaw == flawRace {
		time.Sleep(time.Millisecond) // between the read and the write
	}
	e.Seq = newest + int64(len(tx.pending)) + 1
	e.Tenant, e.At = tx.tenant, time.Now()
	if e.Added == nil {
		e.Added = []string{}
	}
	if e.Removed == nil {
		e.Removed = []string{}
	}
	if tx.s.flaw == flawNoRollback {
		tx.s.mu.Lock()
		tx.s.events[tx.tenant] = append(tx.s.events[tx.tenant], e)
		tx.s.mu.Unlock()
		return e, nil
	}
	tx.pending = append(tx.pending, e)
	return e, nil
}

func (tx *sideTx) Events(after int64, limit int) ([]scimx.FeedEvent, error) {
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	var out []scimx.FeedEvent
	for _, e := range tx.s.events[tx.tenant] {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (tx *sideTx) Cursor(name string) (int64, error) {
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	return tx.s.cursors[tx.tenant][name], nil
}

func (tx *sideTx) SetCursor(name string, seq int64) error {
	if !tx.write {
		return scimx.ErrReadOnlyTx
	}
	if tx.cursors == nil {
		tx.cursors = map[string]int64{}
	}
	tx.cursors[name] = seq
	return nil
}

func (tx *sideTx) PruneEvents(before time.Time) (int, error) {
	if !tx.write {
		return 0, scimx.ErrReadOnlyTx
	}
	tx.s.mu.Lock()
	defer tx.s.mu.Unlock()
	through := int64(-1)
	for _, seq := range tx.s.cursors[tx.tenant] {
		if through < 0 || seq < through {
			through = seq
		}
	}
	if tx.s.flaw == flawPruneAll {
		through = 1 << 62
	}
	evs := tx.s.events[tx.tenant]
	n := 0
	for n < len(evs)-1 && evs[n].Seq <= through && evs[n].At.Before(before) {
		n++
	}
	tx.s.events[tx.tenant] = slices.Clone(evs[n:])
	return n, nil
}
