package sync

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	gosync "sync"
	"time"
)

// Store keeps the source's side of a push: links with their last-pushed
// snapshots, a status per group, and the last plan. [MemStore] is an
// in-memory one; durable ones live in subpackages.
//
// A Store must be safe for concurrent use: an [Applier] with Concurrency
// above one records several groups at once.
//
// The applier records each request once the target has applied it, so a
// crash can leave a snapshot behind the target, never ahead of it: the next
// sync then re-sends changes that already took effect, which is harmless
// (R14).
type Store interface {
	// Load returns everything the store holds.
	Load(ctx context.Context) (State, error)
	// Link stores l, replacing any link of the same source group. l.Pushed
	// is the snapshot it starts from.
	Link(ctx context.Context, l Link) error
	// Pushed records that the target applied c to the linked group of
	// sourceID: its snapshot takes c's name, if any, and member changes.
	Pushed(ctx context.Context, sourceID string, c Change) error
	// Unlink drops the link of sourceID and its snapshot.
	Unlink(ctx context.Context, sourceID string) error
	// SetStatus stores s, replacing the status of the same source group.
	SetStatus(ctx context.Context, s Status) error
	// SavePlan stores p as the last plan.
	SavePlan(ctx context.Context, p Plan) error
	// Lease takes the store's lease for owner until ttl has passed or
	// release is called, so that two push runs against the same state
	// never interleave. While another owner holds an unexpired lease it
	// returns an error wrapping [ErrLeaseHeld] at once.
	Lease(ctx context.Context, owner string, ttl time.Duration) (release func(context.Context) error, err error)
}

// State is the content of a [Store].
type State struct {
	Links    []Link   // sorted by source id
	Statuses []Status // sorted by source id
	LastPlan *Plan    // nil before the first plan is saved
}

// MemStore is a [Store] in memory, safe for concurrent use. The zero value
// is an empty store.
type MemStore struct {
	mu       gosync.Mutex
	links    map[string]Link
	statuses map[string]Status
	plan     *Plan
	lease    struct {
		owner string
		until time.Time
	}
}

// Load implements [Store].
func (m *MemStore) Load(context.Context) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st State
	for _, l := range m.links {
		if l.Pushed != nil {
			p := *l.Pushed
			l.Pushed = &p
		}
		st.Links = append(st.Links, l)
	}
	for _, s := range m.statuses {
		s.Refused, s.Skipped = slices.Clone(s.Refused), slices.Clone(s.Skipped)
		st.Statuses = append(st.Statuses, s)
	}
	slices.SortFunc(st.Links, func(a, b Link) int { return cmp.Compare(a.SourceID, b.SourceID) })
	slices.SortFunc(st.Statuses, func(a, b Status) int { return cmp.Compare(a.SourceID, b.SourceID) })
	if m.plan != nil {
		p := m.plan.clone()
		st.LastPlan = &p
	}
	return st, nil
}

// Link implements [Store].
func (m *MemStore) Link(_ context.Context, l Link) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.links == nil {
		m.links = map[string]Link{}
	}
	if l.Pushed != nil {
		p := *l.Pushed
		l.Pushed = &p
	}
	m.links[l.SourceID] = l
	return nil
}

// Pushed implements [Store]. It returns an error wrapping [ErrNotLinked]
// when sourceID has no link.
func (m *MemStore) Pushed(_ context.Context, sourceID string, c Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[sourceID]
	if !ok {
		return fmt.Errorf("record pushed change of %s: %w", sourceID, ErrNotLinked)
	}
	var s Snapshot
	if l.Pushed != nil {
		s = *l.Pushed
	}
	s = s.apply(c)
	l.Pushed = &s
	m.links[sourceID] = l
	return nil
}

// Unlink implements [Store].
func (m *MemStore) Unlink(_ context.Context, sourceID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.links, sourceID)
	return nil
}

// SetStatus implements [Store].
func (m *MemStore) SetStatus(_ context.Context, s Status) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.statuses == nil {
		m.statuses = map[string]Status{}
	}
	s.Refused, s.Skipped = slices.Clone(s.Refused), slices.Clone(s.Skipped)
	m.statuses[s.SourceID] = s
	return nil
}

// SavePlan implements [Store].
func (m *MemStore) SavePlan(_ context.Context, p Plan) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p = p.clone()
	m.plan = &p
	return nil
}

// clone returns a copy of p that shares no slice with it.
func (p Plan) clone() Plan {
	p.Groups = slices.Clone(p.Groups)
	for i, g := range p.Groups {
		if g.Base != nil {
			b := *g.Base
			p.Groups[i].Base = &b
		}
		p.Groups[i].Ops = slices.Clone(g.Ops)
		for j, op := range p.Groups[i].Ops {
			p.Groups[i].Ops[j].Members = slices.Clone(op.Members)
		}
	}
	p.Only = slices.Clone(p.Only)
	p.Findings = slices.Clone(p.Findings)
	for i, f := range p.Findings {
		p.Findings[i].TargetIDs = slices.Clone(f.TargetIDs)
		p.Findings[i].TargetNames = slices.Clone(f.TargetNames)
		p.Findings[i].Members = slices.Clone(f.Members)
	}
	return p
}

// Lease implements [Store].
func (m *MemStore) Lease(_ context.Context, owner string, ttl time.Duration) (func(context.Context) error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if l := m.lease; l.owner != "" && l.owner != owner && now.Before(l.until) {
		return nil, &LeaseError{Owner: l.owner, Until: l.until}
	}
	m.lease.owner, m.lease.until = owner, now.Add(ttl)
	return func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.lease.owner == owner {
			m.lease.owner = ""
		}
		return nil
	}, nil
}

// apply returns s with c applied.
func (s Snapshot) apply(c Change) Snapshot {
	if c.Name != "" {
		s.Name = c.Name
	}
	if len(c.Remove) > 0 {
		s.Members = s.Members.Without(c.Remove...)
	}
	if len(c.Add) > 0 {
		s.Members = s.Members.With(c.Add...)
	}
	return s
}
