package scimx

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/groupsync/groupsync/group"
)

// MemStore is a [Store] in memory, safe for concurrent use. Transactions of
// one tenant run one writer or many readers at a time; tenants never wait
// for each other. A member change costs its own size, whatever the size of
// the group. The zero value is an empty store that stamps times with
// [time.Now].
type MemStore struct {
	// Now stamps created and modified times; nil means time.Now.
	Now func() time.Time
	// NewID, when set, returns the id of each new group instead of a
	// random UUID, for reproducible examples and tests. It is called with
	// the tenant's lock held and must not return an id in use.
	NewID func() string

	mu      sync.Mutex
	tenants map[string]*memTenant
}

type memTenant struct {
	mu         sync.RWMutex
	groups     map[string]*memGroup
	byName     map[string]map[string]struct{}
	byExternal map[string]map[string]struct{}
	byMember   map[string]map[string]struct{} // member → group ids
	events     []FeedEvent                    // the feed, by Seq, from events[0].Seq
	seq        int64                          // the newest event's Seq
	cursors    map[string]int64
}

type memGroup struct {
	rec     Record // Members unused: members holds them
	members map[string]struct{}
	// sorted holds the members sorted, for MemberPage, once a page was
	// asked for; nil once they change. Readers under the tenant's read
	// lock may set it at once, hence the atomic.
	sorted atomic.Pointer[[]string]
}

// View implements [Store].
func (s *MemStore) View(ctx context.Context, tenant string, f func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := s.tenant(tenant)
	t.mu.RLock()
	defer t.mu.RUnlock()
	return f(&memTx{t: t, tenant: tenant, now: s.now, newID: s.NewID})
}

