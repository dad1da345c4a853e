package sync_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run go test -update after checking):\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

func TestPlanString(t *testing.T) {
	many := make([]string, 250)
	for i := range many {
		many[i] = fmt.Sprintf("u%03d", i)
	}
	users := map[string]string{"u1": "u1", "u2": "u2", "u3": "u3", "u4": "u4", "alice": "u-alice"}
	for _, u := range many {
		users[u] = u
	}
	tests := []struct {
		name   string
		reason string
		policy sync.Policy
		in     sync.Input
	}{{
		name:   "empty",
		reason: "a plan with nothing to do still prints its summary line, so a converged run says it did nothing instead of printing nothing",
	}, {
		name: "every-operation",
		reason: "one plan with every kind of operation and two kinds of finding shows how each reads for people, like terraform plan: " +
			"a long member list is cut after ten with its request count (R8), an app group under Delete is only unlinked (R10), " +
			"a link by exact name shows its externalId and membership deltas (R5), a near miss is flagged (R6)",
		policy: sync.Policy{Unlink: sync.Delete},
		in: sync.Input{
			Desired: []sync.SourceGroup{
				src("00g1", "Engineering", "u1", "u2"),
				src("00g2", "Leadership", "u1", "u3"),
				src("00g3", "Platform", "u4"),
				src("00g4", "Everyone", many...),
				src("00g7", "leadership "),
				src("00g8", "Support", "alice", "bob"),
			},
			Users: users,
			Current: []sync.TargetGroup{
				live("t9", "", "Leadership", origin.Target, "u3", "u7", "u8"),
				listed("t3", "00g3", "Platform team", origin.Source),
				listed("t5", "00g5", "Old", origin.Source),
				listed("t6", "00g6", "App owned", origin.Target),
			},
			Links: []sync.Link{
				linked("00g3", "t3", true, "Platform team", "u4"),
				linked("00g5", "t5", true, "Old", "u1"),
				linked("00g6", "t6", false, "App owned"),
			},
		},
	}, {
		name:   "force-unreadable",
		reason: "R11: a force sync on a target that returns no members says it is forced, sends every member as an add and reports membership unreadable",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1", "u2")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
			Force:   true,
		},
	}, {
		name:   "too-many-deletes",
		reason: "R10: a refused plan still shows every unlink it would make, with the finding that refuses it, so the user sees what the limit stopped",
		policy: sync.Policy{MaxDeletes: 1},
		in: sync.Input{
			Current: []sync.TargetGroup{listed("t1", "00g1", "A", origin.Source), listed("t2", "00g2", "B", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "A"), linked("00g2", "t2", true, "B")},
		},
	}}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Log(tt.reason)
			golden(t, "plan-"+tt.name, tt.policy.Plan(tt.in).String())
		})
	}
}
