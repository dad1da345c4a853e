package group_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
)

// checkCanonical fails t unless m iterates, slices and counts as exactly the
// ids of want (which must be sorted and unique), and Contains agrees.
func checkCanonical(t *testing.T, m group.Members, want []string) {
	t.Helper()
	if diff := cmp.Diff(want, m.Slice(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Slice() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, slices.Collect(m.All()), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("All() mismatch (-want +got):\n%s", diff)
	}
	if got := m.Len(); got != len(want) {
		t.Errorf("Len() = %d, want %d", got, len(want))
	}
	for _, id := range want {
		if !m.Contains(id) {
			t.Errorf("Contains(%q) = false, want true", id)
		}
	}
	if !m.Equal(group.NewMembers(want...)) {
		t.Errorf("Equal(NewMembers(%q)) = false, want true", want)
	}
}

func TestNewMembers(t *testing.T) {
	tests := []struct {
		name   string
		in     []string
		want   []string
		reason string
	}{
		{
			name:   "no ids",
			in:     nil,
			want:   nil,
			reason: "the set of no ids is the empty set",
		},
		{
			name:   "empty slice",
			in:     []string{},
			want:   nil,
			reason: "an empty, non-nil slice is the empty set too",
		},
		{
			name:   "unsorted ids are sorted",
			in:     []string{"u3", "u1", "u2"},
			want:   []string{"u1", "u2", "u3"},
			reason: "a set is kept sorted so that two sets compare in one linear pass",
		},
		{
			name:   "duplicates are removed",
			in:     []string{"u2", "u1", "u2", "u1", "u2"},
			want:   []string{"u1", "u2"},
			reason: "members are a set: no duplicates",
		},
		{
			name:   "byte order, not numeric or case-folded order",
			in:     []string{"u2", "u10", "b", "B", "a", "\u00e9", "z"},
			want:   []string{"B", "a", "b", "u10", "u2", "z", "\u00e9"},
			reason: "ids compare byte for byte: upper case before lower case, u10 before u2, multi-byte UTF-8 after ASCII",
		},
		{
			name:   "R5 ids differing only in case are distinct",
			in:     []string{"U1", "u1"},
			want:   []string{"U1", "u1"},
			reason: "like names, ids compare byte for byte, without case folding",
		},
		{
			name:   "empty id is kept and sorts first",
			in:     []string{"u1", "", "u0", ""},
			want:   []string{"", "u0", "u1"},
			reason: "NewMembers does not validate; Group.Validate reports the empty id, and relies on it sorting first",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			checkCanonical(t, group.NewMembers(tt.in...), tt.want)
		})
	}
}

func TestNewMembersCopiesItsArgument(t *testing.T) {
	ids := []string{"u2", "u1", "u2"}
	m := group.NewMembers(ids...)

	// The caller's slice is neither sorted nor compacted in place.
	if diff := cmp.Diff([]string{"u2", "u1", "u2"}, ids); diff != "" {
		t.Errorf("NewMembers changed its argument (-want +got):\n%s", diff)
	}
	// Writing to the caller's slice afterwards does not reach the set.
	ids[0], ids[1], ids[2] = "x", "y", "z"
	checkCanonical(t, m, []string{"u1", "u2"})
}

func TestMembersZeroValue(t *testing.T) {
	var m group.Members
	checkCanonical(t, m, nil)
	if m.Contains("") {
		t.Errorf(`zero Members: Contains("") = true, want false`)
	}
	if !m.Equal(group.NewMembers()) {
		t.Errorf("zero Members: Equal(NewMembers()) = false, want true")
	}
	if !group.NewMembers([]string{}...).Equal(m) {
		t.Errorf("NewMembers([]string{}...).Equal(zero) = false, want true")
	}
}

func TestMembersContains(t *testing.T) {
	m := group.NewMembers("u1", "u3", "u5")
	tests := []struct {
		name   string
		id     string
		want   bool
		reason string
	}{
		{name: "first member", id: "u1", want: true, reason: "u1 is in the set"},
		{name: "middle member", id: "u3", want: true, reason: "u3 is in the set"},
		{name: "last member", id: "u5", want: true, reason: "u5 is in the set"},
		{name: "before all", id: "u0", want: false, reason: "u0 sorts before every member and is absent"},
		{name: "between members", id: "u2", want: false, reason: "u2 sorts between members and is absent"},
		{name: "after all", id: "u9", want: false, reason: "u9 sorts after every member and is absent"},
		{name: "empty id", id: "", want: false, reason: "the empty id was never added"},
		{name: "R5 other case", id: "U1", want: false, reason: "ids compare byte for byte: U1 is not u1"},
		{name: "prefix of a member", id: "u", want: false, reason: "a prefix of an id is a different id"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Contains(tt.id); got != tt.want {
				t.Errorf("Contains(%q) = %v, want %v: %s", tt.id, got, tt.want, tt.reason)
			}
		})
	}
}

