package origin_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

func TestOriginsAreGroupOrigins(t *testing.T) {
	tests := []struct {
		name string
		got  origin.Origin
		want group.Origin
	}{
		{name: "unknown", got: origin.Unknown, want: group.OriginUnknown},
		{name: "source", got: origin.Source, want: group.OriginSource},
		{name: "target", got: origin.Target, want: group.OriginTarget},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("origin %s = %v, want %v: the origin package re-exports group's origins", tt.name, tt.got, tt.want)
		}
	}
}

func TestEffective(t *testing.T) {
	tests := []struct {
		name            string
		reported        origin.Origin
		createdBySource bool
		want            origin.Origin
		reason          string
	}{
		{
			name:     "R7 app-created group is target",
			reported: origin.Target,
			want:     origin.Target,
			reason:   "the target says the app created it and the source has no record of creating it",
		},
		{
			name:     "R7 unknown origin is treated as target",
			reported: origin.Unknown,
			want:     origin.Target,
			reason:   "every target group the source did not create, and no target reports as pushed, counts as app-created",
		},
		{
			name:     "R7 invalid origin is treated as target",
			reported: origin.Origin(9),
			want:     origin.Target,
			reason:   "a value the source cannot read is as good as unknown: the safe side is the app's",
		},
		{
			name:     "R9 reported source origin is source",
			reported: origin.Source,
			want:     origin.Source,
			reason:   "a target built with this library reports groups created by a push",
		},
		{
			name:            "R9 unknown origin created by the source is source",
			reported:        origin.Unknown,
			createdBySource: true,
			want:            origin.Source,
			reason:          "the link records that this library created the group; most targets do not report origins",
		},
		{
			name:            "R9 created by the source and reported source",
			reported:        origin.Source,
			createdBySource: true,
			want:            origin.Source,
			reason:          "both sides agree the push created it",
		},
		{
			name:            "R9 the link's record wins over a target report",
			reported:        origin.Target,
			createdBySource: true,
			want:            origin.Source,
			reason:          "the link in the source's store is authoritative and records that this library created the group",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := origin.Effective(tt.reported, tt.createdBySource); got != tt.want {
				t.Errorf("Effective(%v, %v) = %v, want %v: %s", tt.reported, tt.createdBySource, got, tt.want, tt.reason)
			}
		})
	}
}

// predicate is one of the package's permission checks, named for messages.
type predicate struct {
	name string
	f    func(origin.Origin, bool) bool
}

var (
	canRename      = predicate{"CanRename", origin.CanRename}
	canEditMembers = predicate{"CanEditMembers", origin.CanEditMembers}
	canDelete      = predicate{"CanDelete", origin.CanDelete}
)

func TestPermissions(t *testing.T) {
	tests := []struct {
		name   string
		pred   predicate
		o      origin.Origin
		linked bool
		want   bool
		reason string
	}{
		// Renames: R7, R9.
		{
			name: "R7 unlinked app group cannot be renamed", pred: canRename,
			o: origin.Target, linked: false, want: false,
			reason: "an unlinked target-origin group belongs to the app: no write but association",
		},
		{
			name: "R9 linked app group is never renamed by the source", pred: canRename,
			o: origin.Target, linked: true, want: false,
			reason: "association hands over the members, never the name",
		},
		{
			name: "R9 linked pushed group follows source rename", pred: canRename,
			o: origin.Source, linked: true, want: true,
			reason: "a group the source created and links to follows the source's name, same ID",
		},
		{
			name: "R9 unlinked pushed group is not renamed", pred: canRename,
			o: origin.Source, linked: false, want: false,
			reason: "without a link the source has no claim on the group (R10 Leave dropped it)",
		},
		{
			name: "R7 linked group of unknown origin is not renamed", pred: canRename,
			o: origin.Unknown, linked: true, want: false,
			reason: "an unknown origin counts as app-created, so the source may not rename it",
		},
		{
			name: "R7 unlinked group of unknown origin is not renamed", pred: canRename,
			o: origin.Unknown, linked: false, want: false,
			reason: "an unknown origin counts as app-created, and it is not even linked",
		},

		// Members: R7, R8.
		{
			name: "R7 unlinked app group's members cannot be edited", pred: canEditMembers,
			o: origin.Target, linked: false, want: false,
			reason: "an unlinked target-origin group belongs to the app: no write but association",
		},
		{
			name: "R7 linked app group's members follow the source", pred: canEditMembers,
			o: origin.Target, linked: true, want: true,
			reason: "once associated by R5, membership is the source's (R8)",
		},
		{
			name: "R8 linked pushed group's members follow the source", pred: canEditMembers,
			o: origin.Source, linked: true, want: true,
			reason: "for a linked group the source is authoritative for membership",
		},
		{
			name: "R8 unlinked pushed group's members are not edited", pred: canEditMembers,
			o: origin.Source, linked: false, want: false,
			reason: "without a link the source has no claim on the group's members",
		},
		{
			name: "R8 linked group of unknown origin: members follow the source", pred: canEditMembers,
			o: origin.Unknown, linked: true, want: true,
			reason: "membership follows the link whatever the origin",
		},
		{
			name: "R7 unlinked group of unknown origin: members cannot be edited", pred: canEditMembers,
			o: origin.Unknown, linked: false, want: false,
			reason: "an unknown origin counts as app-created, and it is not linked",
		},

		// Deletes: R7, R10.
		{
			name: "R7 unlinked app group cannot be deleted", pred: canDelete,
			o: origin.Target, linked: false, want: false,
			reason: "an unlinked target-origin group belongs to the app",
		},
		{
			name: "R10 delete never deletes an app-created group", pred: canDelete,
			o: origin.Target, linked: true, want: false,
			reason: "with the Delete action a linked target-origin group is only unlinked",
		},
		{
			name: "R10 linked pushed group may be deleted", pred: canDelete,
			o: origin.Source, linked: true, want: true,
			reason: "a group the source created and links to may go with the Delete action",
		},
		{
			name: "R10 unlinked pushed group is not deleted", pred: canDelete,
			o: origin.Source, linked: false, want: false,
			reason: "without a link the source has no claim on the group",
		},
		{
			name: "R10 linked group of unknown origin is never deleted", pred: canDelete,
			o: origin.Unknown, linked: true, want: false,
			reason: "an unknown origin counts as app-created, and app-created groups are only unlinked",
		},
		{
			name: "R10 unlinked group of unknown origin is not deleted", pred: canDelete,
			o: origin.Unknown, linked: false, want: false,
			reason: "an unknown origin counts as app-created, and it is not linked",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pred.f(tt.o, tt.linked); got != tt.want {
				t.Errorf("%s(%v, linked=%v) = %v, want %v: %s", tt.pred.name, tt.o, tt.linked, got, tt.want, tt.reason)
			}
		})
	}
}

