package sync

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Problem is a row of the troubleshooting table (R13).
type Problem uint8

// The problems, with what to check and how to fix each.
const (
	// ChangesPending: group changes are not on the target yet. Check:
	// changes are pending since before the last attempt. Fix: run a force
	// sync.
	ChangesPending Problem = iota + 1
	// ReadOnlyInSource: the group is read-only in the source. Check: the
	// source asked to change an app-created group. Fix: manage the group in
	// the app.
	ReadOnlyInSource
	// DuplicateCreated: a push created a duplicate instead of updating
	// membership. Check: a near-miss pair of names exists on the target.
	// Fix: delete the duplicate, correct the source name to match exactly,
	// push again.
	DuplicateCreated
	// ForceSyncFailed: a force sync did not resolve the delay. Fix: contact
	// the app's support with the group name and the timestamp of the last
	// sync attempt, which the Diagnosis carries.
	ForceSyncFailed
	// NameClash: the target holds the name under another group. Check: the
	// target refused a create or rename with 409, or the plan found the
	// name taken. Fix: rename one of the two ([Diagnosis.Fix] names the
	// name).
	NameClash
	// TargetRefused: the target refused the change for a reason pushing
	// again does not mend (a 4xx other than 409 and 429). Fix: correct
	// what the target's answer, in Detail, names.
	TargetRefused
	// TargetUnavailable: the target did not answer, answered only 429 and
	// 5xx, or the run's deadline passed, before the group was done (R19).
	// Fix: make sure the app answers and push again; the next push resumes.
	TargetUnavailable
	// MembersSkipped: members were left out of the group: source users
	// without a target user, or member values the target refused (R8).
	// Fix: provision them in the app (or map them), then push again.
	MembersSkipped
)

// problemText holds the rows of the troubleshooting table (R13).
var problemText = [...]struct{ issue, check, fix string }{
	ChangesPending: {"group changes are not on the target yet",
		"changes pending since before the last attempt", "run a force sync"},
	ReadOnlyInSource: {"group is read-only in the source",
		"the source asked to change an unlinked group created in the app", "manage the group in the app; it cannot be edited from the source"},
	DuplicateCreated: {"pushing the group created a duplicate instead of updating membership",
		"a pair of groups whose names differ only in case, white space or Unicode form exists on the target",
		"delete the duplicate, correct the source group name to match exactly, and push again"},
	ForceSyncFailed: {"force sync did not resolve the delay",
		"the last attempt was forced and failed or left changes pending",
		"contact the app's support with the group name and the timestamp of the last sync attempt"},
	NameClash: {"the group's name is taken on the target",
		"the target refused a create or rename with 409, or the plan found another target group holding the name",
		"another group on the target holds the name: rename one of them"},
	TargetRefused: {"the target refused the change",
		"the last attempt failed with an answer that pushing again gets again (a 4xx other than 409 and 429)",
		"correct what the target's answer names, then push again; a force sync cannot help"},
	TargetUnavailable: {"the target was unavailable",
		"the last run could not reach the target, it answered only 429 and 5xx, or the run's deadline passed, before the group was done",
		"make sure the app answers, then push again: the next push resumes with this group"},
	MembersSkipped: {"some members were not pushed",
		"source users without a target user, or member values the target refused",
		"provision the users in the app (or add them to the user mapping), then push again"},
}

// String says what the problem is, as the troubleshooting table's issue
// column does.
func (p Problem) String() string {
	if p.valid() {
		return problemText[p].issue
	}
	return fmt.Sprintf("Problem(%d)", p)
}

// Check says what to check, as the troubleshooting table does.
func (p Problem) Check() string {
	if p.valid() {
		return problemText[p].check
	}
	return ""
}

// Fix says how to fix the problem.
func (p Problem) Fix() string {
	if p.valid() {
		return problemText[p].fix
	}
	return ""
}

func (p Problem) valid() bool { return int(p) < len(problemText) && problemText[p].issue != "" }

// Diagnosis is one problem of one group.
type Diagnosis struct {
	// Problem is the row of the troubleshooting table.
	Problem Problem
	// SourceID and Name identify the source group.
	SourceID string
	Name     string
	// Since is when the changes started pending (ChangesPending), when
	// known.
	Since time.Time
	// LastAttempt is the timestamp of the last sync attempt: what a
	// ForceSyncFailed support request needs, with Name.
	LastAttempt time.Time
	// Detail is the finding or error behind the diagnosis.
	Detail string
}

