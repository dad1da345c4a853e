// Package targettest implements support for testing implementations and
// users of [sync.Target], in the manner of testing/fstest: [Target] is an
// in-memory target that behaves like an app built with this library, and
// [TestTarget] checks that any target keeps the contract.
package targettest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	gosync "sync"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

// DefaultType is the group type a [Target] gives new pushed groups unless
// told otherwise.
const DefaultType = "Groups"

// Target is an in-memory [sync.Target] that behaves like an app built with
// this library: it gives pushed groups [origin.Source] and its default type,
// associates a create with the one group of exactly that name (R5), refuses
// to rename or delete app-created groups (R7), and applies every update
// atomically. Its other methods stand in for the app's own UI. The zero
// value is an empty target; it is safe for concurrent use.
type Target struct {
	// DefaultType is the type of new pushed groups; empty means
	// [DefaultType].
	DefaultType string
	// HideMembers makes Get return no members, like AWS IAM Identity
	// Center.
	HideMembers bool
	// Accept, when set, says which member values the target knows; a
	// request with any other is refused with an error wrapping
	// [sync.ErrMemberRefused], and nothing of it applies.
	Accept func(member string) bool
	// Fail, when set, is called before each sync.Target method with the
	// method's name ("List", "Get", "Create", "Update", "Delete") and the
	// group id (the name for Create); an error it returns is returned
	// instead of doing anything. Set it before the target is in use.
	Fail func(method, id string) error

	mu     gosync.Mutex
	groups map[string]group.Group
	next   int
	calls  int
}

var _ sync.Target = (*Target)(nil)

// Put stores g as the app would: a group with an empty ID gets a new one,
// any other replaces the group of that id. It returns the id. Put applies
// no origin rule. Set g.Origin to [origin.Target] for an app-created group:
// a push may not rename or delete a group of any origin but
// [origin.Source].
func (t *Target) Put(g group.Group) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g.ID == "" {
		g.ID = t.newID()
	}
	t.store(g.Clone())
	return g.ID
}

// Group returns the group of that id, with its local attributes.
func (t *Target) Group(id string) (group.Group, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.groups[id]
	return g.Clone(), ok
}

// Groups returns every group, sorted by id.
func (t *Target) Groups() []group.Group {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]group.Group, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, g.Clone())
	}
	slices.SortFunc(out, func(a, b group.Group) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Remove deletes a group as the app would, whatever its origin.
func (t *Target) Remove(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.groups, id)
}

// Calls returns how many sync.Target calls the target has answered.
func (t *Target) Calls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls
}

