// Package group defines the Group value that both sides of a group push share:
// a target app's group with its id, external id, name, members, origin and the
// app-local attributes that no push may touch.
//
// A [Members] set is built for groups of a hundred thousand members and more: it
// is immutable, sorted and free of duplicates, so that two sets compare in one
// linear pass ([Members.Diff]) and iterate in a deterministic order.
package group

import (
	"errors"
	"fmt"
	"maps"
	"unicode"
	"unicode/utf8"

	"github.com/groupsync/groupsync/origin"
)

// ErrInvalid is wrapped by every error that [Group.Validate] and [ValidateName]
// return.
var ErrInvalid = errors.New("invalid group")

// Group is a group as a target app holds it.
//
// A push only ever sets ExternalID, Name and Members. ID, Origin, Type and
// Attributes belong to the app.
type Group struct {
	// ID is assigned by the target and never changes.
	ID string
	// ExternalID is the source group's id, when the source sent one.
	ExternalID string
	// Name is the SCIM displayName. Names compare byte for byte.
	Name string
	// Members holds the ids of the member users (or of member groups of the
	// same tenant, never expanded).
	Members Members
	// Origin says who created the group.
	Origin origin.Origin
	// Type is the app-local group type. A target gives new pushed groups its
	// default type; the source never sets it.
	Type string
	// Attributes holds any other app-local attributes.
	Attributes map[string]string
}

// Clone returns a copy of g that shares nothing mutable with it.
func (g Group) Clone() Group {
	g.Attributes = maps.Clone(g.Attributes)
	return g
}

// Validate reports the first reason g cannot be stored: an invalid name (see
// [ValidateName]) or an empty member id. The error wraps [ErrInvalid].
func (g Group) Validate() error {
	if err := ValidateName(g.Name); err != nil {
		return err
	}
	// Members are sorted, so an empty id can only come first.
	if len(g.Members.ids) > 0 && g.Members.ids[0] == "" {
		return fmt.Errorf("%w: group %q has an empty member id", ErrInvalid, g.Name)
	}
	return nil
}

// ValidateName reports why name cannot be a group name: it is empty, is not
// valid UTF-8, or holds a control character. The error wraps [ErrInvalid].
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalid)
	}
	for i, r := range name {
		switch {
		case r == utf8.RuneError && !validRuneAt(name, i):
			return fmt.Errorf("%w: name %q is not valid UTF-8 at byte %d", ErrInvalid, name, i)
		case unicode.IsControl(r):
			return fmt.Errorf("%w: name %q has a control character (%U) at byte %d", ErrInvalid, name, r, i)
		}
	}
	return nil
}

// validRuneAt reports whether the rune at s[i] really is U+FFFD rather than
// an invalid byte that decodes as one.
func validRuneAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3
}
