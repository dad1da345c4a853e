package targettest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

// TestTarget checks that tgt keeps the [sync.Target] contract, the way
// testing/fstest.TestFS checks a file system. members must name at least
// three users that tgt accepts as group members.
//
// It creates, changes and finally deletes groups whose names start with
// "groupsync-check-", so it may run against a target that holds other
// groups, which it leaves alone. It returns nil or an error listing every
// way tgt fails the contract.
func TestTarget(ctx context.Context, tgt sync.Target, members ...string) error {
	if len(members) < 3 {
		return errors.New("targettest: TestTarget needs at least three member ids")
	}
	c := &checker{ctx: ctx, tgt: tgt, prefix: "groupsync-check-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"}
	c.run(members[0], members[1], members[2])
	c.cleanup()
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("targettest: %w", errors.Join(c.errs...))
}

type checker struct {
	ctx     context.Context
	tgt     sync.Target
	prefix  string
	created []string
	errs    []error
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

func (c *checker) run(m1, m2, m3 string) {
	name, ext := c.prefix+"a", c.prefix+"ext-a"
	g, err := c.tgt.Create(c.ctx, sync.Change{ExternalID: ext, Name: name, Add: []string{m1, m2}})
	if err != nil {
		c.errorf("Create %q: %v", name, err)
		return
	}
	id := g.ID
	c.created = append(c.created, id)
	if g.Name != name || g.ExternalID != ext || g.Origin != origin.Source {
		c.errorf("Create %q returned name %q externalId %q origin %v, want the new group with origin source", name, g.Name, g.ExternalID, g.Origin)
	}
	c.expect("after Create", id, ext, name, m1, m2)

	// A retried create of the same group is done already (R14): the target
	// answers with the same group, or refuses with a conflict, which the
	// applier resolves by name.
	if again, err := c.tgt.Create(c.ctx, sync.Change{ExternalID: ext, Name: name, Add: []string{m1, m2}}); err != nil {
		if !errors.Is(err, sync.ErrConflict) {
			c.errorf("Create %q again with the same externalId: %v, want the same group or ErrConflict", name, err)
		}
	} else if again.ID != id {
		c.created = append(c.created, again.ID)
		c.errorf("Create %q again with the same externalId: id %s, want %s (no duplicate)", name, again.ID, id)
	}

	if err := c.tgt.Update(c.ctx, id, sync.Change{Remove: []string{m1}, Add: []string{m3}}); err != nil {
		c.errorf("Update %s remove %s add %s: %v", id, m1, m3, err)
	}
	c.expect("after Update", id, ext, name, m2, m3)

	// Adding a present member and removing an absent one succeed (R14).
	if err := c.tgt.Update(c.ctx, id, sync.Change{Remove: []string{m1}, Add: []string{m3}}); err != nil {
		c.errorf("repeated Update %s: %v, want success", id, err)
	}
	c.expect("after repeated Update", id, ext, name, m2, m3)

	// An update applies whole or not at all: a member the target refuses
	// undoes the rename beside it.
	unknown := c.prefix + "unknown-user"
	if err := c.tgt.Update(c.ctx, id, sync.Change{Name: c.prefix + "x", Add: []string{unknown}}); err == nil {
		// The target takes any member value; take it out again.
		if err := c.tgt.Update(c.ctx, id, sync.Change{Name: name, Remove: []string{unknown}}); err != nil {
			c.errorf("Update %s: %v", id, err)
		}
	} else if !errors.Is(err, sync.ErrMemberRefused) {
		c.errorf("Update %s adding unknown member %q: %v, want success or an error wrapping ErrMemberRefused", id, unknown, err)
	}
	c.expect("after an update with an unknown member", id, ext, name, m2, m3)

	renamed := c.prefix + "b"
	if err := c.tgt.Update(c.ctx, id, sync.Change{Name: renamed}); err != nil {
		c.errorf("Update %s rename to %q: %v", id, renamed, err)
	}
	c.expect("after rename", id, ext, renamed, m2, m3)

	// A create under a name that a group linked elsewhere holds is refused.
	if other, err := c.tgt.Create(c.ctx, sync.Change{ExternalID: c.prefix + "ext-other", Name: renamed}); !errors.Is(err, sync.ErrConflict) {
		if err == nil {
			c.created = append(c.created, other.ID)
		}
		c.errorf("Create %q, held by a group linked elsewhere: %v, want an error wrapping ErrConflict", renamed, err)
	}
	c.expect("after refused Create", id, ext, renamed, m2, m3)

	if err := c.tgt.Delete(c.ctx, id); err != nil {
		c.errorf("Delete %s: %v", id, err)
	} else {
		c.created = slices.DeleteFunc(c.created, func(s string) bool { return s == id })
	}
	if _, err := c.tgt.Get(c.ctx, id); !errors.Is(err, sync.ErrNotFound) {
		c.errorf("Get %s after Delete: %v, want an error wrapping ErrNotFound", id, err)
	}
	if err := c.tgt.Update(c.ctx, id, sync.Change{Add: []string{m1}}); !errors.Is(err, sync.ErrNotFound) {
		c.errorf("Update %s after Delete: %v, want an error wrapping ErrNotFound", id, err)
	}
	if err := c.tgt.Delete(c.ctx, id); !errors.Is(err, sync.ErrNotFound) {
		c.errorf("Delete %s twice: %v, want an error wrapping ErrNotFound", id, err)
	}
	if c.listed(id) != nil {
		c.errorf("List after Delete still has %s", id)
	}
}

// expect checks that List and Get show the group as described.
func (c *checker) expect(when, id, ext, name string, members ...string) {
	l := c.listed(id)
	switch {
	case l == nil:
		c.errorf("%s: List has no group %s", when, id)
	case l.Name != name || l.ExternalID != ext:
		c.errorf("%s: List has group %s as name %q externalId %q, want %q and %q", when, id, l.Name, l.ExternalID, name, ext)
	}
	g, err := c.tgt.Get(c.ctx, id)
	if err != nil {
		c.errorf("%s: Get %s: %v", when, id, err)
		return
	}
	if g.ID != id || g.Name != name || g.ExternalID != ext {
		c.errorf("%s: Get %s = id %s name %q externalId %q, want name %q externalId %q", when, id, g.ID, g.Name, g.ExternalID, name, ext)
	}
	if g.MembersRead {
		if got := g.Members.Slice(); !slices.Equal(got, sortedCopy(members)) {
			c.errorf("%s: Get %s members = %q, want %q", when, id, got, sortedCopy(members))
		}
	}
}

func (c *checker) listed(id string) *sync.TargetGroup {
	all, err := c.tgt.List(c.ctx)
	if err != nil {
		c.errorf("List: %v", err)
		return nil
	}
	for i := range all {
		if all[i].ID == id {
			if all[i].MembersRead {
				c.errorf("List returned members of %s; it must not read them", id)
			}
			return &all[i]
		}
	}
	return nil
}

func (c *checker) cleanup() {
	for _, id := range c.created {
		if err := c.tgt.Delete(c.ctx, id); err != nil && !errors.Is(err, sync.ErrNotFound) {
			c.errorf("cleanup: Delete %s: %v", id, err)
		}
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
