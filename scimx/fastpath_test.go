package scimx

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/groupsync/groupsync/internal/tabletest"
)

// TestFastPathAgreesWithFilterParser pins, for the paths and filters of
// WIRE.md and their near misses, which ones the fast path takes and that
// it builds for them the tree filter-parser builds; FuzzFastPath checks
// the same on every input.
func TestFastPathAgreesWithFilterParser(t *testing.T) {
	tests := []struct {
		name, reason string
		in           string
		path, filter bool // the fast path takes it as a path, as a filter
	}{
		{name: "okta member removal", in: `members[value eq "00u1abcd"]`, path: true, filter: true,
			reason: "Okta removes each member with this path (WIRE.md), and the same text is a value-path filter"},
		{name: "plain attributes", in: `members`, path: true,
			reason: "Entra and Okta add, remove and replace members by the bare name; a bare name is no filter"},
		{name: "displayName", in: `displayName`, path: true, reason: "Entra's rename path"},
		{name: "externalId", in: `externalId`, path: true, reason: "Entra's externalId path"},
		{name: "upper-case operator", in: `members[value EQ "u1"]`, path: true, filter: true,
			reason: "filter-parser matches operators in any case and lower-cases them"},
		{name: "spaces around the brackets", in: `members [ value eq "u1" ]`, path: true, filter: true,
			reason: "filter-parser allows spaces before and inside the brackets"},
		{name: "two spaces between tokens", in: `displayName  eq  "x"`, filter: true,
			reason: "filter-parser takes one or more spaces between an attribute, its operator and its value"},
		{name: "displayName eq", in: `displayName eq "Engineering"`, filter: true, reason: "Okta's and Entra's lookup by name"},
		{name: "externalId eq", in: `externalId eq "00g1"`, filter: true, reason: "a lookup by the source's id"},
		{name: "id eq and members eq", in: `id eq "g1" and members eq "u1"`, filter: true,
			reason: "Entra's membership probe (WIRE.md)"},
		{name: "chain of three and", in: `id eq "g1" AND members[value eq "u1"] and externalId eq "x"`, filter: true,
			reason: "and chains group from the left, as filter-parser groups them, in any letter case"},
		{name: "escapes kept", in: `members[value eq "a\"b\\c\u00E9"]`, path: true, filter: true,
			reason: "filter-parser keeps a string's escapes for the handler to decode"},
		{name: "non-ASCII and non-UTF-8 bytes", in: "displayName eq \"R\xc3\xa9\xff\"", filter: true,
			reason: "filter-parser reads any rune above the controls, and a byte that is not UTF-8 as U+FFFD"},
		{name: "empty string", in: `displayName eq ""`, filter: true, reason: "an empty compare value is a value"},
		{name: "other operators", in: `displayName sw "Eng" and externalId ne "x"`, filter: true,
			reason: "every comparison but pr has the same shape"},
		{name: "lower-case hex escape declined", in: `displayName eq "\u00e9"`,
			reason: "filter-parser refuses lower-case hex; the server upper-cases a filter's escapes before it parses"},
		{name: "unknown escape declined", in: `displayName eq "\x"`, reason: "filter-parser refuses it, so the general path must answer"},
		{name: "control character declined", in: "displayName eq \"a\tb\"", reason: "filter-parser refuses it"},
		{name: "sub-attribute declined", in: `members[value eq "u1"].display`, reason: "not a shape of WIRE.md: the general parser reads it"},
		{name: "dotted name declined", in: `members.value eq "u1"`, reason: "a sub-attribute goes to the general parser"},
		{name: "uri prefix declined", in: `urn:ietf:params:scim:schemas:core:2.0:Group:displayName`,
			reason: "a URI prefix goes to the general parser"},
		{name: "or declined", in: `displayName eq "a" or displayName eq "b"`, reason: "only and chains are on the fast path"},
		{name: "not declined", in: `not (displayName eq "a")`, reason: "not goes to the general parser"},
		{name: "pr declined", in: `displayName pr`, reason: "pr goes to the general parser"},
		{name: "number declined", in: `displayName eq 42`, reason: "only string values are on the fast path"},
		{name: "trailing space declined", in: `displayName eq "a" `, reason: "filter-parser refuses it (the server trims a filter first)"},
		{name: "and without spaces declined", in: `displayName eq "a"and id eq "b"`, reason: "filter-parser wants a space on both sides of and"},
		{name: "dollar name declined", in: `$ref`, reason: "names with $ go to the general parser"},
		{name: "empty declined", in: ``, reason: "nothing to parse"},
		{name: "unterminated string declined", in: `displayName eq "a`, reason: "filter-parser refuses it"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := fastPath(tt.in)
			if ok != tt.path {
				t.Fatalf("fastPath took it: %v, want %v", ok, tt.path)
			}
			if ok {
				want, err := filter.ParsePath([]byte(tt.in))
				if err != nil {
					t.Fatalf("filter-parser refuses a path the fast path takes: %v", err)
				}
				if d := cmp.Diff(want, p); d != "" {
					t.Errorf("path tree (-filter-parser +fast):\n%s", d)
				}
			}
			e, ok := fastFilter(tt.in)
			if ok != tt.filter {
				t.Fatalf("fastFilter took it: %v, want %v", ok, tt.filter)
			}
			if ok {
				want, err := filter.ParseFilter([]byte(tt.in))
				if err != nil {
					t.Fatalf("filter-parser refuses a filter the fast path takes: %v", err)
				}
				if d := cmp.Diff(want, e); d != "" {
					t.Errorf("filter tree (-filter-parser +fast):\n%s", d)
				}
			}
		})
	}
}

// The fast path costs a constant number of allocations whatever the length
// of the value: none per byte.
func TestFastPathAllocatesNothingPerByte(t *testing.T) {
	short := `members[value eq "u"]`
	long := `members[value eq "` + strings.Repeat("u", 1000) + `"]`
	allocs := func(s string) float64 {
		return testing.AllocsPerRun(100, func() {
			if _, ok := fastPath(s); !ok {
				t.Fatalf("fastPath declined %q", s)
			}
		})
	}
	if a, b := allocs(short), allocs(long); a != b || a > 3 {
		t.Errorf("fastPath allocates %v times for a 1-byte value and %v for 1,000 bytes, want the same and at most 3", a, b)
	}
}