// List implements [sync.Target].
func (t *Target) List(ctx context.Context) ([]sync.TargetGroup, error) {
	if err := t.begin(ctx, "List", ""); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	out := make([]sync.TargetGroup, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, listed(g))
	}
	slices.SortFunc(out, func(a, b sync.TargetGroup) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Get implements [sync.Target].
func (t *Target) Get(ctx context.Context, id string) (sync.TargetGroup, error) {
	if err := t.begin(ctx, "Get", id); err != nil {
		return sync.TargetGroup{}, err
	}
	defer t.mu.Unlock()
	g, ok := t.groups[id]
	if !ok {
		return sync.TargetGroup{}, notFound(id)
	}
	tg := listed(g)
	if !t.HideMembers {
		tg.Members, tg.MembersRead = g.Members, true
	}
	return tg, nil
}

// Create implements [sync.Target].
func (t *Target) Create(ctx context.Context, c sync.Change) (sync.TargetGroup, error) {
	if err := t.begin(ctx, "Create", c.Name); err != nil {
		return sync.TargetGroup{}, err
	}
	defer t.mu.Unlock()
	if err := t.validate(c); err != nil {
		return sync.TargetGroup{}, err
	}
	var same []group.Group
	for _, g := range t.groups {
		if g.Name == c.Name {
			same = append(same, g)
		}
	}
	switch {
	case len(same) > 1:
		return sync.TargetGroup{}, fmt.Errorf("%d groups are named %q: %w", len(same), c.Name, sync.ErrConflict)
	case len(same) == 1:
		g := same[0]
		if g.ExternalID != "" && c.ExternalID != "" && g.ExternalID != c.ExternalID {
			return sync.TargetGroup{}, fmt.Errorf("group %q is linked to externalId %s: %w", g.Name, g.ExternalID, sync.ErrConflict)
		}
		if c.ExternalID != "" {
			g.ExternalID = c.ExternalID
		}
		g.Members = group.NewMembers(c.Add...)
		t.store(g)
		return listed(g), nil
	}
	typ := cmp.Or(t.DefaultType, DefaultType)
	g := group.Group{ID: t.newID(), ExternalID: c.ExternalID, Name: c.Name,
		Members: group.NewMembers(c.Add...), Origin: origin.Source, Type: typ}
	t.store(g)
	return listed(g), nil
}

// listed returns g as List shows it: without members.
func listed(g group.Group) sync.TargetGroup {
	return sync.TargetGroup{ID: g.ID, ExternalID: g.ExternalID, Name: g.Name, Origin: g.Origin}
}

// Update implements [sync.Target].
func (t *Target) Update(ctx context.Context, id string, c sync.Change) error {
	if err := t.begin(ctx, "Update", id); err != nil {
		return err
	}
	defer t.mu.Unlock()
	g, ok := t.groups[id]
	if !ok {
		return notFound(id)
	}
	if c.Name != "" && c.Name != g.Name {
		if !origin.CanRename(g.Origin, origin.LinkedOnTarget(g.Origin, g.ExternalID)) {
			return fmt.Errorf("rename group %q: %w", g.Name, origin.ErrReadOnly)
		}
		if err := group.ValidateName(c.Name); err != nil {
			return err
		}
		g.Name = c.Name
	}
	if err := t.validateMembers(c.Remove, c.Add); err != nil {
		return err
	}
	if c.ExternalID != "" {
		g.ExternalID = c.ExternalID
	}
	g.Members = g.Members.Without(c.Remove...).With(c.Add...)
	t.store(g)
	return nil
}

// Delete implements [sync.Target].
func (t *Target) Delete(ctx context.Context, id string) error {
	if err := t.begin(ctx, "Delete", id); err != nil {
		return err
	}
	defer t.mu.Unlock()
	g, ok := t.groups[id]
	if !ok {
		return notFound(id)
	}
	if !origin.CanDelete(g.Origin, origin.LinkedOnTarget(g.Origin, g.ExternalID)) {
		return fmt.Errorf("delete group %q: %w", g.Name, origin.ErrReadOnly)
	}
	delete(t.groups, id)
	return nil
}

// begin checks ctx and the Fail hook and, when the call may go on, locks
// t; the caller unlocks it.
func (t *Target) begin(ctx context.Context, method, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.Fail != nil {
		if err := t.Fail(method, id); err != nil {
			return err
		}
	}
	t.mu.Lock()
	t.calls++
	return nil
}

func (t *Target) store(g group.Group) {
	if t.groups == nil {
		t.groups = map[string]group.Group{}
	}
	t.groups[g.ID] = g
}

func (t *Target) newID() string {
	for {
		t.next++
		id := "g" + strconv.Itoa(t.next)
		if _, taken := t.groups[id]; !taken {
			return id
		}
	}
}

func (t *Target) validate(c sync.Change) error {
	if err := group.ValidateName(c.Name); err != nil {
		return err
	}
	return t.validateMembers(c.Remove, c.Add)
}

func (t *Target) validateMembers(lists ...[]string) error {
	for _, l := range lists {
		for _, m := range l {
			if m == "" {
				return fmt.Errorf("%w: empty member id", group.ErrInvalid)
			}
			if t.Accept != nil && !t.Accept(m) {
				return fmt.Errorf("unknown user %q: %w", m, sync.ErrMemberRefused)
			}
		}
	}
	return nil
}

func notFound(id string) error {
	return fmt.Errorf("group %s: %w", id, sync.ErrNotFound)
}
