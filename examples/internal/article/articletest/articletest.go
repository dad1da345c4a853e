// Package articletest holds what the tests of the examples that retell the
// article share: the comparison with a golden file, and the check that an
// example takes no arguments but -h.
package articletest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
)

// Golden compares got with the golden file at path and reports the
// difference (-want +got). With update it writes got to path instead,
// creating its directory: read the diff before committing it.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}

// Args checks that run, the run function of the example called name, takes
// no arguments but -h: -h and --help print the usage and succeed, anything
// else fails with an error that shows the usage, and prints nothing.
func Args(t *testing.T, name string, run func(ctx context.Context, args []string, stdout io.Writer) error) {
	t.Helper()
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		reason    string
	}{
		{"help", []string{"-h"}, true, "-h prints the usage and succeeds"},
		{"long help", []string{"--help"}, true, "the flag package accepts --help as -h"},
		{"help beside an argument", []string{"-h", "extra"}, true, "-h stops the parsing before the argument"},
		{"unknown flag", []string{"-v"}, false, "run takes no flags but -h"},
		{"unknown argument", []string{"extra"}, false, "run takes no positional arguments"},
		{"argument after --", []string{"--", "extra"}, false, "-- ends the flags; what follows is still an argument"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if gotErr, wantErr := err != nil, !tt.wantUsage; gotErr != wantErr {
				t.Fatalf("run(%q) = %v, want error %t (%s)", tt.args, err, wantErr, tt.reason)
			}
			if tt.wantUsage {
				if !strings.HasPrefix(out.String(), "usage: "+name) {
					t.Errorf("got output %q for %q, want the usage (%s)", out.String(), tt.args, tt.reason)
				}
				return
			}
			if !strings.Contains(err.Error(), "usage: "+name) {
				t.Errorf("got error %q, want it to show the usage (%s)", err, tt.reason)
			}
			if out.Len() != 0 {
				t.Errorf("got output %q for bad arguments, want none (%s)", out.String(), tt.reason)
			}
		})
	}
}
