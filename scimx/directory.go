package scimx

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// Directory is the app's own door to its groups in a [Store]: what it
// queries (the groups of a user, a group's members in pages, the change
// feed), all from indexes, and its own writes (create an app group, move a
// group to another type, rename it, edit its members, delete it). Each
// write is one transaction that keeps the rules SCIM requests keep where
// they apply to the app (valid names and values, no name two groups hold)
// and appends its event to the tenant's change feed, actor [ByApp] (R17).
// The origin rules of R7 bind the source, not the app: the app may rename
// and delete any group.
//
// Writes made through [Store.Update] directly write no event; an app that
// reads the feed makes its writes here.
type Directory struct {
	// Store holds the groups.
	Store Store
	// AllowDuplicateNames lets Create and Edit give a group a name that
	// another group of the tenant holds. By default they refuse it with
	// [ErrConflict], as a SCIM rename is refused, so that a push's
	// exact-name association (R5) never finds two groups.
	AllowDuplicateNames bool
	// UnknownMembers, when set, says which member values a tenant knows,
	// as [ServerOptions.Members] does for SCIM requests: it returns those
	// of ids that are not users of the tenant. Create and Edit refuse to add
	// any of them with an [*UnknownMembersError] naming them, and change
	// nothing; values that are ids of the tenant's groups are accepted
	// without asking, and removals are never checked. Nil accepts any
	// value.
	UnknownMembers func(ctx context.Context, tenant string, ids []string) (unknown []string, err error)
	// OnChange, when set, is called after each committed write, as
	// [ServerOptions.OnChange] is: best effort.
	OnChange func(ctx context.Context, e Event)
	// Logger receives a recovered panic of OnChange; nil discards it.
	Logger *slog.Logger
}

// Edit is what [Directory.Edit] changes in a group; nil fields, and empty
// Add and Remove, leave it as it is.
type Edit struct {
	// Name renames the group; an empty name is refused.
	Name *string
	// Type moves the group to another app-local type; an empty type is
	// refused, as a group always has one ([DefaultType] unless the app
	// says otherwise).
	Type *string
	// Members, when non-nil, replaces the member set; Add and Remove must
	// then be empty.
	Members *[]string
	// Remove and Add hold member values that leave and join, removals
	// first: a value in both ends up a member.
	Remove, Add []string
}

// Create stores g as an app group (origin target, R7) under a new id, of
// type g.Type or [DefaultType] when it is empty, appends a Created event,
// and returns the group with its members. g.ID and g.Origin are ignored.
//
// It returns an error wrapping [group.ErrInvalid] for an invalid name,
// [ErrInvalidValue] for an empty, overlong or control-character member
// value, type or externalId, [ErrConflict] for a name another group holds
// (unless AllowDuplicateNames), [ErrUnknownMembers] for members that
// UnknownMembers refuses, or the error of UnknownMembers or of the store.
func (d *Directory) Create(ctx context.Context, tenant string, g group.Group) (Record, error) {
	g.ID, g.Origin = "", origin.Target
	if g.Type == "" {
		g.Type = DefaultType
	}
	if err := appName(g.Name); err != nil {
		return Record{}, err
	}
	if err := appValues(g.ExternalID, g.Type); err != nil {
		return Record{}, err
	}
	if err := memberValues(g.Members.Slice()); err != nil {
		return Record{}, err
	}
	var rec Record
	_, err := d.write(ctx, tenant, func(tx Tx) (commit, error) {
		if err := d.nameFree(tx, "", g.Name); err != nil {
			return commit{}, err
		}
		if err := d.resolve(ctx, tenant, tx, g.Members.Slice()); err != nil {
			return commit{}, err
		}
		var err error
		if rec, err = tx.Create(g); err != nil {
			return commit{}, err
		}
		return commit{Event: Event{Group: rec.Group, Created: true, Added: rec.Members.Slice()},
			version: rec.Version, changed: true, kind: Created}, nil
	})
	if err != nil {
		return Record{}, err
	}
	return rec, nil
}

