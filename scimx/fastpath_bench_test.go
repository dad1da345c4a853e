package scimx

import (
	"testing"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/groupsync/groupsync/internal/benchpair"
)

// BenchmarkFastPath parses the paths and filters real clients send with
// the fast path and with filter-parser (the baseline) in one loop, and
// reports the fast path's time and bytes as multiples of filter-parser's
// (x-baseline-time, x-baseline-bytes). It fails when the fast path takes
// more than a tenth of filter-parser's time: it exists to take the
// parsing off a request's bill.
//
//	go test ./scimx -run '^$' -bench FastPath -count 6
func BenchmarkFastPath(b *testing.B) {
	for _, c := range []struct {
		name, in string
		path     bool
	}{
		{"path=members-value-eq", `members[value eq "00u1a2b3c4d5e6f7g8h9"]`, true},
		{"path=members", `members`, true},
		{"filter=displayName-eq", `displayName eq "Engineering"`, false},
		{"filter=id-and-members-eq", `id eq "3f9c0e2a-1b4d-4c6e-8f00-123456789abc" and members eq "00u1a2b3c4d5e6f7g8h9"`, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			general, fast := func() {
				if _, err := filter.ParseFilter([]byte(c.in)); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if _, ok := fastFilter(c.in); !ok {
					b.Fatal("the fast path declined")
				}
			}
			if c.path {
				general, fast = func() {
					if _, err := filter.ParsePath([]byte(c.in)); err != nil {
						b.Fatal(err)
					}
				}, func() {
					if _, ok := fastPath(c.in); !ok {
						b.Fatal("the fast path declined")
					}
				}
			}
			p := benchpair.Run(b, general, fast, benchpair.Options{})
			if t, _ := p.Report(b, "filter-parser", "fast"); t > 0.1 {
				b.Errorf("the fast path takes %.3f× filter-parser's time, want at most 0.1×", t)
			}
		})
	}
}