func TestMembersAll(t *testing.T) {
	m := group.NewMembers("c", "a", "b")

	var got []string
	for id := range m.All() {
		got = append(got, id)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Errorf("All() mismatch (-want +got):\n%s", diff)
	}

	// Stopping early is allowed and yields the smallest member first.
	var first []string
	for id := range m.All() {
		first = append(first, id)
		break
	}
	if diff := cmp.Diff([]string{"a"}, first); diff != "" {
		t.Errorf("All() with break mismatch (-want +got):\n%s", diff)
	}
}

func TestMembersSliceIsACopy(t *testing.T) {
	m := group.NewMembers("u1", "u2", "u3")

	s := m.Slice()
	s[0] = "changed"
	_ = append(s[:1], "appended")
	checkCanonical(t, m, []string{"u1", "u2", "u3"})

	// Two calls do not share a backing array.
	a, b := m.Slice(), m.Slice()
	a[1] = "changed"
	if diff := cmp.Diff([]string{"u1", "u2", "u3"}, b); diff != "" {
		t.Errorf("second Slice() changed by writing to the first (-want +got):\n%s", diff)
	}
}

func TestMembersEqual(t *testing.T) {
	var decodedEmpty group.Members
	if err := json.Unmarshal([]byte("[]"), &decodedEmpty); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		a, b   group.Members
		want   bool
		reason string
	}{
		{
			name:   "zero and NewMembers()",
			a:      group.Members{},
			b:      group.NewMembers(),
			want:   true,
			reason: "both are the empty set",
		},
		{
			name:   "zero and NewMembers of an empty slice",
			a:      group.Members{},
			b:      group.NewMembers([]string{}...),
			want:   true,
			reason: "a nil and an empty slice build the same empty set",
		},
		{
			name:   "zero and decoded []",
			a:      group.Members{},
			b:      decodedEmpty,
			want:   true,
			reason: "an empty JSON array is the empty set",
		},
		{
			name:   "order is irrelevant",
			a:      group.NewMembers("u1", "u2", "u3"),
			b:      group.NewMembers("u3", "u1", "u2"),
			want:   true,
			reason: "members are a set: order does not matter",
		},
		{
			name:   "duplicates are irrelevant",
			a:      group.NewMembers("u1", "u2"),
			b:      group.NewMembers("u2", "u1", "u1"),
			want:   true,
			reason: "members are a set: duplicates collapse",
		},
		{
			name:   "subset",
			a:      group.NewMembers("u1", "u2"),
			b:      group.NewMembers("u1"),
			want:   false,
			reason: "u2 is only in a",
		},
		{
			name:   "same size, different members",
			a:      group.NewMembers("u1", "u2"),
			b:      group.NewMembers("u1", "u3"),
			want:   false,
			reason: "u2 and u3 differ",
		},
		{
			name:   "empty and non-empty",
			a:      group.Members{},
			b:      group.NewMembers(""),
			want:   false,
			reason: "the set holding the empty id is not the empty set",
		},
		{
			name:   "R5 case differs",
			a:      group.NewMembers("u1"),
			b:      group.NewMembers("U1"),
			want:   false,
			reason: "ids compare byte for byte",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("a.Equal(b) = %v, want %v: %s", got, tt.want, tt.reason)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("b.Equal(a) = %v, want %v: %s", got, tt.want, tt.reason)
			}
		})
	}
}

