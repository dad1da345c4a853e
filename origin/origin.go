// Package origin says who created a group and what each side may change
// because of it (rules R7, R9 and R10 of the specification).
//
// A group created in the app (origin [Target]) belongs to the app: the source
// may associate with it by exact name and then push its members, but never
// rename or delete it, and before association it may not change it at all.
// A group created by a push (origin [Source]) follows the source once linked.
//
// The predicates take the effective origin, see [Effective], and whether the
// source holds a link to the group. A target, which does not know about
// links, asks with linked set to true: every SCIM request comes from the
// source the group is linked to.
package origin

import (
	"errors"

	"github.com/groupsync/groupsync/group"
)

// Origin says which side created a group; it is [group.Origin].
type Origin = group.Origin

// The origins.
const (
	// Unknown: the target did not say.
	Unknown = group.OriginUnknown
	// Source: created by a push.
	Source = group.OriginSource
	// Target: created in the app.
	Target = group.OriginTarget
)

// ErrReadOnly is wrapped by every refusal to change a group that the app
// owns. Its message says where to manage the group.
var ErrReadOnly = errors.New("group was created in the app and is read-only in the source: manage it in the app")

// Effective returns the origin the source acts on: [Source] when the source
// created the group itself (its link records that) or the target reports
// Source, and [Target] otherwise, an unknown origin included.
func Effective(reported Origin, createdBySource bool) Origin {
	if createdBySource || reported == Source {
		return Source
	}
	return Target
}

// CanRename reports whether the source may rename a group of origin o: only
// a linked group that the source created (R7, R9).
func CanRename(o Origin, linked bool) bool {
	return linked && o == Source
}

// CanEditMembers reports whether the source may change the members of a
// group of origin o: any linked group, whatever its origin, since association
// hands membership to the source (R7, R8). Association itself is always
// allowed.
func CanEditMembers(o Origin, linked bool) bool {
	return linked
}

// CanDelete reports whether the source may delete a group of origin o: only
// a linked group that the source created (R7, R10). Others are only unlinked.
func CanDelete(o Origin, linked bool) bool {
	return linked && o == Source
}
