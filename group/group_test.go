package group_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		reason  string
	}{
		{
			name:   "plain name",
			in:     "Leadership",
			reason: "an ordinary printable name is valid",
		},
		{
			name:   "R5 spaces and case are kept",
			in:     " Sales  Team ",
			reason: "names compare byte for byte with no trimming, so validation must not reject what R5 compares",
		},
		{
			name:   "non-ASCII letters",
			in:     "\u00c9quipe \u65e5\u672c \U0001F680",
			reason: "any printable Unicode is a valid name",
		},
		{
			name:   "R6 decomposed accent",
			in:     "E\u0301quipe",
			reason: "a combining mark is not a control character; R6 flags near misses, validation does not",
		},
		{
			name:   "real U+FFFD",
			in:     "a\uFFFDb",
			reason: "the replacement character, properly encoded, is a printable character",
		},
		{
			name:   "real U+FFFD alone",
			in:     "\uFFFD",
			reason: "a name that is only the replacement character is not empty, and the character is printable",
		},
		{
			name:    "empty name",
			in:      "",
			wantErr: group.ErrInvalid,
			reason:  "a group needs a displayName",
		},
		{
			name:    "NUL",
			in:      "a\x00b",
			wantErr: group.ErrInvalid,
			reason:  "NUL is a control character",
		},
		{
			name:    "newline",
			in:      "Sales\n",
			wantErr: group.ErrInvalid,
			reason:  "a newline is a control character",
		},
		{
			name:    "tab",
			in:      "Sales\tTeam",
			wantErr: group.ErrInvalid,
			reason:  "a tab is a control character",
		},
		{
			name:    "DEL",
			in:      "Sales\x7f",
			wantErr: group.ErrInvalid,
			reason:  "DEL is a control character",
		},
		{
			name:    "C1 control NEL",
			in:      "Sales\u0085Team",
			wantErr: group.ErrInvalid,
			reason:  "U+0085 is a C1 control character, though it is two bytes of valid UTF-8",
		},
		{
			name:    "invalid byte",
			in:      "\xff",
			wantErr: group.ErrInvalid,
			reason:  "0xff never occurs in UTF-8",
		},
		{
			name:    "invalid byte inside a name",
			in:      "Sales\xffTeam",
			wantErr: group.ErrInvalid,
			reason:  "a name must be valid UTF-8 throughout",
		},
		{
			name:    "invalid byte next to a real U+FFFD",
			in:      "\uFFFD\xff",
			wantErr: group.ErrInvalid,
			reason:  "a real U+FFFD does not excuse an invalid byte after it",
		},
		{
			name:    "truncated sequence",
			in:      "Sales\xe2\x82",
			wantErr: group.ErrInvalid,
			reason:  "the first two bytes of a three-byte sequence are not valid UTF-8",
		},
		{
			name:    "encoded surrogate",
			in:      "\xed\xa0\x80",
			wantErr: group.ErrInvalid,
			reason:  "UTF-16 surrogates are not valid in UTF-8",
		},
		{
			name:    "overlong U+FFFD",
			in:      "\xf0\x8f\xbf\xbd",
			wantErr: group.ErrInvalid,
			reason:  "an overlong encoding is not valid UTF-8, even of the replacement character",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := group.ValidateName(tt.in)
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("ValidateName(%q) error mismatch (-want +got):\n%s\n%s", tt.in, diff, tt.reason)
			}

			// Validate reports the same for a group of that name.
			err = group.Group{Name: tt.in, Members: group.NewMembers("u1")}.Validate()
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("Validate() of a group named %q error mismatch (-want +got):\n%s\n%s", tt.in, diff, tt.reason)
			}
		})
	}
}

