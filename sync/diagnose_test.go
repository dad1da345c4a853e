package sync_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/sync"
)

func TestR13Diagnose(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 11, 2, 9, m, 0, 0, time.UTC) }
	readOnly := sync.Finding{Kind: sync.ReadOnly, SourceID: "s5", Name: "Sales",
		TargetIDs: []string{"t5"}, TargetNames: []string{"Sales"}, Detail: "asked to add 1 member"}
	near := sync.Finding{Kind: sync.NearDuplicate, SourceID: "s7", Name: "leadership ",
		TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}}
	tests := []struct {
		name    string
		reason  string
		state   sync.State
		current sync.Plan
		want    []sync.Diagnosis
	}{{
		name:   "R13 changes pending since before the last attempt",
		reason: "the last attempt left the changes pending: the fix is a force sync",
		state: sync.State{Statuses: []sync.Status{{SourceID: "s1", Name: "Engineering", LastAttempt: at(2),
			Outcome: sync.Failed, Error: "503", PendingSince: at(1)}}},
		want: []sync.Diagnosis{{Problem: sync.ChangesPending, SourceID: "s1", Name: "Engineering",
			Since: at(1), LastAttempt: at(2), Detail: "503"}},
	}, {
		name:   "R13 changes pending seen by a current plan",
		reason: "a force plan that still has operations shows changes not on the target (drift a normal sync cannot see)",
		state:  sync.State{Statuses: []sync.Status{{SourceID: "s1", Name: "Engineering", LastAttempt: at(2), Outcome: sync.Unchanged}}},
		current: sync.Plan{Force: true, Groups: []sync.GroupPlan{{SourceID: "s1", TargetID: "t1", Name: "Engineering",
			Ops: []sync.Op{remove("hand")}}}},
		want: []sync.Diagnosis{{Problem: sync.ChangesPending, SourceID: "s1", Name: "Engineering",
			LastAttempt: at(2), Detail: "1 operation on the next push"}},
	}, {
		name:   "R13 read-only in the source",
		reason: "the source asked to change an app-created group: manage it in the app",
		state:  sync.State{LastPlan: &sync.Plan{Findings: []sync.Finding{readOnly}}},
		want: []sync.Diagnosis{{Problem: sync.ReadOnlyInSource, SourceID: "s5", Name: "Sales",
			Detail: `app group "Sales" (id t5): asked to add 1 member`}},
	}, {
		name:    "R13 push created a duplicate",
		reason:  "a near-miss pair exists on the target: delete the duplicate, fix the name, push again",
		current: sync.Plan{Findings: []sync.Finding{near}},
		want: []sync.Diagnosis{{Problem: sync.DuplicateCreated, SourceID: "s7", Name: "leadership ",
			Detail: `near miss of "Leadership" (id t9)`}},
	}, {
		name:    "R13 a blocked near duplicate created nothing",
		reason:  "with BlockNearDuplicates no duplicate exists, so there is nothing to delete",
		current: sync.Plan{Findings: []sync.Finding{{Kind: sync.NearDuplicate, SourceID: "s7", Name: "leadership ", Blocked: true}}},
	}, {
		name:   "R13 force sync did not help carries the group name and the last attempt",
		reason: "the support request needs exactly those two facts; 'run a force sync' would repeat what just failed",
		state: sync.State{Statuses: []sync.Status{{SourceID: "s1", Name: "Engineering", LastAttempt: at(3), Forced: true,
			Outcome: sync.Failed, Error: "503", PendingSince: at(1)}}},
		current: sync.Plan{Groups: []sync.GroupPlan{{SourceID: "s1", Name: "Engineering", Ops: []sync.Op{add("u9")}}}},
		want: []sync.Diagnosis{{Problem: sync.ForceSyncFailed, SourceID: "s1", Name: "Engineering",
			LastAttempt: at(3), Detail: "503"}},
	}, {
		name:   "R13 a first failed attempt is not yet a delay",
		reason: "changes pending since the last attempt itself have had no second chance; the table's check is 'since before'",
		state: sync.State{Statuses: []sync.Status{{SourceID: "s1", Name: "Engineering", LastAttempt: at(2),
			Outcome: sync.Failed, PendingSince: at(2)}}},
	}, {
		name:   "R13 a plan that would create a near duplicate has created nothing yet",
		reason: "a dry run of a new group neither created a duplicate nor left changes behind",
		current: sync.Plan{
			Groups:   []sync.GroupPlan{{SourceID: "s7", Name: "leadership ", Ops: []sync.Op{{Kind: sync.OpCreate, Name: "leadership "}}}},
			Findings: []sync.Finding{near},
		},
	}, {
		name:   "R13 healthy groups have no diagnosis",
		reason: "a successful attempt with nothing pending and a converged plan is not a problem",
		state: sync.State{Statuses: []sync.Status{{SourceID: "s1", Name: "Engineering", LastAttempt: at(3), Forced: true,
			Outcome: sync.Updated, LastSuccess: at(3)}}},
		current: sync.Plan{Groups: []sync.GroupPlan{{SourceID: "s1", Name: "Engineering"}}},
	}}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, sync.Diagnose(tt.state, tt.current), planOpts); d != "" {
				t.Errorf("Diagnose (-want +got):\n%s\n(%s)", d, tt.reason)
			}
		})
	}
}

func TestR13SupportLine(t *testing.T) {
	d := sync.Diagnosis{Problem: sync.ForceSyncFailed, SourceID: "s1", Name: "Engineering",
		LastAttempt: time.Date(2026, 11, 2, 10, 3, 0, 0, time.FixedZone("CET", 3600))}
	want := `group "Engineering" (source s1): force sync did not resolve the delay: contact the app's support with the group name and the timestamp of the last sync attempt: group "Engineering", last sync attempt 2026-11-02T09:03:00Z`
	if got := d.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