// Fix says how to fix d: its problem's fix, with the name where the
// problem is a name clash.
func (d Diagnosis) Fix() string {
	if d.Problem == NameClash {
		return fmt.Sprintf("another group on the target is named %q: rename one of them", d.Name)
	}
	return d.Problem.Fix()
}

// String renders d in one line: the group, the problem, the evidence and the
// fix.
func (d Diagnosis) String() string {
	s := fmt.Sprintf("group %q (source %s): %s", d.Name, d.SourceID, d.Problem)
	switch {
	case d.Problem == ForceSyncFailed:
		return fmt.Sprintf("%s: %s: group %q, last sync attempt %s", s, d.Problem.Fix(), d.Name, d.LastAttempt.UTC().Format(time.RFC3339))
	case d.Problem == ChangesPending && !d.Since.IsZero():
		s += fmt.Sprintf(" (pending since %s)", d.Since.UTC().Format(time.RFC3339))
	}
	if d.Detail != "" {
		s += " (" + d.Detail + ")"
	}
	return s + ": " + d.Fix()
}

// Diagnose turns a store's state (statuses and last plan) and a plan of the
// current state into the troubleshooting findings of R13, one per group and
// problem, sorted by name, source id, then problem.
//
// current is optional: the zero Plan diagnoses from the store alone, which
// is what [Applier.Diagnose] does and what to call right after a push. A
// plan made since (a force plan shows drift a normal one cannot see) adds
// the groups it would still change; never pass the plan just applied,
// whose operations are done.
//
//   - TargetUnavailable: a group the last run did not attempt, or whose
//     first failed attempt found the target unavailable (R19). Once such
//     a failure repeats, the article's rows apply: ChangesPending, then
//     ForceSyncFailed after a forced attempt.
//   - NameClash: a group the target refused with 409, or whose rename the
//     plan found taken (a NameTaken finding).
//   - TargetRefused: a group the target refused for another reason that
//     pushing again does not mend, with the target's status and detail.
//   - ChangesPending: a status whose changes have been pending since before
//     its last attempt, unless the failure is one a retry cannot mend, or a
//     group the current plan would change after an attempt.
//   - ReadOnlyInSource: a read-only finding of the last or current plan.
//   - DuplicateCreated: a near-duplicate finding of a group that a push
//     created (not one it would create, nor one the policy blocked).
//   - ForceSyncFailed: a status whose last attempt was forced and failed
//     (unless a retry cannot mend the failure) or left changes pending.
//   - MembersSkipped: a status with skipped or refused members.
//
// None of them advises a force sync for a failure that a retry cannot
// mend.
func Diagnose(st State, current Plan) []Diagnosis {
	seen := map[[2]string]int{} // (problem, source id) -> index in out
	var out []Diagnosis
	add := func(d Diagnosis) {
		k := [2]string{d.Problem.String(), d.SourceID}
		if i, ok := seen[k]; ok {
			if out[i].Detail == "" {
				out[i].Detail = d.Detail
			}
			return
		}
		seen[k] = len(out)
		out = append(out, d)
	}
	statuses := map[string]Status{}
	explained := map[string]bool{} // a diagnosis supersedes "run a force sync"
	for _, s := range st.Statuses {
		statuses[s.SourceID] = s
		d := Diagnosis{SourceID: s.SourceID, Name: s.Name, LastAttempt: s.LastAttempt, Detail: s.Error}
		pending := !s.PendingSince.IsZero() && s.PendingSince.Before(s.LastAttempt)
		switch {
		case s.Outcome == NotAttempted,
			s.Outcome == Failed && s.Cause == CauseUnavailable && !s.Forced && !pending:
			// A retry can mend it, and the next run makes one; the
			// article's rows take over once it has failed again.
			d.Problem, d.Since = TargetUnavailable, s.PendingSince
			explained[s.SourceID] = true
			add(d)
		case s.Outcome == Failed && s.Cause == CauseNameTaken:
			d.Problem, d.Detail = NameClash, answer(s)
			explained[s.SourceID] = true
			add(d)
		case s.Outcome == Failed && s.Cause == CauseRefused:
			d.Problem, d.Detail = TargetRefused, answer(s)
			explained[s.SourceID] = true
			add(d)
		case s.Outcome == Blocked:
			explained[s.SourceID] = true // the plan's finding says why
		case s.Forced && (s.Outcome == Failed || !s.PendingSince.IsZero()):
			d.Problem = ForceSyncFailed
			explained[s.SourceID] = true
			add(d)
		case pending:
			d.Problem, d.Since = ChangesPending, s.PendingSince
			add(d)
		}
		if len(s.Skipped)+len(s.Refused) > 0 {
			var parts []string
			if len(s.Skipped) > 0 {
				parts = append(parts, fmt.Sprintf("%s without a target user: %s", plural(len(s.Skipped), "source user"), abbreviate(s.Skipped, 10)))
			}
			if len(s.Refused) > 0 {
				parts = append(parts, fmt.Sprintf("%s refused by the target: %s", plural(len(s.Refused), "member"), abbreviate(s.Refused, 10)))
			}
			add(Diagnosis{Problem: MembersSkipped, SourceID: s.SourceID, Name: s.Name, LastAttempt: s.LastAttempt,
				Detail: joinAnd(parts)})
		}
	}
	// A group the current plan would change has changes that are not on the
	// target, once a push has been attempted for it.
	creates := map[string]bool{}
	for _, g := range current.Groups {
		if len(g.Ops) > 0 && g.Ops[0].Kind == OpCreate {
			creates[g.SourceID] = true
		}
		s, attempted := statuses[g.SourceID]
		if len(g.Ops) > 0 && attempted && !s.LastAttempt.IsZero() && !explained[g.SourceID] {
			add(Diagnosis{Problem: ChangesPending, SourceID: g.SourceID, Name: g.Name,
				Since: s.PendingSince, LastAttempt: s.LastAttempt,
				Detail: fmt.Sprintf("%s on the next push", plural(len(g.Ops), "operation"))})
		}
	}
	// A near miss is a duplicate on the target once the push created it:
	// in the current plan, for a group it does not create; in the last plan,
	// for a group whose status says it was created.
	duplicate := func(f Finding, created bool) {
		if f.Kind == NearDuplicate && !f.Blocked && created {
			add(Diagnosis{Problem: DuplicateCreated, SourceID: f.SourceID, Name: f.Name,
				Detail: "near miss of " + targets(f)})
		}
	}
	for _, f := range current.Findings {
		duplicate(f, !creates[f.SourceID])
	}
	blocked := func(f Finding) {
		switch f.Kind {
		case ReadOnly:
			add(Diagnosis{Problem: ReadOnlyInSource, SourceID: f.SourceID, Name: f.Name,
				LastAttempt: statuses[f.SourceID].LastAttempt,
				Detail:      fmt.Sprintf("app group %s: %s", targets(f), f.Detail)})
		case NameTaken:
			add(Diagnosis{Problem: NameClash, SourceID: f.SourceID, Name: f.Name,
				LastAttempt: statuses[f.SourceID].LastAttempt,
				Detail:      "held by " + targets(f)})
		}
	}
	for _, f := range current.Findings {
		blocked(f)
	}
	if st.LastPlan != nil {
		for _, f := range st.LastPlan.Findings {
			blocked(f)
			s := statuses[f.SourceID]
			duplicate(f, s.TargetID != "" && s.Outcome != Failed && s.Outcome != Blocked)
		}
	}
	slices.SortFunc(out, func(a, b Diagnosis) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SourceID, b.SourceID), cmp.Compare(a.Problem, b.Problem))
	})
	return out
}

// answer describes the target's answer recorded in s, or s's error.
func answer(s Status) string {
	switch {
	case s.TargetStatus != 0 && s.TargetDetail != "":
		return fmt.Sprintf("the target answered %d: %s", s.TargetStatus, s.TargetDetail)
	case s.TargetStatus != 0:
		return fmt.Sprintf("the target answered %d (%s)", s.TargetStatus, s.Error)
	}
	return s.Error
}

// Diagnose diagnoses the state in the applier's store alone, as [Diagnose]
// does with no current plan: right after a push it reports only what that
// push could not do. It returns the store's error, if any.
func (a *Applier) Diagnose(ctx context.Context) ([]Diagnosis, error) {
	st, err := a.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	return Diagnose(st, Plan{}), nil
}