func TestMembersWith(t *testing.T) {
	tests := []struct {
		name   string
		base   []string
		ids    []string
		want   []string
		reason string
	}{
		{
			name:   "add to the empty set",
			base:   nil,
			ids:    []string{"u2", "u1"},
			want:   []string{"u1", "u2"},
			reason: "the result holds the added ids, sorted",
		},
		{
			name:   "add new ids between, before and after",
			base:   []string{"b", "d"},
			ids:    []string{"e", "c", "a"},
			want:   []string{"a", "b", "c", "d", "e"},
			reason: "the merge keeps byte order wherever the new ids fall",
		},
		{
			name:   "R14 add a present id",
			base:   []string{"u1", "u2"},
			ids:    []string{"u2"},
			want:   []string{"u1", "u2"},
			reason: "adding a present member changes nothing",
		},
		{
			name:   "duplicates in the argument",
			base:   []string{"u1"},
			ids:    []string{"u3", "u2", "u3", "u1", "u2"},
			want:   []string{"u1", "u2", "u3"},
			reason: "the result is a set: each id once",
		},
		{
			name:   "no ids",
			base:   []string{"u1", "u2"},
			ids:    nil,
			want:   []string{"u1", "u2"},
			reason: "adding nothing leaves the set as it is",
		},
		{
			name:   "add to an empty base, nothing",
			base:   nil,
			ids:    []string{},
			want:   nil,
			reason: "the empty set plus nothing is the empty set",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			base := group.NewMembers(tt.base...)
			before := base.Slice()
			ids := slices.Clone(tt.ids)

			got := base.With(ids...)

			checkCanonical(t, got, tt.want)
			if diff := cmp.Diff(before, base.Slice()); diff != "" {
				t.Errorf("With changed its receiver (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("With changed its argument (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMembersWithout(t *testing.T) {
	tests := []struct {
		name   string
		base   []string
		ids    []string
		want   []string
		reason string
	}{
		{
			name:   "remove present ids",
			base:   []string{"a", "b", "c", "d"},
			ids:    []string{"d", "b"},
			want:   []string{"a", "c"},
			reason: "the removed ids are gone, the others stay in order",
		},
		{
			name:   "R14 remove an absent id",
			base:   []string{"u1", "u3"},
			ids:    []string{"u2", "u0", "u9"},
			want:   []string{"u1", "u3"},
			reason: "removing an absent member changes nothing",
		},
		{
			name:   "duplicates in the argument",
			base:   []string{"u1", "u2", "u3"},
			ids:    []string{"u2", "u2", "u2"},
			want:   []string{"u1", "u3"},
			reason: "removing an id twice removes it once",
		},
		{
			name:   "remove everything",
			base:   []string{"u1", "u2"},
			ids:    []string{"u2", "u1"},
			want:   nil,
			reason: "removing every member leaves the empty set",
		},
		{
			name:   "remove from the empty set",
			base:   nil,
			ids:    []string{"u1"},
			want:   nil,
			reason: "the empty set has nothing to remove",
		},
		{
			name:   "no ids",
			base:   []string{"u1", "u2"},
			ids:    nil,
			want:   []string{"u1", "u2"},
			reason: "removing nothing leaves the set as it is",
		},
		{
			name:   "R5 other case is not removed",
			base:   []string{"u1"},
			ids:    []string{"U1"},
			want:   []string{"u1"},
			reason: "ids compare byte for byte: U1 is not u1",
		},
		{
			name:   "remove the empty id",
			base:   []string{"", "u1"},
			ids:    []string{""},
			want:   []string{"u1"},
			reason: "the empty id is an id like any other for the set algebra",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			base := group.NewMembers(tt.base...)
			before := base.Slice()
			ids := slices.Clone(tt.ids)

			got := base.Without(ids...)

			checkCanonical(t, got, tt.want)
			if diff := cmp.Diff(before, base.Slice()); diff != "" {
				t.Errorf("Without changed its receiver (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("Without changed its argument (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMembersSharedBase checks that results derived from one set stay
// independent: no operation writes into the spare capacity of another set.
func TestMembersSharedBase(t *testing.T) {
	base := group.NewMembers("a", "c", "e")
	x := base.With("b")
	y := base.With("d")
	z := base.Without("c")
	w := base.Without("a").With("f")

	checkCanonical(t, base, []string{"a", "c", "e"})
	checkCanonical(t, x, []string{"a", "b", "c", "e"})
	checkCanonical(t, y, []string{"a", "c", "d", "e"})
	checkCanonical(t, z, []string{"a", "e"})
	checkCanonical(t, w, []string{"c", "e", "f"})
}

func TestMembersDiff(t *testing.T) {
	many := func(prefix string, n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s%05d", prefix, i)
		}
		return ids
	}
	tests := []struct {
		name       string
		have, want []string
		add        []string
		remove     []string
		reason     string
	}{
		{
			name:   "R14 both empty",
			reason: "converged: nothing to add or remove",
		},
		{
			name:   "R14 equal sets",
			have:   []string{"u1", "u2", "u3"},
			want:   []string{"u3", "u2", "u1", "u1"},
			reason: "converged: the same set in another order with duplicates",
		},
		{
			name:   "R8 from empty, add everything",
			have:   nil,
			want:   []string{"u2", "u1"},
			add:    []string{"u1", "u2"},
			reason: "missing members are added, sorted",
		},
		{
			name:   "R8 to empty, remove everything",
			have:   []string{"u2", "u1"},
			want:   nil,
			remove: []string{"u1", "u2"},
			reason: "members the source lacks are removed, sorted",
		},
		{
			name:   "R8 interleaved adds and removes",
			have:   []string{"a", "c", "e", "g"},
			want:   []string{"b", "c", "d", "g", "h"},
			add:    []string{"b", "d", "h"},
			remove: []string{"a", "e"},
			reason: "deltas only: the common members c and g appear in neither list",
		},
		{
			name:   "R8 tails on the have side",
			have:   []string{"a", "x", "y", "z"},
			want:   []string{"a", "b"},
			add:    []string{"b"},
			remove: []string{"x", "y", "z"},
			reason: "ids of have past the end of want are all removed",
		},
		{
			name:   "R8 tails on the want side",
			have:   []string{"a", "b"},
			want:   []string{"a", "x", "y", "z"},
			add:    []string{"x", "y", "z"},
			remove: []string{"b"},
			reason: "ids of want past the end of have are all added",
		},
		{
			name:   "R5 case differs",
			have:   []string{"u1"},
			want:   []string{"U1"},
			add:    []string{"U1"},
			remove: []string{"u1"},
			reason: "ids compare byte for byte: U1 and u1 are different members",
		},
		{
			name:   "R8 large sets",
			have:   many("a", 2000),
			want:   append(many("a", 1000), many("b", 1500)...),
			add:    many("b", 1500),
			remove: many("a", 2000)[1000:],
			reason: "the merge handles sets of thousands of members",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			have, want := group.NewMembers(tt.have...), group.NewMembers(tt.want...)
			haveBefore, wantBefore := have.Slice(), want.Slice()

			add, remove := have.Diff(want)

			if diff := cmp.Diff(tt.add, add, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("add mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.remove, remove, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("remove mismatch (-want +got):\n%s", diff)
			}
			if len(tt.add) == 0 && len(tt.remove) == 0 && (add != nil || remove != nil) {
				t.Errorf("Diff of equal sets = (%#v, %#v), want (nil, nil)", add, remove)
			}
			if diff := cmp.Diff(haveBefore, have.Slice()); diff != "" {
				t.Errorf("Diff changed its receiver (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantBefore, want.Slice()); diff != "" {
				t.Errorf("Diff changed its argument (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMembersDiffResultsAreIndependent checks that the two results of Diff
// share nothing visible with each other or with the sets: the caller may
// append to and write into them.
func TestMembersDiffResultsAreIndependent(t *testing.T) {
	have := group.NewMembers("a", "c")
	want := group.NewMembers("b", "c", "d")

	add, remove := have.Diff(want)
	add = append(add, "appended")
	add[0] = "written"
	remove[0] = "written"

	if diff := cmp.Diff([]string{"written", "d", "appended"}, add); diff != "" {
		t.Errorf("add mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"written"}, remove); diff != "" {
		t.Errorf("appending to add changed remove (-want +got):\n%s", diff)
	}
	checkCanonical(t, have, []string{"a", "c"})
	checkCanonical(t, want, []string{"b", "c", "d"})
}

func TestMembersDiffAllocs(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%04d", i)
	}
	have := group.NewMembers(ids[:600]...)
	want := group.NewMembers(ids[400:]...)
	same := group.NewMembers(ids[:600]...)

	var add, remove []string
	tests := []struct {
		name   string
		a, b   group.Members
		want   float64
		reason string
	}{
		{
			name:   "R8 non-empty diff",
			a:      have,
			b:      want,
			want:   1,
			reason: "both deltas share one buffer sized by a counting pass",
		},
		{
			name:   "R8 add only",
			a:      have,
			b:      have.With("u9999"),
			want:   1,
			reason: "a one-sided diff still costs exactly one allocation",
		},
		{
			name:   "R14 equal sets",
			a:      have,
			b:      same,
			want:   0,
			reason: "a converged pair allocates nothing: both results are nil",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testing.AllocsPerRun(100, func() {
				add, remove = tt.a.Diff(tt.b)
			})
			if got != tt.want {
				t.Errorf("Diff allocations = %v, want %v: %s", got, tt.want, tt.reason)
			}
		})
	}
	_, _ = add, remove
}

func TestMembersMarshalJSON(t *testing.T) {
	tests := []struct {
		name   string
		m      group.Members
		want   string
		reason string
	}{
		{
			name:   "zero value",
			m:      group.Members{},
			want:   `[]`,
			reason: "the empty set encodes as an empty array, never null",
		},
		{
			name:   "NewMembers()",
			m:      group.NewMembers(),
			want:   `[]`,
			reason: "the empty set encodes as an empty array, never null",
		},
		{
			name:   "NewMembers of an empty slice",
			m:      group.NewMembers([]string{}...),
			want:   `[]`,
			reason: "the empty set encodes as an empty array, however built",
		},
		{
			name:   "everything removed",
			m:      group.NewMembers("u1").Without("u1"),
			want:   `[]`,
			reason: "the empty set encodes as an empty array, however built",
		},
		{
			name:   "sorted array",
			m:      group.NewMembers("u2", "u1", "u2"),
			want:   `["u1","u2"]`,
			reason: "a set encodes as its sorted, unique ids",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.m)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("json.Marshal mismatch (-want +got):\n%s\n%s", diff, tt.reason)
			}
		})
	}

	// Inside a struct, the field is an array too.
	got, err := json.Marshal(struct {
		Members group.Members `json:"members"`
	}{})
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if diff := cmp.Diff(`{"members":[]}`, string(got)); diff != "" {
		t.Errorf("json.Marshal of a struct mismatch (-want +got):\n%s", diff)
	}
}

func TestMembersUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		initial group.Members
		in      string
		want    []string
		wantErr bool
		reason  string
	}{
		{
			name:   "empty array",
			in:     `[]`,
			want:   nil,
			reason: "an empty array is the empty set",
		},
		{
			name:   "null",
			in:     `null`,
			want:   nil,
			reason: "null is the empty set",
		},
		{
			name:    "null replaces members",
			initial: group.NewMembers("u1"),
			in:      `null`,
			want:    nil,
			reason:  "null is the empty set, not absent: it replaces what was there",
		},
		{
			name:    "array replaces members",
			initial: group.NewMembers("u1", "u2"),
			in:      `["u3"]`,
			want:    []string{"u3"},
			reason:  "decoding replaces the set, it does not merge into it",
		},
		{
			name:   "unsorted with duplicates",
			in:     `["u3","u1","u3","u2","u1"]`,
			want:   []string{"u1", "u2", "u3"},
			reason: "whatever a client sends decodes to the canonical set",
		},
		{
			name:    "object is refused",
			initial: group.NewMembers("u1"),
			in:      `{"value":"u2"}`,
			want:    []string{"u1"},
			wantErr: true,
			reason:  "members are an array of ids; a failed decode keeps the set",
		},
		{
			name:    "number element is refused",
			initial: group.NewMembers("u1"),
			in:      `["u2",3]`,
			want:    []string{"u1"},
			wantErr: true,
			reason:  "ids are strings; a failed decode keeps the set",
		},
		{
			name:    "string is refused",
			initial: group.NewMembers("u1"),
			in:      `"u2"`,
			want:    []string{"u1"},
			wantErr: true,
			reason:  "a single id is not an array; a failed decode keeps the set",
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			m := tt.initial
			err := json.Unmarshal([]byte(tt.in), &m)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("json.Unmarshal(%s) error = %v, want error: %v", tt.in, err, tt.wantErr)
			}
			checkCanonical(t, m, tt.want)

			// The same inside a struct field.
			v := struct {
				Members group.Members `json:"members"`
			}{Members: tt.initial}
			err = json.Unmarshal([]byte(`{"members":`+tt.in+`}`), &v)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("json.Unmarshal of a struct error = %v, want error: %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				checkCanonical(t, v.Members, tt.want)
			}
		})
	}
}

func TestMembersJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		m      group.Members
		reason string
	}{
		{name: "empty", m: group.Members{}, reason: "[] decodes back to the empty set"},
		{name: "one", m: group.NewMembers("u1"), reason: "a single id survives"},
		{name: "many", m: group.NewMembers("c", "a", "b", "\u00e9", "B"), reason: "all ids survive, in byte order"},
		{name: "empty id", m: group.NewMembers("", "u1"), reason: "the empty id is encoded and decoded like any other"},
		{name: "R5 case differs", m: group.NewMembers("U1", "u1"), reason: "ids differing in case stay distinct"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.m)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var got group.Members
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", data, err)
			}
			if diff := cmp.Diff(tt.m.Slice(), got.Slice(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip through %s mismatch (-want +got):\n%s\n%s", data, diff, tt.reason)
			}
		})
	}
}

// splitIDs turns a fuzz input into a list of ids: "" is no ids, otherwise the
// comma-separated parts (so "," is two empty ids).
func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// modelSet is the map-based model of a Members set.
func modelSet(ids ...string) map[string]bool {
	s := make(map[string]bool, len(ids))
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// sortedKeys returns the members of model set s in byte order.
func sortedKeys(s map[string]bool) []string {
	return slices.Sorted(maps.Keys(s))
}

// minus returns the members of a that b lacks.
func minus(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool)
	for id := range a {
		if !b[id] {
			out[id] = true
		}
	}
	return out
}

// union returns the members of a or b.
func union(a, b map[string]bool) map[string]bool {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

func FuzzMembers(f *testing.F) {
	f.Add("", "")
	f.Add("u1", "")
	f.Add("", "u1")
	f.Add("u1,u2,u3", "u3,u2,u1")
	f.Add("a,c,e,g", "b,c,d,g,h")
	f.Add("u2,u1,u2", "u1,u1")
	f.Add(",u1", "u1,")
	f.Add("U1,u1", "u1")
	f.Add("u10,u2", "u2,u10,u1")
	f.Add("\u00e9,e,\xff", "\uFFFD,e")

	f.Fuzz(func(t *testing.T, as, bs string) {
		a, b := splitIDs(as), splitIDs(bs)
		ma, mb := modelSet(a...), modelSet(b...)
		sa, sb := group.NewMembers(a...), group.NewMembers(b...)
		checkCanonical(t, sa, sortedKeys(ma))
		checkCanonical(t, sb, sortedKeys(mb))

		// Diff gives b\a to add and a\b to remove, sorted.
		add, remove := sa.Diff(sb)
		if diff := cmp.Diff(sortedKeys(minus(mb, ma)), add, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("add mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(sortedKeys(minus(ma, mb)), remove, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("remove mismatch (-want +got):\n%s", diff)
		}
		if equal := sa.Equal(sb); equal != maps.Equal(ma, mb) {
			t.Errorf("Equal = %v, want %v", equal, maps.Equal(ma, mb))
		}
		if sa.Equal(sb) && (add != nil || remove != nil) {
			t.Errorf("Diff of equal sets = (%#v, %#v), want (nil, nil)", add, remove)
		}

		// Applying the deltas to a yields b.
		applied := sa.Without(remove...).With(add...)
		if !applied.Equal(sb) {
			t.Errorf("a.Without(remove...).With(add...) = %q, want %q", applied.Slice(), sb.Slice())
		}
		if add2, remove2 := applied.Diff(sb); add2 != nil || remove2 != nil {
			t.Errorf("Diff after applying = (%q, %q), want (nil, nil)", add2, remove2)
		}

		// With and Without agree with the model.
		checkCanonical(t, sa.With(b...), sortedKeys(union(ma, mb)))
		checkCanonical(t, sa.Without(b...), sortedKeys(minus(ma, mb)))

		// None of the above changed a or b.
		checkCanonical(t, sa, sortedKeys(ma))
		checkCanonical(t, sb, sortedKeys(mb))

		// JSON keeps the set, for ids that JSON can carry.
		if !slices.ContainsFunc(a, func(id string) bool { return !utf8.ValidString(id) }) {
			data, err := json.Marshal(sa)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var got group.Members
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", data, err)
			}
			checkCanonical(t, got, sortedKeys(ma))
		}
	})
}

func ExampleMembers_Diff() {
	have := group.NewMembers("ann", "bob", "cid")
	want := group.NewMembers("eve", "bob", "dan", "ann")

	add, remove := have.Diff(want)
	fmt.Println("add:", add)
	fmt.Println("remove:", remove)

	// Applying the deltas turns have into want.
	fmt.Println(have.Without(remove...).With(add...).Equal(want))

	// A converged pair has nothing to do.
	add, remove = want.Diff(want)
	fmt.Println(add == nil, remove == nil)
	// Output:
	// add: [dan eve]
	// remove: [cid]
	// true
	// true true
}
