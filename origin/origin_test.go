package origin_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
)

func TestOriginText(t *testing.T) {
	tests := []struct {
		name   string
		o      origin.Origin
		text   string
		reason string
	}{
		{name: "unknown", o: origin.Unknown, text: "unknown", reason: "the zero Origin: the target did not say"},
		{name: "source", o: origin.Source, text: "source", reason: "created by a push"},
		{name: "target", o: origin.Target, text: "target", reason: "created in the app"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			if got := tt.o.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			text, err := tt.o.MarshalText()
			if err != nil {
				t.Fatalf("MarshalText() error = %v, want nil", err)
			}
			if got := string(text); got != tt.text {
				t.Errorf("MarshalText() = %q, want %q", got, tt.text)
			}

			got := origin.Origin(99)
			if err := got.UnmarshalText(text); err != nil {
				t.Fatalf("UnmarshalText(%q) error = %v, want nil", text, err)
			}
			if got != tt.o {
				t.Errorf("UnmarshalText(%q) = %v, want %v", text, got, tt.o)
			}

			// JSON goes through the text form.
			data, err := json.Marshal(tt.o)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if diff := cmp.Diff(`"`+tt.text+`"`, string(data)); diff != "" {
				t.Errorf("json.Marshal mismatch (-want +got):\n%s", diff)
			}
			var back origin.Origin
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", data, err)
			}
			if back != tt.o {
				t.Errorf("json round trip = %v, want %v", back, tt.o)
			}
		})
	}
}

func TestOriginUnmarshalText(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    origin.Origin
		wantErr bool
		reason  string
	}{
		{
			name:   "empty text",
			text:   "",
			want:   origin.Unknown,
			reason: "an absent origin is the zero Origin",
		},
		{
			name:    "capitalised",
			text:    "Source",
			want:    origin.Target,
			wantErr: true,
			reason:  "the text form is exact, like every comparison in this library; a failed decode keeps the value",
		},
		{
			name:    "padded",
			text:    " source",
			want:    origin.Target,
			wantErr: true,
			reason:  "no trimming; a failed decode keeps the value",
		},
		{
			name:    "number",
			text:    "1",
			want:    origin.Target,
			wantErr: true,
			reason:  "the text form is the name, not the number; a failed decode keeps the value",
		},
		{
			name:    "String of an invalid origin",
			text:    origin.Origin(7).String(),
			want:    origin.Target,
			wantErr: true,
			reason:  "only the three names decode; a failed decode keeps the value",
		},
		{
			name:    "other word",
			text:    "app",
			want:    origin.Target,
			wantErr: true,
			reason:  "unknown text is refused, not mapped to a guess; a failed decode keeps the value",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := origin.Target
			err := got.UnmarshalText([]byte(tt.text))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("UnmarshalText(%q) error = %v, want error: %v (%s)", tt.text, err, tt.wantErr, tt.reason)
			}
			if got != tt.want {
				t.Errorf("UnmarshalText(%q) left %v, want %v (%s)", tt.text, got, tt.want, tt.reason)
			}
		})
	}

	// Through JSON, an unknown origin fails the decode.
	var o origin.Origin
	if err := json.Unmarshal([]byte(`"owner"`), &o); err == nil {
		t.Errorf(`json.Unmarshal("owner") into Origin error = nil, want an error`)
	}
}

func TestOriginInvalidValue(t *testing.T) {
	for _, o := range []origin.Origin{3, 7, 255} {
		s := o.String()
		for _, name := range []string{"unknown", "source", "target", ""} {
			if s == name {
				t.Errorf("Origin(%d).String() = %q, which is the name of a valid origin", uint8(o), s)
			}
		}
		if text, err := o.MarshalText(); err == nil {
			t.Errorf("Origin(%d).MarshalText() = %q, nil; want an error: an invalid origin must not be stored", uint8(o), text)
		}
		if _, err := json.Marshal(o); err == nil {
			t.Errorf("json.Marshal(Origin(%d)) error = nil, want an error", uint8(o))
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
	tabletest.Check(t, tests)
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
	canEditMembers = predicate{"CanEditMembers", func(_ origin.Origin, linked bool) bool { return origin.CanEditMembers(linked) }}
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
	tabletest.Check(t, tests)
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
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := origin.Effective(tt.reported, tt.createdBySource)
			if got := origin.CanRename(o, tt.linked); got != tt.rename {
				t.Errorf("CanRename(%v, %v) = %v, want %v: %s", o, tt.linked, got, tt.rename, tt.reason)
			}
			if got := origin.CanEditMembers(tt.linked); got != tt.members {
				t.Errorf("CanEditMembers(%v) = %v, want %v: %s", tt.linked, got, tt.members, tt.reason)
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
}

func TestLinkedOnTarget(t *testing.T) {
	tests := []struct {
		name       string
		o          origin.Origin
		externalID string
		want       bool
		reason     string
	}{
		{name: "R7 app group without externalId", o: origin.Target, want: false,
			reason: "no source has claimed a group made in the app that carries no externalId"},
		{name: "R5 associated app group", o: origin.Target, externalID: "00g1", want: true,
			reason: "association wrote the source's id as externalId"},
		{name: "R3 pushed group without externalId", o: origin.Source, want: true,
			reason: "a push created it; some clients (Okta) send no externalId"},
		{name: "R3 pushed group with externalId", o: origin.Source, externalID: "00g1", want: true,
			reason: "a push created it and named its source group"},
		{name: "R7 unknown origin without externalId", o: origin.Unknown, want: false,
			reason: "nothing says a source holds it"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := origin.LinkedOnTarget(tt.o, tt.externalID); got != tt.want {
				t.Errorf("LinkedOnTarget(%v, %q) = %v, want %v: %s", tt.o, tt.externalID, got, tt.want, tt.reason)
			}
		})
	}
}
