package tabletest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	if r.failed == "" {
		r.failed = fmt.Sprintf(format, args...)
	}
}

type row struct {
	name, reason string
}

type exported struct {
	Name, Reason string
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		table  any
		want   string // a part of the failure; empty when the table is good
		reason string
	}{
		{name: "good table", table: []row{{name: "R1 a", reason: "x"}, {name: "R1 b", reason: "y"}},
			reason: "named rows, each with a reason"},
		{name: "exported fields", table: []exported{{Name: "a", Reason: "x"}},
			reason: "Name and Reason count as name and reason"},
		{name: "empty table", table: []row{}, reason: "nothing to refuse"},
		{name: "no reason", table: []row{{name: "R1 a", reason: "x"}, {name: "R1 b"}},
			want: `row "R1 b" has no reason`, reason: "a row must say why its outcome is right"},
		{name: "blank reason", table: []row{{name: "R1 a", reason: " "}},
			want: `row "R1 a" has no reason`, reason: "white space is no reason"},
		{name: "no name", table: []row{{reason: "x"}},
			want: "row 0 has no name", reason: "a row without a name cannot be run on its own"},
		{name: "duplicate name", table: []row{{name: "R1 a", reason: "x"}, {name: "R1 b", reason: "y"}, {name: "R1 a", reason: "z"}},
			want: `rows 0 and 2 are both named "R1 a"`, reason: "t.Run would rename the second one silently"},
	}
	Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			Check(r, tt.table)
			if tt.want == "" && r.failed != "" || !strings.Contains(r.failed, tt.want) {
				t.Errorf("Check failed with %q, want %q (%s)", r.failed, tt.want, tt.reason)
			}
		})
	}
}

func TestCheckPanicsOnAMistakeInTheTest(t *testing.T) {
	for _, table := range []any{[]int{1}, struct{}{}, []struct{ name string }{{"a"}}, []struct{ name, reason int }{{1, 2}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Check(%T) did not panic", table)
				}
			}()
			Check(t, table)
		}()
	}
}
