// Package origin says who created a group and what the source may change
// because of it: rules R7, R9 and R10 of the specification
// (SPEC.md#r7-app-created-groups-belong-to-the-app).
//
// A group created in the app (origin [Target]) belongs to the app: the source
// may associate with it by exact name and then push its members, but never
// rename or delete it, and before association it may not change it at all.
// A group created by a push (origin [Source]) follows the source once linked.
//
// The predicates take the facts that decide, the way a permission check
// takes the resource and the user: the effective origin of the group (see
// [Effective]) and whether the source holds a link to it. The planner asks
// them for every group it would change, linked or not; a target asks them
// with the link state it knows (see each predicate).
//
// The package is the leaf of the module: it imports only the standard
// library.
package origin

import (
	"errors"
	"fmt"
)

// Origin says which side created a group. It is set once, when the group is
// created, and never changed by a sync.
type Origin uint8

// The origins.
const (
	// Unknown is the zero Origin: the target did not say. The source
	// treats such a group as app-created unless it created the group
	// itself.
	Unknown Origin = iota
	// Source marks a group created by a push from the source.
	Source
	// Target marks a group created in the app.
	Target
)

var names = [...]string{Unknown: "unknown", Source: "source", Target: "target"}

// String returns "unknown", "source" or "target".
func (o Origin) String() string {
	if int(o) < len(names) {
		return names[o]
	}
	return fmt.Sprintf("Origin(%d)", o)
}

// MarshalText encodes o as its String. An invalid origin is an error, so
// that it is never stored.
func (o Origin) MarshalText() ([]byte, error) {
	if int(o) >= len(names) {
		return nil, fmt.Errorf("origin: invalid origin %d", o)
	}
	return []byte(names[o]), nil
}

// UnmarshalText decodes "unknown", "source" or "target"; an empty text is
// [Unknown]. Any other text is an error and leaves o as it was.
func (o *Origin) UnmarshalText(text []byte) error {
	switch string(text) {
	case "", "unknown":
		*o = Unknown
	case "source":
		*o = Source
	case "target":
		*o = Target
	default:
		return fmt.Errorf("origin: unknown origin %q", text)
	}
	return nil
}

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

// LinkedOnTarget reports what a target can tell of a group's link to a
// source, which it passes to the predicates: a group that a push created
// (origin [Source]) or that carries a source's externalId is linked.
func LinkedOnTarget(o Origin, externalID string) bool {
	return o == Source || externalID != ""
}

// CanRename reports whether the source may rename a group of origin o that
// it holds a link to, or not (R7, R9): only a linked group that the source
// created. An app-created group keeps its name even once associated.
//
// A target asks with [LinkedOnTarget]: it cannot know more of the source's
// links.
func CanRename(o Origin, linked bool) bool {
	return linked && o == Source
}

// CanEditMembers reports whether the source may change the members of a
// group it holds a link to, or not (R7, R8): any linked group, whatever its
// origin, since association (R5) hands membership to the source; no unlinked
// one, not even one it mirrors. The association itself is what links a
// group, and is always allowed.
//
// A target, for which every membership write may be an association, never
// refuses one for the group's origin.
func CanEditMembers(linked bool) bool {
	return linked
}

// CanDelete reports whether the source may delete a group of origin o that
// it holds a link to, or not (R7, R10): only a linked group that the source
// created. Any other is at most unlinked.
//
// A target asks as for [CanRename].
func CanDelete(o Origin, linked bool) bool {
	return linked && o == Source
}