// Edit applies u to the group of that id in one transaction and appends
// one event, unless u changes nothing. It returns the group after the
// change, without members.
//
// Its event's kind is the first that applies of renamed, externalId
// changed, type changed and members changed (R17): Added and Removed list
// the member changes whatever the kind.
//
// It returns an error wrapping [ErrNotFound] for an unknown id,
// [ErrInvalidValue] for an empty Type or for Members beside Add or Remove,
// and those of [Directory.Create] for what u sets (UnknownMembers is asked
// about the values that join).
func (d *Directory) Edit(ctx context.Context, tenant, id string, u Edit) (Record, error) {
	if u.Name != nil {
		if err := appName(*u.Name); err != nil {
			return Record{}, err
		}
	}
	if u.Type != nil {
		if *u.Type == "" {
			return Record{}, fmt.Errorf("%w: an empty type; every group has one (%s unless the app gives another)", ErrInvalidValue, DefaultType)
		}
		if err := appValues(*u.Type); err != nil {
			return Record{}, err
		}
	}
	if u.Members != nil && (len(u.Add) > 0 || len(u.Remove) > 0) {
		return Record{}, fmt.Errorf("%w: an edit replaces the members or adds and removes some, not both", ErrInvalidValue)
	}
	if u.Members != nil {
		if err := memberValues(*u.Members); err != nil {
			return Record{}, err
		}
	}
	if err := memberValues(u.Add); err != nil {
		return Record{}, err
	}
	if err := memberValues(u.Remove); err != nil {
		return Record{}, err
	}
	var rec Record
	_, err := d.write(ctx, tenant, func(tx Tx) (commit, error) {
		cur, err := tx.Group(id, false)
		if err != nil {
			return commit{}, err
		}
		rec = cur
		c := Change{}
		if u.Name != nil && *u.Name != cur.Name {
			if err := d.nameFree(tx, id, *u.Name); err != nil {
				return commit{}, err
			}
			c.Name = u.Name
		}
		if u.Type != nil && *u.Type != cur.Type {
			c.Type = u.Type
		}
		if u.Members != nil {
			if c.Remove, c.Add, err = replaceMembers(tx, id, *u.Members); err != nil {
				return commit{}, err
			}
		} else if c.Remove, c.Add, err = exactDeltas(tx, id, u.Remove, u.Add); err != nil {
			return commit{}, err
		}
		if c.Name == nil && c.Type == nil && len(c.Remove) == 0 && len(c.Add) == 0 {
			return commit{}, nil // nothing to do
		}
		if err := d.resolve(ctx, tenant, tx, c.Add); err != nil {
			return commit{}, err
		}
		after, err := tx.Change(id, c)
		if err != nil {
			return commit{}, err
		}
		rec = after
		e := commit{Event: Event{Group: after.Group, Added: c.Add, Removed: c.Remove}, version: after.Version, changed: true}
		e.kind, e.OldName = changeKind(cur, c)
		return e, nil
	})
	if err != nil {
		return Record{}, err
	}
	rec.Members = group.Members{}
	return rec, nil
}

// Delete deletes the group of that id, whatever its origin, and appends a
// Deleted event whose Removed holds its members.
//
// It returns an error wrapping [ErrNotFound] for an unknown id, or a
// store's error.
func (d *Directory) Delete(ctx context.Context, tenant, id string) error {
	_, err := d.write(ctx, tenant, func(tx Tx) (commit, error) {
		full, err := tx.Group(id, true)
		if err != nil {
			return commit{}, err
		}
		if err := tx.Delete(id); err != nil {
			return commit{}, err
		}
		g := full.Group
		g.Members = group.Members{}
		return commit{Event: Event{Group: g, Deleted: true, Removed: full.Members.Slice()},
			version: full.Version, changed: true, kind: Deleted}, nil
	})
	return err
}

// Group returns the group of that id, with its members when members is
// true. It returns an error wrapping [ErrNotFound] for an unknown id.
func (d *Directory) Group(ctx context.Context, tenant, id string, members bool) (rec Record, err error) {
	err = d.Store.View(ctx, tenant, func(tx Tx) error {
		rec, err = tx.Group(id, members)
		return err
	})
	return rec, err
}

// Groups returns every group of the tenant, sorted by id, without members.
// It returns a store's error.
func (d *Directory) Groups(ctx context.Context, tenant string) (recs []Record, err error) {
	err = d.Store.View(ctx, tenant, func(tx Tx) error {
		recs, err = tx.Groups()
		return err
	})
	return recs, err
}