// Update implements [Store].
func (s *MemStore) Update(ctx context.Context, tenant string, f func(Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := s.tenant(tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	tx := &memTx{t: t, tenant: tenant, now: s.now, newID: s.NewID, write: true}
	defer func() {
		if p := recover(); p != nil {
			tx.rollback()
			panic(p)
		}
		if err != nil {
			tx.rollback()
		}
	}()
	return f(tx)
}

func (s *MemStore) tenant(name string) *memTenant {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants == nil {
		s.tenants = map[string]*memTenant{}
	}
	t, ok := s.tenants[name]
	if !ok {
		t = &memTenant{groups: map[string]*memGroup{}, byName: map[string]map[string]struct{}{},
			byExternal: map[string]map[string]struct{}{}, byMember: map[string]map[string]struct{}{},
			cursors: map[string]int64{}}
		s.tenants[name] = t
	}
	return t
}

func (s *MemStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// memTx is a transaction on one tenant. A writing one keeps an undo log, so
// that a failed transaction costs the size of its own changes to undo.
type memTx struct {
	t      *memTenant
	tenant string
	now    func() time.Time
	newID  func() string
	write  bool
	undo   []func()
}

func (tx *memTx) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
	tx.undo = nil
}

func (tx *memTx) get(id string) (*memGroup, error) {
	g, ok := tx.t.groups[id]
	if !ok {
		return nil, fmt.Errorf("group %s: %w", id, ErrNotFound)
	}
	return g, nil
}

func (tx *memTx) Group(id string, members bool) (Record, error) {
	g, err := tx.get(id)
	if err != nil {
		return Record{}, err
	}
	rec := g.rec
	rec.Attributes = maps.Clone(rec.Attributes)
	if members {
		rec.Members = group.NewMembers(slices.Collect(maps.Keys(g.members))...)
	}
	return rec, nil
}

func (tx *memTx) Lookup(attr Attr, value string) ([]Record, error) {
	var idx map[string]map[string]struct{}
	switch attr {
	case DisplayName:
		idx = tx.t.byName
	case ExternalID:
		idx = tx.t.byExternal
	default:
		return nil, fmt.Errorf("scimx: lookup by unknown attribute %d", attr)
	}
	ids := slices.Sorted(maps.Keys(idx[value]))
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		rec, _ := tx.Group(id, false)
		out = append(out, rec)
	}
	return out, nil
}

func (tx *memTx) Groups() ([]Record, error) {
	out := make([]Record, 0, len(tx.t.groups))
	for _, g := range tx.t.groups {
		rec := g.rec
		rec.Attributes = maps.Clone(rec.Attributes)
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (tx *memTx) HasMember(id, member string) (bool, error) {
	g, err := tx.get(id)
	if err != nil {
		return false, err
	}
	_, ok := g.members[member]
	return ok, nil
}

func (tx *memTx) GroupIDs(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if _, ok := tx.t.groups[id]; ok {
			out = append(out, id)
		}
	}
	return out, nil
}

func (tx *memTx) Create(g group.Group) (Record, error) {
	if !tx.write {
		return Record{}, ErrReadOnlyTx
	}
	now := tx.now()
	mg := &memGroup{
		rec:     Record{Group: g, Version: 1, Created: now, Modified: now},
		members: make(map[string]struct{}, g.Members.Len()),
	}
	mg.rec.ID = tx.id()
	mg.rec.Members = group.Members{}
	mg.rec.Attributes = maps.Clone(g.Attributes)
	for m := range g.Members.All() {
		mg.members[m] = struct{}{}
		tx.index(mg.rec.ID, "", m, tx.t.byMember)
	}
	tx.t.groups[mg.rec.ID] = mg
	tx.index(mg.rec.ID, "", mg.rec.Name, tx.t.byName)
	tx.index(mg.rec.ID, "", mg.rec.ExternalID, tx.t.byExternal)
	tx.undo = append(tx.undo, func() {
		tx.index(mg.rec.ID, mg.rec.Name, "", tx.t.byName)
		tx.index(mg.rec.ID, mg.rec.ExternalID, "", tx.t.byExternal)
		for m := range mg.members {
			tx.index(mg.rec.ID, m, "", tx.t.byMember)
		}
		delete(tx.t.groups, mg.rec.ID)
	})
	return tx.Group(mg.rec.ID, true)
}

func (tx *memTx) Change(id string, c Change) (Record, error) {
	if !tx.write {
		return Record{}, ErrReadOnlyTx
	}
	g, err := tx.get(id)
	if err != nil {
		return Record{}, err
	}
	old := g.rec
	tx.undo = append(tx.undo, func() {
		tx.index(id, g.rec.Name, old.Name, tx.t.byName)
		tx.index(id, g.rec.ExternalID, old.ExternalID, tx.t.byExternal)
		g.rec = old
	})
	if c.Name != nil {
		tx.index(id, g.rec.Name, *c.Name, tx.t.byName)
		g.rec.Name = *c.Name
	}
	if c.ExternalID != nil {
		tx.index(id, g.rec.ExternalID, *c.ExternalID, tx.t.byExternal)
		g.rec.ExternalID = *c.ExternalID
	}
	if c.Type != nil {
		g.rec.Type = *c.Type
	}
	if c.Attributes != nil {
		g.rec.Attributes = maps.Clone(c.Attributes)
	}
	if c.ClearMembers || len(c.Remove) > 0 || len(c.Add) > 0 {
		sorted := g.sorted.Swap(nil)
		tx.undo = append(tx.undo, func() { g.sorted.Store(sorted) })
	}
	if c.ClearMembers {
		cleared := g.members
		for m := range cleared {
			tx.index(id, m, "", tx.t.byMember)
		}
		g.members = map[string]struct{}{}
		tx.undo = append(tx.undo, func() {
			for m := range g.members {
				tx.index(id, m, "", tx.t.byMember)
			}
			g.members = cleared
			for m := range cleared {
				tx.index(id, "", m, tx.t.byMember)
			}
		})
	}
	for _, m := range c.Remove {
		if _, ok := g.members[m]; ok {
			delete(g.members, m)
			tx.index(id, m, "", tx.t.byMember)
			tx.undo = append(tx.undo, func() { g.members[m] = struct{}{}; tx.index(id, "", m, tx.t.byMember) })
		}
	}
	for _, m := range c.Add {
		if _, ok := g.members[m]; !ok {
			g.members[m] = struct{}{}
			tx.index(id, "", m, tx.t.byMember)
			tx.undo = append(tx.undo, func() { delete(g.members, m); tx.index(id, m, "", tx.t.byMember) })
		}
	}
	g.rec.Version++
	g.rec.Modified = tx.now()
	rec := g.rec
	rec.Attributes = maps.Clone(rec.Attributes)
	return rec, nil
}

func (tx *memTx) Delete(id string) error {
	if !tx.write {
		return ErrReadOnlyTx
	}
	g, err := tx.get(id)
	if err != nil {
		return err
	}
	delete(tx.t.groups, id)
	tx.index(id, g.rec.Name, "", tx.t.byName)
	tx.index(id, g.rec.ExternalID, "", tx.t.byExternal)
	for m := range g.members {
		tx.index(id, m, "", tx.t.byMember)
	}
	tx.undo = append(tx.undo, func() {
		tx.t.groups[id] = g
		tx.index(id, "", g.rec.Name, tx.t.byName)
		tx.index(id, "", g.rec.ExternalID, tx.t.byExternal)
		for m := range g.members {
			tx.index(id, "", m, tx.t.byMember)
		}
	})
	return nil
}

func (tx *memTx) GroupsOf(member string) ([]string, error) {
	return slices.Sorted(maps.Keys(tx.t.byMember[member])), nil
}

// MemberPage sorts the group's members once after they change, then
// serves every page from that order.
func (tx *memTx) MemberPage(id, after string, limit int) ([]string, error) {
	g, err := tx.get(id)
	if err != nil || limit < 1 {
		return nil, err
	}
	p := g.sorted.Load()
	if p == nil {
		s := slices.Sorted(maps.Keys(g.members))
		p = &s
		g.sorted.Store(p)
	}
	sorted := *p
	i, found := slices.BinarySearch(sorted, after)
	if found {
		i++
	}
	return slices.Clone(sorted[i:min(len(sorted), i+limit)]), nil
}

func (tx *memTx) Append(e FeedEvent) (FeedEvent, error) {
	if !tx.write {
		return FeedEvent{}, ErrReadOnlyTx
	}
	tx.t.seq++
	e.Seq = tx.t.seq
	if e.ID == "" {
		e.ID = uuid()
	}
	e.At, e.Tenant = tx.now(), tx.tenant
	e.Added, e.Removed = cloneOrEmpty(e.Added), cloneOrEmpty(e.Removed)
	tx.t.events = append(tx.t.events, e)
	tx.undo = append(tx.undo, func() {
		tx.t.events = tx.t.events[:len(tx.t.events)-1]
		tx.t.seq--
	})
	return e, nil
}

func (tx *memTx) Events(after int64, limit int) ([]FeedEvent, error) {
	evs := tx.t.events
	if limit < 1 || len(evs) == 0 {
		return nil, nil
	}
	i := max(0, min(int64(len(evs)), after+1-evs[0].Seq))
	out := slices.Clone(evs[i:min(int64(len(evs)), i+int64(limit))])
	for k := range out {
		out[k].Added, out[k].Removed = slices.Clone(out[k].Added), slices.Clone(out[k].Removed)
	}
	return out, nil
}

func (tx *memTx) Cursor(name string) (int64, error) { return tx.t.cursors[name], nil }

func (tx *memTx) SetCursor(name string, seq int64) error {
	if !tx.write {
		return ErrReadOnlyTx
	}
	old, had := tx.t.cursors[name]
	tx.t.cursors[name] = seq
	tx.undo = append(tx.undo, func() {
		if had {
			tx.t.cursors[name] = old
		} else {
			delete(tx.t.cursors, name)
		}
	})
	return nil
}

func (tx *memTx) PruneEvents(before time.Time) (int, error) {
	if !tx.write {
		return 0, ErrReadOnlyTx
	}
	if len(tx.t.cursors) == 0 {
		return 0, nil
	}
	through := slices.Min(slices.Collect(maps.Values(tx.t.cursors)))
	evs := tx.t.events
	n := 0
	for n < len(evs)-1 && evs[n].Seq <= through && evs[n].At.Before(before) {
		n++
	}
	if n == 0 {
		return 0, nil
	}
	tx.t.events = slices.Clone(evs[n:])
	tx.undo = append(tx.undo, func() { tx.t.events = evs })
	return n, nil
}

// cloneOrEmpty returns a copy of s, empty rather than nil.
func cloneOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// index moves id from key from to key to of idx; empty keys are not indexed.
func (tx *memTx) index(id, from, to string, idx map[string]map[string]struct{}) {
	if from == to {
		return
	}
	if from != "" {
		delete(idx[from], id)
		if len(idx[from]) == 0 {
			delete(idx, from)
		}
	}
	if to != "" {
		if idx[to] == nil {
			idx[to] = map[string]struct{}{}
		}
		idx[to][id] = struct{}{}
	}
}

// id returns the id of a new group: NewID's, or a random UUID (version 4)
// not in use.
func (tx *memTx) id() string {
	if tx.newID != nil {
		return tx.newID()
	}
	for {
		if id := uuid(); tx.t.groups[id] == nil {
			return id
		}
	}
}

// uuid returns a random UUID (version 4).
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
