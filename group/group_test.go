package group_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
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
			reason: "the replacement character, properly encoded, is a printable character",
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
				Origin:     group.OriginSource,
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
		Origin:     group.OriginTarget,
		Type:       "Teams",
		Attributes: map[string]string{"owner": "ann", "color": "blue"},
	}
	want := group.Group{
		ID:         "g1",
		ExternalID: "00g1",
		Name:       "Leadership",
		Members:    group.NewMembers("u1", "u2"),
		Origin:     group.OriginTarget,
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

func TestOriginText(t *testing.T) {
	tests := []struct {
		name   string
		o      group.Origin
		text   string
		reason string
	}{
		{name: "unknown", o: group.OriginUnknown, text: "unknown", reason: "the zero Origin: the target did not say"},
		{name: "source", o: group.OriginSource, text: "source", reason: "created by a push"},
		{name: "target", o: group.OriginTarget, text: "target", reason: "created in the app"},
	}
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

			got := group.Origin(99)
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
			var back group.Origin
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
		want    group.Origin
		wantErr bool
		reason  string
	}{
		{
			name:   "empty text",
			text:   "",
			want:   group.OriginUnknown,
			reason: "an absent origin is the zero Origin",
		},
		{
			name:    "capitalised",
			text:    "Source",
			want:    group.OriginTarget,
			wantErr: true,
			reason:  "the text form is exact, like every comparison in this library; a failed decode keeps the value",
		},
		{
			name:    "padded",
			text:    " source",
			want:    group.OriginTarget,
			wantErr: true,
			reason:  "no trimming; a failed decode keeps the value",
		},
		{
			name:    "number",
			text:    "1",
			want:    group.OriginTarget,
			wantErr: true,
			reason:  "the text form is the name, not the number; a failed decode keeps the value",
		},
		{
			name:    "String of an invalid origin",
			text:    group.Origin(7).String(),
			want:    group.OriginTarget,
			wantErr: true,
			reason:  "only the three names decode; a failed decode keeps the value",
		},
		{
			name:    "other word",
			text:    "app",
			want:    group.OriginTarget,
			wantErr: true,
			reason:  "unknown text is refused, not mapped to a guess; a failed decode keeps the value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := group.OriginTarget
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
	var o group.Origin
	if err := json.Unmarshal([]byte(`"owner"`), &o); err == nil {
		t.Errorf(`json.Unmarshal("owner") into Origin error = nil, want an error`)
	}
}

func TestOriginInvalidValue(t *testing.T) {
	for _, o := range []group.Origin{3, 7, 255} {
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
