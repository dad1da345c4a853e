package scimx

import (
	"slices"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/groupsync/groupsync/group"
)

// patcher applies PATCH operations, in order, to a working copy of one group
// and turns the result into one [Change]: the request applies whole or not
// at all. It keeps member changes as deltas and tests membership one value
// at a time, so a PATCH of a few members costs the same on a group of any
// size; only removing all members or removing by a filter other than an
// equality on value reads every member.
type patcher struct {
	tx   Tx
	rec  Record
	name string
	ext  *string
	// Member changes against the stored members: after a clear, the stored
	// members are gone and added holds all there is.
	cleared        bool
	added, removed map[string]bool
	base           memberCache // the stored members
}

func (p *patcher) init() {
	if p.added == nil {
		p.name = p.rec.Name
		p.added, p.removed = map[string]bool{}, map[string]bool{}
	}
}

// apply applies one operation. Anything but externalId, displayName and
// members is refused with 400 (R2), the local attributes included.
func (p *patcher) apply(op scim.PatchOperation) error {
	p.init()
	if op.Path == nil {
		return p.applyValue(op.Op, op.Value)
	}
	ap := op.Path.AttributePath
	if ap.URIPrefix != nil && !strings.EqualFold(*ap.URIPrefix, GroupSchema) || ap.SubAttribute != nil {
		return localAttribute(op.Path.String())
	}
	name := strings.ToLower(ap.AttributeName)
	if name != "members" && (op.Path.ValueExpression != nil || op.Path.SubAttribute != nil) {
		return badRequest(scimerrors.ScimTypeInvalidPath, "path %q: only members takes a filter", op.Path.String())
	}
	switch name {
	case "displayname":
		if op.Op == scim.PatchOperationRemove {
			return badRequest(scimerrors.ScimTypeMutability, "displayName is required and cannot be removed")
		}
		return p.setName(op.Value)
	case "externalid":
		if op.Op == scim.PatchOperationRemove {
			empty := ""
			p.ext = &empty
			return nil
		}
		return p.setExternalID(op.Value)
	case "members":
		if op.Path.SubAttribute != nil {
			return badRequest(scimerrors.ScimTypeMutability, "path %q: member sub-attributes are immutable", op.Path.String())
		}
		if f := op.Path.ValueExpression; f != nil {
			if op.Op != scim.PatchOperationRemove {
				return badRequest(scimerrors.ScimTypeInvalidPath, "path %q: a members filter takes only remove", op.Path.String())
			}
			return p.removeWhere(f)
		}
		return p.members(op.Op, op.Value)
	}
	return localAttribute(op.Path.String())
}

// applyValue applies a path-less add or replace: its value holds attributes
// by name, in any case (Okta's rename sends id too; the server drops it).
func (p *patcher) applyValue(op string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return badRequest(scimerrors.ScimTypeInvalidValue, "an operation without a path needs an object value")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a deterministic order; attributes do not interact
	for _, k := range keys {
		attr := strings.ToLower(k)
		if rest, ok := strings.CutPrefix(attr, strings.ToLower(GroupSchema)+":"); ok {
			attr = rest
		}
		var err error
		switch attr {
		case "displayname":
			err = p.setName(m[k])
		case "externalid":
			err = p.setExternalID(m[k])
		case "members":
			err = p.members(op, m[k])
		case "id", "schemas", "meta":
			// Not attributes a client sets; ignored as the server ignores them.
		default:
			err = localAttribute(k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func localAttribute(path string) error {
	return badRequest(scimerrors.ScimTypeMutability,
		"%q cannot be changed: a push sets only externalId, displayName and members; the app manages the rest", path)
}

func (p *patcher) setName(v any) error {
	s, ok := v.(string)
	if !ok {
		return badRequest(scimerrors.ScimTypeInvalidValue, "displayName must be a string")
	}
	if err := validName(s); err != nil {
		return err
	}
	p.name = s
	return nil
}

func (p *patcher) setExternalID(v any) error {
	s, ok := v.(string)
	if !ok {
		return badRequest(scimerrors.ScimTypeInvalidValue, "externalId must be a string")
	}
	if err := checkValue("externalId", s); err != nil {
		return err
	}
	p.ext = &s
	return nil
}

// members applies add, remove or replace on the members attribute. A remove
// with values removes exactly those (Entra); one without removes all.
func (p *patcher) members(op string, v any) error {
	values, err := membersOf(v)
	if err != nil {
		return err
	}
	switch op {
	case scim.PatchOperationReplace:
		p.clear()
	case scim.PatchOperationRemove:
		if v == nil {
			p.clear()
			return nil
		}
		for _, m := range values {
			if err := p.remove(m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, m := range values {
		if err := p.add(m); err != nil {
			return err
		}
	}
	return nil
}

func (p *patcher) clear() {
	p.cleared = true
	clear(p.added)
	clear(p.removed)
}

func (p *patcher) has(m string) (bool, error) {
	switch {
	case p.added[m]:
		return true, nil
	case p.removed[m] || p.cleared:
		return false, nil
	}
	return p.tx.HasMember(p.rec.ID, m)
}

func (p *patcher) add(m string) error {
	if p.removed[m] { // stored, removed earlier in this request: keep it
		delete(p.removed, m)
		return nil
	}
	in, err := p.has(m)
	if err != nil || in {
		return err
	}
	p.added[m] = true
	return nil
}

func (p *patcher) remove(m string) error {
	in, err := p.has(m)
	if err != nil || !in {
		return err
	}
	if p.added[m] {
		delete(p.added, m)
	} else {
		p.removed[m] = true
	}
	return nil
}

// removeWhere removes the members that match a members[…] filter.
func (p *patcher) removeWhere(f filter.Expression) error {
	if v, ok := valueEquals(f); ok {
		return p.remove(v)
	}
	current, err := p.current()
	if err != nil {
		return err
	}
	groups, err := p.tx.GroupIDs(current)
	if err != nil {
		return err
	}
	for _, m := range current {
		typ := "User"
		if slices.Contains(groups, m) {
			typ = "Group"
		}
		if matchMember(f, m, typ) {
			if err := p.remove(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// stored returns the stored members.
func (p *patcher) stored() ([]string, error) { return p.base.get(p.tx, p.rec.ID) }

// current returns the working members, sorted.
func (p *patcher) current() ([]string, error) {
	var out []string
	if !p.cleared {
		base, err := p.stored()
		if err != nil {
			return nil, err
		}
		for _, m := range base {
			if !p.removed[m] {
				out = append(out, m)
			}
		}
	}
	for m := range p.added {
		out = append(out, m)
	}
	slices.Sort(out)
	return out, nil
}

// change returns the net change of every operation applied, as member
// deltas against the stored members. The name is left to the caller, which
// checks it against R7.
func (p *patcher) change() (Change, error) {
	p.init()
	c := Change{}
	if p.ext != nil && *p.ext != p.rec.ExternalID {
		c.ExternalID = p.ext
	}
	if !p.cleared {
		c.Remove = sortedKeys(p.removed)
		c.Add = sortedKeys(p.added)
		return c, nil
	}
	base, err := p.stored()
	if err != nil {
		return Change{}, err
	}
	c.Add, c.Remove = group.NewMembers(base...).Diff(group.NewMembers(sortedKeys(p.added)...))
	return c, nil
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
