package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/walkthrough.golden")

// TestRun runs the walk-through twice at once, each against its own app on
// its own port, and compares both outputs with testdata/walkthrough.golden:
// the output depends on neither the port, the jitter of the client's
// retries, nor the other run. Run `go test ./examples/walkthrough -update`
// to rewrite the golden file, and read the diff: it must still retell the
// article.
func TestRun(t *testing.T) {
	var outs [2]bytes.Buffer
	var errs [2]error
	done := make(chan int)
	for i := range outs {
		go func() {
			errs[i] = run(context.Background(), nil, &outs[i])
			done <- i
		}()
	}
	for range outs {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v\noutput:\n%s", i+1, err, outs[i].String())
		}
	}
	if diff := cmp.Diff(outs[0].String(), outs[1].String()); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
	// Two runs agree, so no time measured at run time is printed; the
	// address would differ between runs on other machines too.
	if s := outs[0].String(); strings.Contains(s, "127.0.0.1") {
		t.Errorf("got output with an address:\n%s", s)
	}

	golden := filepath.Join("testdata", "walkthrough.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, outs[0].Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./examples/walkthrough -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), outs[0].String()); diff != "" {
		t.Errorf("run output differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestRunCanceled checks that a canceled context stops the walk-through
// with an error rather than a claim it could not check.
func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := run(ctx, nil, &out); err == nil {
		t.Fatalf("run with a canceled context = nil, want an error; output:\n%s", out.String())
	}
}

func TestRunArgs(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		reason    string
	}{
		{"help", []string{"-h"}, true, "-h prints the usage and succeeds"},
		{"long help", []string{"--help"}, true, "the flag package accepts --help as -h"},
		{"unknown flag", []string{"-v"}, false, "run takes no flags but -h"},
		{"unknown argument", []string{"extra"}, false, "run takes no positional arguments"},
		{"argument after --", []string{"--", "extra"}, false, "-- ends the flags; what follows is still an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if gotErr, wantErr := err != nil, !tt.wantUsage; gotErr != wantErr {
				t.Fatalf("run(%q) = %v, want error %t (%s)", tt.args, err, wantErr, tt.reason)
			}
			if tt.wantUsage {
				if !strings.HasPrefix(out.String(), "usage: walkthrough") {
					t.Errorf("got output %q for %q, want the usage (%s)", out.String(), tt.args, tt.reason)
				}
				return
			}
			if !strings.Contains(err.Error(), "usage:") {
				t.Errorf("got error %q, want it to show the usage (%s)", err, tt.reason)
			}
			if out.Len() != 0 {
				t.Errorf("got output %q for bad arguments, want none (%s)", out.String(), tt.reason)
			}
		})
	}
}