func TestGroupValidate(t *testing.T) {
	tests := []struct {
		name    string
		g       group.Group
		wantErr error
		reason  string
	}{
		{
			name: "full group",
			g: group.Group{
				ID:         "g1",
				ExternalID: "00g1",
				Name:       "Leadership",
				Members:    group.NewMembers("u2", "u1"),
				Origin:     origin.Source,
				Type:       "Groups",
				Attributes: map[string]string{"owner": "ann"},
			},
			reason: "a named group with non-empty member ids is valid",
		},
		{
			name:   "no members",
			g:      group.Group{Name: "Leadership"},
			reason: "a group may be empty",
		},
		{
			name:    "empty name",
			g:       group.Group{Members: group.NewMembers("u1")},
			wantErr: group.ErrInvalid,
			reason:  "a group needs a displayName, whatever its members",
		},
		{
			name:    "control character in the name",
			g:       group.Group{Name: "Leader\x00ship"},
			wantErr: group.ErrInvalid,
			reason:  "the name is validated as by ValidateName",
		},
		{
			name:    "empty member id alone",
			g:       group.Group{Name: "Leadership", Members: group.NewMembers("")},
			wantErr: group.ErrInvalid,
			reason:  "a member id names an existing user or group and cannot be empty",
		},
		{
			name:    "empty member id among others",
			g:       group.Group{Name: "Leadership", Members: group.NewMembers("u2", "", "u1")},
			wantErr: group.ErrInvalid,
			reason:  "one empty id makes the group invalid wherever it was given",
		},
		{
			name:    "empty member id added later",
			g:       group.Group{Name: "Leadership", Members: group.NewMembers("u1").With("")},
			wantErr: group.ErrInvalid,
			reason:  "an empty id is caught however the set was built",
		},
		{
			name:   "empty member id removed again",
			g:      group.Group{Name: "Leadership", Members: group.NewMembers("u1", "").Without("")},
			reason: "once removed, the empty id no longer makes the group invalid",
		},
		{
			name:   "blank-looking member id",
			g:      group.Group{Name: "Leadership", Members: group.NewMembers(" ")},
			reason: "only the empty id is refused; member ids are opaque to this package",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Validate()
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("Validate() error mismatch (-want +got):\n%s\n%s", diff, tt.reason)
			}
		})
	}
}

func TestGroupClone(t *testing.T) {
	orig := group.Group{
		ID:         "g1",
		ExternalID: "00g1",
		Name:       "Leadership",
		Members:    group.NewMembers("u1", "u2"),
		Origin:     origin.Target,
		Type:       "Teams",
		Attributes: map[string]string{"owner": "ann", "color": "blue"},
	}
	want := group.Group{
		ID:         "g1",
		ExternalID: "00g1",
		Name:       "Leadership",
		Members:    group.NewMembers("u1", "u2"),
		Origin:     origin.Target,
		Type:       "Teams",
		Attributes: map[string]string{"owner": "ann", "color": "blue"},
	}

	c := orig.Clone()
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("Clone() mismatch (-want +got):\n%s", diff)
	}

	// R4: changing the clone's local attributes must not reach the original.
	c.Attributes["owner"] = "bob"
	c.Attributes["new"] = "x"
	delete(c.Attributes, "color")
	c.Members = c.Members.With("u3").Without("u1")
	c.Name = "Renamed"
	if diff := cmp.Diff(want, orig); diff != "" {
		t.Errorf("changing the clone changed the original (-want +got):\n%s", diff)
	}

	// And changing the original does not reach a clone.
	c2 := orig.Clone()
	orig.Attributes["owner"] = "cid"
	if got := c2.Attributes["owner"]; got != "ann" {
		t.Errorf("clone's owner = %q after changing the original, want %q", got, "ann")
	}
}

func TestGroupCloneNilAttributes(t *testing.T) {
	g := group.Group{Name: "Leadership"}
	c := g.Clone()
	if c.Attributes != nil {
		t.Errorf("Clone() of nil Attributes = %#v, want nil", c.Attributes)
	}
	if diff := cmp.Diff(g, c); diff != "" {
		t.Errorf("Clone() mismatch (-want +got):\n%s", diff)
	}
}

func ExampleGroup_Validate() {
	g := group.Group{Name: "Leadership", Members: group.NewMembers("u2", "u1")}
	fmt.Println(g.Validate())

	g.Name = "Leadership\n"
	fmt.Println(errors.Is(g.Validate(), group.ErrInvalid))

	g.Name = "Leadership"
	g.Members = g.Members.With("")
	fmt.Println(errors.Is(g.Validate(), group.ErrInvalid))
	// Output:
	// <nil>
	// true
	// true
}