// GroupsOf returns the groups member belongs to, sorted by id, without
// members: the groups that give a user access. It reads an index, so its
// cost grows with the answer, not with the tenant. It returns a store's
// error.
func (d *Directory) GroupsOf(ctx context.Context, tenant, member string) ([]Record, error) {
	var out []Record
	err := d.Store.View(ctx, tenant, func(tx Tx) error {
		ids, err := tx.GroupsOf(member)
		if err != nil {
			return err
		}
		out = make([]Record, 0, len(ids))
		for _, id := range ids {
			rec, err := tx.Group(id, false)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// Members returns a page of at most limit (1 to 10,000) member values of
// the group of that id that sort after after (byte for byte; "" starts at
// the first), and the after of the next page, "" after the last. A page
// costs its own size, not the group's. It returns an error wrapping
// [ErrNotFound] for an unknown id and [ErrInvalidValue] for a limit out of
// range.
func (d *Directory) Members(ctx context.Context, tenant, id, after string, limit int) (page []string, next string, err error) {
	if limit < 1 || limit > maxPage {
		return nil, "", fmt.Errorf("%w: limit %d is not between 1 and %d", ErrInvalidValue, limit, maxPage)
	}
	err = d.Store.View(ctx, tenant, func(tx Tx) error {
		page, err = tx.MemberPage(id, after, limit+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if len(page) > limit {
		page = page[:limit]
		next = page[limit-1]
	}
	return page, next, nil
}

// Events returns at most limit (1 to 10,000) events of the tenant's change
// feed after seq after, in order (R17). It never skips an event silently:
// when a retention ([Consumer.Retention], [Tx.PruneEvents]) has deleted
// the events that follow after (after is less than the oldest kept
// event's Seq minus one), it returns no events and an error wrapping
// [ErrPruned] that names the oldest kept Seq; a reader that gets it has
// missed changes, and reconciles from the groups' current state
// ([Directory.Groups]) before it reads on from the oldest kept event's
// Seq minus one. A feed that never had an event, or an after at or past
// the newest event, is not pruned: it gives no events and no error.
// (A store keeps its newest event when it prunes, so that the check costs
// nothing beyond the read.)
//
// It returns an error wrapping [ErrInvalidValue] for a limit out of range
// or a negative after, [ErrPruned], or a store's error.
func (d *Directory) Events(ctx context.Context, tenant string, after int64, limit int) (evs []FeedEvent, err error) {
	if limit < 1 || limit > maxPage || after < 0 {
		return nil, fmt.Errorf("%w: after %d and limit %d: want after ≥ 0 and a limit between 1 and %d", ErrInvalidValue, after, limit, maxPage)
	}
	err = d.Store.View(ctx, tenant, func(tx Tx) error {
		evs, err = tx.Events(after, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := gap(after, evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// gap returns an error wrapping ErrPruned when evs, the events read after
// after, do not start right after it: the sequence has no gaps (R17), so
// the missing ones were pruned.
func gap(after int64, evs []FeedEvent) error {
	if len(evs) == 0 || evs[0].Seq <= after+1 {
		return nil
	}
	first := evs[0].Seq
	if first == after+2 {
		return fmt.Errorf("%w: event %d is no longer kept; the oldest kept is %d", ErrPruned, after+1, first)
	}
	return fmt.Errorf("%w: events %d to %d are no longer kept; the oldest kept is %d", ErrPruned, after+1, first-1, first)
}

// maxPage bounds a page of [Directory.Members] and [Directory.Events].
const maxPage = 10000

// write runs f in a transaction of tenant, appends its event, and tells
// OnChange once it has committed.
func (d *Directory) write(ctx context.Context, tenant string, f func(Tx) (commit, error)) (commit, error) {
	var e commit
	err := d.Store.Update(ctx, tenant, func(tx Tx) (err error) {
		if e, err = f(tx); err != nil {
			return err
		}
		return appendEvent(tx, e, ByApp)
	})
	if err != nil {
		return commit{}, err
	}
	if e.changed {
		e.Tenant = tenant
		notify(ctx, d.Logger, d.OnChange, e.Event)
	}
	return e, nil
}

// resolve refuses, when d.UnknownMembers is set, the values of ids that
// are neither groups of the tenant nor values it knows.
func (d *Directory) resolve(ctx context.Context, tenant string, tx Tx, ids []string) error {
	return resolveMembers(ctx, tx, tenant, d.UnknownMembers, ids)
}

// nameFree refuses name when a group other than id holds it.
func (d *Directory) nameFree(tx Tx, id, name string) error {
	if d.AllowDuplicateNames {
		return nil
	}
	same, err := tx.Lookup(DisplayName, name)
	if err != nil {
		return err
	}
	for _, g := range same {
		if g.ID != id {
			return fmt.Errorf("group %s is named %q already: %w", g.ID, name, ErrConflict)
		}
	}
	return nil
}

// exactDeltas returns, of remove and add, the values that leave and join
// the group of id: a removal of a member that add does not list, an
// addition of a non-member.
func exactDeltas(tx Tx, id string, remove, add []string) (removed, added []string, err error) {
	adding := map[string]bool{}
	for _, m := range add {
		adding[m] = true
	}
	for _, m := range dedupe(remove) {
		if adding[m] {
			continue
		}
		in, err := tx.HasMember(id, m)
		if err != nil {
			return nil, nil, err
		}
		if in {
			removed = append(removed, m)
		}
	}
	for _, m := range dedupe(add) {
		in, err := tx.HasMember(id, m)
		if err != nil {
			return nil, nil, err
		}
		if !in {
			added = append(added, m)
		}
	}
	return removed, added, nil
}

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// appName checks a name the app gives a group.
func appName(name string) error {
	if err := group.ValidateName(name); err != nil {
		return err
	}
	if len(name) > maxValue {
		return fmt.Errorf("%w: the name is longer than %d bytes", group.ErrInvalid, maxValue)
	}
	return nil
}

// appValues checks values the app sets: at most maxValue bytes of valid
// UTF-8 without control characters.
func appValues(vs ...string) error {
	for _, v := range vs {
		if len(v) > maxValue || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return fmt.Errorf("%w: %s is longer than %d bytes or holds a control character or invalid UTF-8", ErrInvalidValue, shortQuote(v), maxValue)
		}
	}
	return nil
}

// memberValues checks member values the app sets: none empty.
func memberValues(vs []string) error {
	for _, v := range vs {
		if v == "" {
			return fmt.Errorf("%w: an empty member value", ErrInvalidValue)
		}
	}
	return appValues(vs...)
}
