package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden")

// fixed is the start of the walk-through in the golden file.
var fixed = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// setNow makes the walk-through start at t for the rest of the test.
func setNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

// TestRun compares the walk-through with testdata/plan.golden. Run
// `go test ./examples/plan -update` to rewrite it, and read the diff: it must
// still retell the article.
func TestRun(t *testing.T) {
	setNow(t, fixed)
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	golden := filepath.Join("testdata", "plan.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./examples/plan -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("run output differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestRunWallClock runs the walk-through at another time: its own checks
// must hold whatever the clock says.
func TestRunWallClock(t *testing.T) {
	setNow(t, time.Date(2031, 2, 28, 23, 58, 30, 0, time.FixedZone("X", -7*3600)))
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "last sync attempt 2031-03-01T07:07:00Z") {
		t.Errorf("got output without the expected support timestamp:\n%s", out.String())
	}
}

func TestRunArgs(t *testing.T) {
	setNow(t, fixed)
	tests := []struct {
		name      string
		args      []string
		wantErr   bool
		wantUsage bool
		reason    string
	}{
		{"no arguments", nil, false, false, "the walk-through takes none"},
		{"help", []string{"-h"}, false, true, "-h prints the usage and succeeds"},
		{"long help", []string{"--help"}, false, true, "the flag package accepts --help as -h"},
		{"unknown flag", []string{"-v"}, true, false, "run takes no flags but -h"},
		{"unknown argument", []string{"extra"}, true, false, "run takes no positional arguments"},
		{"argument after --", []string{"--", "extra"}, true, false, "-- ends the flags; what follows is still an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("run(%q) = %v, want error %t (%s)", tt.args, err, tt.wantErr, tt.reason)
			}
			if tt.wantErr {
				if !strings.Contains(err.Error(), "usage:") {
					t.Errorf("got error %q, want it to show the usage", err)
				}
				if out.Len() != 0 {
					t.Errorf("got output %q for bad arguments, want none", out.String())
				}
			}
			if tt.wantUsage && !strings.HasPrefix(out.String(), "usage: plan") {
				t.Errorf("got output %q for %q, want the usage", out.String(), tt.args)
			}
		})
	}
}