// TestEffectiveThenPermissions follows the documented use: the predicates
// take the effective origin of what the target reported.
func TestEffectiveThenPermissions(t *testing.T) {
	tests := []struct {
		name            string
		reported        origin.Origin
		createdBySource bool
		linked          bool
		rename, members bool
		delete          bool
		reason          string
	}{
		{
			name:     "R7 unlinked group of a target that reports no origin is read-only",
			reported: origin.Unknown,
			reason:   "unknown counts as app-created, and unlinked app groups are read-only",
		},
		{
			name:     "R7 associated group of a target that reports no origin: members only",
			reported: origin.Unknown, linked: true,
			members: true,
			reason:  "unknown counts as app-created; association hands over the members only",
		},
		{
			name:     "R9 group the source created on a target that reports no origin follows the source",
			reported: origin.Unknown, createdBySource: true, linked: true,
			rename: true, members: true, delete: true,
			reason: "the link records that the source created it",
		},
		{
			name:     "R10 linked group reported as pushed follows the source",
			reported: origin.Source, linked: true,
			rename: true, members: true, delete: true,
			reason: "a target built with this library reports it as created by a push",
		},
		{
			name:     "R10 linked app group is never renamed or deleted",
			reported: origin.Target, linked: true,
			members: true,
			reason:  "only membership follows the source for an associated app group",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := origin.Effective(tt.reported, tt.createdBySource)
			if got := origin.CanRename(o, tt.linked); got != tt.rename {
				t.Errorf("CanRename(%v, %v) = %v, want %v: %s", o, tt.linked, got, tt.rename, tt.reason)
			}
			if got := origin.CanEditMembers(o, tt.linked); got != tt.members {
				t.Errorf("CanEditMembers(%v, %v) = %v, want %v: %s", o, tt.linked, got, tt.members, tt.reason)
			}
			if got := origin.CanDelete(o, tt.linked); got != tt.delete {
				t.Errorf("CanDelete(%v, %v) = %v, want %v: %s", o, tt.linked, got, tt.delete, tt.reason)
			}
		})
	}
}

func TestErrReadOnly(t *testing.T) {
	// R7: the message tells the user to manage the group in the app. This is
	// the one documented-message check; everything else uses errors.Is.
	msg := origin.ErrReadOnly.Error()
	for _, part := range []string{"manage", "in the app"} {
		if !strings.Contains(msg, part) {
			t.Errorf("ErrReadOnly.Error() = %q, want it to contain %q (R7: say to manage the group in the app)", msg, part)
		}
	}

	wrapped := fmt.Errorf("group %q: %w", "Leadership", origin.ErrReadOnly)
	if !errors.Is(wrapped, origin.ErrReadOnly) {
		t.Errorf("errors.Is(wrapped, ErrReadOnly) = false, want true")
	}
	if errors.Is(origin.ErrReadOnly, group.ErrInvalid) {
		t.Errorf("errors.Is(ErrReadOnly, group.ErrInvalid) = true, want false: a read-only group is not an invalid one")
	}
}
