package sync_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/sync"
)

const maxValues = 100

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		policy sync.Policy
		in     sync.Input
		want   sync.Plan
	}{{
		name:   "R3 new group is created with externalId, name and members",
		reason: "no link, no externalId match and no exact name match: a push creates the group",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u2", "u1")},
			Current: []sync.TargetGroup{listed("t1", "", "Sales", origin.Target)},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{
			SourceID: "00g1", Name: "Engineering",
			Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Engineering", ExternalID: "00g1"}, add("u1", "u2")},
		}}},
	}, {
		name:   "R2 plan carries no type or other attribute",
		reason: "a linked group whose only difference on the target is local (its type) is unchanged: the plan has no field that could set it",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering"}}},
	}, {
		name:   "R5 exact name associates and overwrites membership",
		reason: "an unlinked source group links to the one app group of byte-equal name, sets its externalId, and its members become the source's",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Leadership", "u1", "u2")},
			Current: []sync.TargetGroup{live("t9", "", "Leadership", origin.Target, "u2", "u7")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{
			SourceID: "00g2", TargetID: "t9", Name: "Leadership", Base: snap("Leadership", "u2", "u7"),
			Ops: []sync.Op{{Kind: sync.OpLink, ByName: true, ExternalID: "00g2"}, remove("u7"), add("u1")},
		}}},
	}, {
		name:   "R5 externalId match is adopted before any name match",
		reason: "with no stored link, a target group whose externalId is the source id is the source group's own",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Leadership", "u1")},
			Current: []sync.TargetGroup{
				live("t1", "00g2", "Leadership (old)", origin.Source, "u1"),
				live("t9", "", "Leadership", origin.Target, "u5"),
			},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{
			SourceID: "00g2", TargetID: "t1", Name: "Leadership", Base: snap("Leadership (old)", "u1"),
			Ops: []sync.Op{{Kind: sync.OpLink}, {Kind: sync.OpRename, Name: "Leadership", From: "Leadership (old)"}},
		}}},
	}, {
		name:   "R5 name differing in case is not associated",
		reason: "names compare byte for byte: 'leadership' is not 'Leadership', so a new group is created and flagged (R6)",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g3", "leadership")},
			Current: []sync.TargetGroup{listed("t9", "", "Leadership", origin.Target)},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g3", Name: "leadership",
				Ops: []sync.Op{{Kind: sync.OpCreate, Name: "leadership", ExternalID: "00g3"}}}},
			Findings: []sync.Finding{{Kind: sync.NearDuplicate, SourceID: "00g3", Name: "leadership",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}}},
		},
	}, {
		name:   "R5 two groups of the exact name are ambiguous",
		reason: "when two or more target groups carry the name, nothing is written and the finding names all of them",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Leadership", "u1")},
			Current: []sync.TargetGroup{
				listed("t9", "", "Leadership", origin.Target),
				listed("t3", "", "Leadership", origin.Source),
			},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g2", Name: "Leadership"}},
			Findings: []sync.Finding{{Kind: sync.AmbiguousName, SourceID: "00g2", Name: "Leadership",
				TargetIDs: []string{"t3", "t9"}, TargetNames: []string{"Leadership", "Leadership"}}},
		},
	}, {
		name:   "R5 group with another externalId is linked elsewhere",
		reason: "a target group already linked to another source group (a different non-empty externalId) is never associated, and no duplicate is created",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Leadership")},
			Current: []sync.TargetGroup{listed("t9", "00gX", "Leadership", origin.Source)},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g2", Name: "Leadership"}},
			Findings: []sync.Finding{{Kind: sync.LinkedElsewhere, SourceID: "00g2", Name: "Leadership",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}, Detail: "its externalId is 00gX"}},
		},
	}, {
		name:   "R5 group with a stored link to another source group is linked elsewhere",
		reason: "the stored link is authoritative even when the target group has no externalId",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Leadership", "u1"), src("00g2", "Leadership")},
			Current: []sync.TargetGroup{listed("t9", "", "Leadership", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t9", true, "Leadership", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{
				{SourceID: "00g1", TargetID: "t9", Name: "Leadership"},
				{SourceID: "00g2", Name: "Leadership"},
			},
			Findings: []sync.Finding{{Kind: sync.LinkedElsewhere, SourceID: "00g2", Name: "Leadership",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}, Detail: "linked to source group 00g1"}},
		},
	}, {
		name:   "R5 a name that a rename frees is taken in the same plan, after the rename",
		reason: "t9 leaves the name Leadership for Old, so the unlinked group creates its own; linked groups come before unlinked ones so the rename applies first",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Leadership"), src("00g1", "Old", "u1")},
			Current: []sync.TargetGroup{listed("t9", "", "Leadership", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t9", true, "Leadership", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{
				{SourceID: "00g1", TargetID: "t9", Name: "Old", Ops: []sync.Op{{Kind: sync.OpRename, Name: "Old", From: "Leadership"}}},
				{SourceID: "00g2", Name: "Leadership", Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Leadership", ExternalID: "00g2"}}},
			},
		},
	}, {
		name:   "R5 a name that a delete frees is taken in the same plan, after the delete",
		reason: "the group leaving the push is deleted first, so the new source group of that name gets its own group, not a conflict",
		policy: sync.Policy{Unlink: sync.Delete},
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Ops")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Ops", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Ops")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{
				{SourceID: "00g1", TargetID: "t1", Name: "Ops", Ops: []sync.Op{{Kind: sync.OpDelete}}},
				{SourceID: "00g2", Name: "Ops", Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Ops", ExternalID: "00g2"}}},
			},
		},
	}, {
		name:   "R5 two source groups of one name: the first by id claims it",
		reason: "one target group links to one source group; the other is reported, not given a duplicate",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00gB", "Ops"), src("00gA", "Ops")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{
				{SourceID: "00gA", Name: "Ops", Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Ops", ExternalID: "00gA"}}},
				{SourceID: "00gB", Name: "Ops"},
			},
			Findings: []sync.Finding{{Kind: sync.AmbiguousName, SourceID: "00gB", Name: "Ops",
				Detail: "source group 00gA of the same name is created by this plan"}},
		},
	}, {
		name:   "R6 near miss is flagged and created by default",
		reason: "'leadership ' matches 'Leadership' only after case folding and trimming: the push creates the duplicate of the troubleshooting table, and says so",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g3", "leadership ")},
			Current: []sync.TargetGroup{listed("t9", "", "Leadership", origin.Target)},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g3", Name: "leadership ",
				Ops: []sync.Op{{Kind: sync.OpCreate, Name: "leadership ", ExternalID: "00g3"}}}},
			Findings: []sync.Finding{{Kind: sync.NearDuplicate, SourceID: "00g3", Name: "leadership ",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}}},
		},
	}, {
		name:   "R6 near miss is not created when the policy blocks it",
		reason: "BlockNearDuplicates stops the create; the finding says it was blocked",
		policy: sync.Policy{BlockNearDuplicates: true},
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g3", "leadership ")},
			Current: []sync.TargetGroup{listed("t9", "", "Leadership", origin.Target)},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g3", Name: "leadership "}},
			Findings: []sync.Finding{{Kind: sync.NearDuplicate, SourceID: "00g3", Name: "leadership ",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}, Blocked: true}},
		},
	}, {
		name:   "R6 two new groups of nearly equal names are flagged, and blocked when the policy says so",
		reason: "the pair would be a duplicate on the target as surely as one with an existing group",
		policy: sync.Policy{BlockNearDuplicates: true},
		in: sync.Input{
			Desired: []sync.SourceGroup{src("s1", "Sales"), src("s2", "sales ")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{
				{SourceID: "s1", Name: "Sales", Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Sales", ExternalID: "s1"}}},
				{SourceID: "s2", Name: "sales "},
			},
			Findings: []sync.Finding{{Kind: sync.NearDuplicate, SourceID: "s2", Name: "sales ", Blocked: true,
				Detail: "source group s1 of a nearly equal name is created by this plan"}},
		},
	}, {
		name:   "R6 near duplicate created by a push stays reported",
		reason: "once the duplicate exists, every plan names the pair until someone resolves it (R13: push created a duplicate)",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g3", "leadership ")},
			Current: []sync.TargetGroup{listed("t9", "", "Leadership", origin.Target), listed("t4", "00g3", "leadership ", origin.Source)},
			Links:   []sync.Link{linked("00g3", "t4", true, "leadership ")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g3", TargetID: "t4", Name: "leadership "}},
			Findings: []sync.Finding{{Kind: sync.NearDuplicate, SourceID: "00g3", Name: "leadership ",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}, Detail: "target group t4 was created by a push"}},
		},
	}, {
		name:   "R7 imported app group is read-only to the source",
		reason: "an unlinked app-created group cannot be renamed or have its members edited from the source: nothing is planned, the change is reported",
		in: sync.Input{
			Desired: []sync.SourceGroup{{ID: "00g5", Name: "Sales EMEA", Members: []string{"u1", "u2"}, ImportedFrom: "t5"}},
			Current: []sync.TargetGroup{live("t5", "", "Sales", origin.Target, "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g5", TargetID: "t5", Name: "Sales EMEA"}},
			Findings: []sync.Finding{{Kind: sync.ReadOnly, SourceID: "00g5", Name: "Sales EMEA",
				TargetIDs: []string{"t5"}, TargetNames: []string{"Sales"}, Detail: `asked to rename to "Sales EMEA" and add 1 member`}},
		},
	}, {
		name:   "R7 imported app group unchanged is quiet",
		reason: "a mirror that asks for nothing is not a finding",
		in: sync.Input{
			Desired: []sync.SourceGroup{{ID: "00g5", Name: "Sales", Members: []string{"u1"}, ImportedFrom: "t5"}},
			Current: []sync.TargetGroup{live("t5", "", "Sales", origin.Target, "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g5", TargetID: "t5", Name: "Sales"}}},
	}, {
		name:   "R7 associated app group keeps its name, members follow the source",
		reason: "once linked by R5 an app group's members follow the source (R8), but it is never renamed (R9): the rename is reported",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g2", "Leaders", "u1", "u3")},
			Current: []sync.TargetGroup{listed("t9", "00g2", "Leadership", origin.Target)},
			Links:   []sync.Link{linked("00g2", "t9", false, "Leadership", "u1", "u2")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g2", TargetID: "t9", Name: "Leaders", Ops: []sync.Op{remove("u2"), add("u3")}}},
			Findings: []sync.Finding{{Kind: sync.ReadOnly, SourceID: "00g2", Name: "Leaders",
				TargetIDs: []string{"t9"}, TargetNames: []string{"Leadership"}, Detail: `not renamed from "Leadership"; members are still pushed`}},
		},
	}, {
		name:   "R8 source users without a target user are skipped and reported",
		reason: "a member missing from the user mapping is not sent; the group goes on",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "alice", "bob", "carol")},
			Users:   map[string]string{"alice": "u-a", "carol": "u-c"},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g1", Name: "Engineering",
				Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Engineering", ExternalID: "00g1"}, add("u-a", "u-c")}}},
			Findings: []sync.Finding{{Kind: sync.MemberNotProvisioned, SourceID: "00g1", Name: "Engineering", Members: []string{"bob"}}},
		},
	}, {
		name:   "R8 empty member ids are skipped and reported",
		reason: "an empty id names no user; sending it would fail the group on every run",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "alice", "", "bob")},
			Users:   map[string]string{"alice": "u-a", "bob": ""},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g1", Name: "Engineering",
				Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Engineering", ExternalID: "00g1"}, add("u-a")}}},
			Findings: []sync.Finding{{Kind: sync.MemberNotProvisioned, SourceID: "00g1", Name: "Engineering", Members: []string{"", "bob"}}},
		},
	}, {
		name:   "R8 chunks hold at most MaxMembersPerRequest values, removes first",
		reason: "3 removes and 4 adds at 3 per request: windows [r r r] [a a a] [a], so three requests carry them",
		policy: sync.Policy{MaxMembersPerRequest: 3},
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Eng", "a1", "a2", "a3", "a4", "k")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Eng", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Eng", "k", "r1", "r2", "r3")},
		},
		want: sync.Plan{MaxMembersPerRequest: 3, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Eng",
			Ops: []sync.Op{remove("r1", "r2", "r3"), add("a1", "a2", "a3"), add("a4")}}}},
	}, {
		name:   "R8 a window straddling removes and adds becomes two operations of one request",
		reason: "2 removes and 2 adds at 3 per request: [r r a] [a], two requests, not three",
		policy: sync.Policy{MaxMembersPerRequest: 3},
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Eng", "a1", "a2")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Eng", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Eng", "r1", "r2")},
		},
		want: sync.Plan{MaxMembersPerRequest: 3, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Eng",
			Ops: []sync.Op{remove("r1", "r2"), add("a1"), add("a2")}}}},
	}, {
		name:   "R9 linked pushed group follows a rename in the source",
		reason: "same target id, renamed in place, never deleted and re-created",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Platform", "u1")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Platform",
			Ops: []sync.Op{{Kind: sync.OpRename, Name: "Platform", From: "Engineering"}}}}},
	}, {
		name:   "R10 group leaving the push is unlinked by default",
		reason: "the default unlink action is Leave: the target group stays, the link goes",
		in: sync.Input{
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering",
			Ops: []sync.Op{{Kind: sync.OpUnlink}}}}},
	}, {
		name:   "R10 Delete deletes a pushed group",
		reason: "with the Delete action a source-origin group that left the push is deleted",
		policy: sync.Policy{Unlink: sync.Delete},
		in: sync.Input{
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Unknown)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering",
			Ops: []sync.Op{{Kind: sync.OpDelete}}}}},
	}, {
		name:   "R10 Delete never deletes an app-created group",
		reason: "a target-origin group linked by association is only unlinked",
		policy: sync.Policy{Unlink: sync.Delete},
		in: sync.Input{
			Current: []sync.TargetGroup{listed("t9", "00g2", "Leadership", origin.Target)},
			Links:   []sync.Link{linked("00g2", "t9", false, "Leadership")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g2", TargetID: "t9", Name: "Leadership",
			Ops: []sync.Op{{Kind: sync.OpUnlink}}}}},
	}, {
		name:   "R10 unknown origin not created by the source is only unlinked",
		reason: "a group the target does not say is pushed, and that this library did not create, counts as app-created",
		policy: sync.Policy{Unlink: sync.Delete},
		in: sync.Input{
			Current: []sync.TargetGroup{listed("t9", "00g2", "Leadership", origin.Unknown)},
			Links:   []sync.Link{linked("00g2", "t9", false, "Leadership")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g2", TargetID: "t9", Name: "Leadership",
			Ops: []sync.Op{{Kind: sync.OpUnlink}}}}},
	}, {
		name:   "R11 normal sync compares with the snapshot, not the live group",
		reason: "a member added by hand on the target is not seen by a normal sync: the snapshot says the group is as pushed",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")},
			Current: []sync.TargetGroup{live("t1", "00g1", "Engineering", origin.Source, "u1", "hand")},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering"}}},
	}, {
		name:   "R11 force sync repairs drift from the live group",
		reason: "a force sync reads every linked group live and removes the hand-added member; the live state becomes the base",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")},
			Current: []sync.TargetGroup{live("t1", "00g1", "Engineering", origin.Source, "u1", "hand")},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
			Force:   true,
		},
		want: sync.Plan{Force: true, MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering",
			Base: snap("Engineering", "hand", "u1"), Ops: []sync.Op{remove("hand")}}}},
	}, {
		name:   "R11 force sync on a target that returns no members re-adds and removes nothing",
		reason: "where the target returns no members (AWS) every desired member is sent as an add, none is removed, and it is reported; the snapshot keeps the pending removal of u3 for the next normal sync",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1", "u2")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Source)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1", "u2", "u3")},
			Force:   true,
		},
		want: sync.Plan{Force: true, MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering",
				Ops: []sync.Op{add("u1", "u2")}}},
			Findings: []sync.Finding{{Kind: sync.MembershipUnreadable, SourceID: "00g1", Name: "Engineering",
				TargetIDs: []string{"t1"}, TargetNames: []string{"Engineering"}, Detail: "every member is sent as an add and none is removed"}},
		},
	}, {
		name:   "R11 linked group deleted in the app is reported, not re-created",
		reason: "a missing linked group means someone deleted it in the app; silently re-creating it would undo that",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1")},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering"}},
			Findings: []sync.Finding{{Kind: sync.MissingOnTarget, SourceID: "00g1", Name: "Engineering",
				TargetIDs: []string{"t1"}, Detail: "not re-created; drop the link to push it again"}},
		},
	}, {
		name:   "R11 force sync refreshes a stale snapshot even with nothing to send",
		reason: "the live group already matches the source but not the snapshot: the plan sends nothing and records the live base",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u1", "u2")},
			Current: []sync.TargetGroup{live("t1", "00g1", "Engineering", origin.Source, "u1", "u2")},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1")},
			Force:   true,
		},
		want: sync.Plan{Force: true, MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{{SourceID: "00g1", TargetID: "t1", Name: "Engineering",
			Base: snap("Engineering", "u1", "u2")}}},
	}, {
		name:   "R14 converged pair plans no operation",
		reason: "planning compares desired with current state; a converged pair has nothing to do",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("00g1", "Engineering", "u2", "u1"), src("00g2", "Leadership", "u3")},
			Current: []sync.TargetGroup{listed("t1", "00g1", "Engineering", origin.Source), listed("t9", "00g2", "Leadership", origin.Target)},
			Links:   []sync.Link{linked("00g1", "t1", true, "Engineering", "u1", "u2"), linked("00g2", "t9", false, "Leadership", "u3")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues, Groups: []sync.GroupPlan{
			{SourceID: "00g1", TargetID: "t1", Name: "Engineering"},
			{SourceID: "00g2", TargetID: "t9", Name: "Leadership"},
		}},
	}, {
		name:   "invalid source groups are skipped and reported",
		reason: "an empty or duplicate id or an invalid name cannot be pushed; the rest of the plan goes on",
		in: sync.Input{
			Desired: []sync.SourceGroup{src("", "NoID"), src("00g1", "Bad\x00Name"), src("00g2", "Twin"), src("00g2", "Twin again")},
		},
		want: sync.Plan{MaxMembersPerRequest: maxValues,
			Groups: []sync.GroupPlan{
				{SourceID: "00g1", Name: "Bad\x00Name"},
				{SourceID: "00g2", Name: "Twin", Ops: []sync.Op{{Kind: sync.OpCreate, Name: "Twin", ExternalID: "00g2"}}},
			},
			Findings: []sync.Finding{
				{Kind: sync.Invalid, SourceID: "00g1", Name: "Bad\x00Name", Detail: `invalid group: name "Bad\x00Name" has a control character (U+0000) at byte 3`},
				{Kind: sync.Invalid, Name: "NoID", Detail: "empty source id"},
				{Kind: sync.Invalid, SourceID: "00g2", Name: "Twin again", Detail: "duplicate source id"},
			},
		},
	}}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diffPlan(t, tt.want, tt.policy.Plan(tt.in))
		})
	}
}

func TestR6NearMissNormalisation(t *testing.T) {
	tests := []struct {
		name, source, target string
		near                 bool
		reason               string
	}{
		{"R6 case", "LEADERSHIP", "Leadership", true, "R6 compares after full case folding, so names that differ only in case are a near miss"},
		{"R6 sharp s folds to ss", "Straße", "STRASSE", true, "full case folding maps ß to ss"},
		{"R6 inner white space", "Sales  EMEA", "Sales EMEA", true, "runs of white space collapse"},
		{"R6 no-break and em spaces", " Sales\u00a0EMEA\u2003", "Sales EMEA", true, "any Unicode white space, trimmed and collapsed (tabs are control characters, refused in names)"},
		{"R6 composed and decomposed", "Caf\u00e9", "Cafe\u0301", true, "NFC normalisation joins e and the combining accent"},
		{"R6 different words", "Sales", "Sale", false, "a near miss is a normalisation match, not an edit distance"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sync.Policy{}.Plan(sync.Input{
				Desired: []sync.SourceGroup{src("s1", tt.source)},
				Current: []sync.TargetGroup{listed("t1", "", tt.target, origin.Target)},
			})
			got := len(p.Findings) == 1 && p.Findings[0].Kind == sync.NearDuplicate
			if got != tt.near {
				t.Errorf("%q vs %q: near duplicate = %v, want %v (%s); findings %v", tt.source, tt.target, got, tt.near, tt.reason, p.Findings)
			}
		})
	}
}

func TestR10TooManyDeletes(t *testing.T) {
	var links []sync.Link
	var current []sync.TargetGroup
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"} {
		links = append(links, linked("s"+id, "t"+id, true, id))
		current = append(current, listed("t"+id, "s"+id, id, origin.Source))
	}
	in := sync.Input{Current: current, Links: links}
	tests := []struct {
		name    string
		reason  string
		policy  sync.Policy
		allow   bool
		refused bool
	}{
		{"R10 default limit of 10", "11 unlinks exceed the default of 10: a failed source read must not wipe the target", sync.Policy{}, false, true},
		{"R10 explicit allowance", "AllowDeletes is the explicit allowance R10 names: 11 unlinks over the default limit go through", sync.Policy{}, true, false},
		{"R10 negative limit means none", "a negative MaxDeletes means no limit, so 11 unlinks go through", sync.Policy{MaxDeletes: -1}, false, false},
		{"R10 limit counts deletes", "Delete action, limit 5: 11 deletes are too many", sync.Policy{MaxDeletes: 5, Unlink: sync.Delete}, false, true},
		{"R10 at the limit", "a plan is refused only when its deletes plus unlinks exceed the limit, and 11 at a limit of 11 does not", sync.Policy{MaxDeletes: 11}, false, false},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := in
			in.AllowDeletes = tt.allow
			p := tt.policy.Plan(in)
			err := p.Err()
			if got := errors.Is(err, sync.ErrTooManyDeletes); got != tt.refused {
				t.Fatalf("Err() = %v, refused %v, want %v (%s)", err, got, tt.refused, tt.reason)
			}
			if p.Len() != 11 {
				t.Errorf("plan has %d operations, want all 11 shown even when refused", p.Len())
			}
		})
	}
}

func TestR11Reads(t *testing.T) {
	in := sync.Input{
		Desired: []sync.SourceGroup{
			src("s-linked", "Linked"),
			src("s-nosnap", "No snapshot"),
			src("s-assoc", "Leadership"),
			src("s-adopt", "Adopted"),
			src("s-new", "New"),
			{ID: "s-imp", Name: "Sales", ImportedFrom: "t-sales"},
		},
		Current: []sync.TargetGroup{
			listed("t-linked", "s-linked", "Linked", origin.Source),
			listed("t-nosnap", "s-nosnap", "No snapshot", origin.Source),
			listed("t-lead", "", "Leadership", origin.Target),
			listed("t-adopt", "s-adopt", "Adopted", origin.Source),
			listed("t-sales", "", "Sales", origin.Target),
			listed("t-other", "", "Other", origin.Target),
		},
		Links: []sync.Link{
			linked("s-linked", "t-linked", true, "Linked"),
			{SourceID: "s-nosnap", TargetID: "t-nosnap", Created: true},
		},
	}
	tests := []struct {
		name   string
		reason string
		force  bool
		want   []string
	}{
		{"R11 normal sync reads only associations, first pushes and imports", "linked groups with a snapshot are not read; new groups have nothing to read", false,
			[]string{"t-adopt", "t-lead", "t-nosnap", "t-sales"}},
		{"R11 force sync also reads every linked group", "a force sync repairs drift, so it needs the live members", true,
			[]string{"t-adopt", "t-lead", "t-linked", "t-nosnap", "t-sales"}},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := in
			in.Force = tt.force
			if d := cmp.Diff(tt.want, sync.Policy{}.Reads(in)); d != "" {
				t.Errorf("Reads (-want +got):\n%s\n(%s)", d, tt.reason)
			}
		})
	}
}

func TestFindingErrors(t *testing.T) {
	tests := []struct {
		name   string
		kind   sync.FindingKind
		want   error
		reason string
	}{
		{"R5 ambiguous name is ErrAmbiguousName", sync.AmbiguousName, sync.ErrAmbiguousName,
			"R5: when two or more target groups carry the name, the planner reports ErrAmbiguousName"},
		{"R5 linked elsewhere is ErrLinkedElsewhere", sync.LinkedElsewhere, sync.ErrLinkedElsewhere,
			"R5: a group linked to another source group is reported, and callers tell that apart with errors.Is"},
		{"R6 near duplicate is ErrNearDuplicate", sync.NearDuplicate, sync.ErrNearDuplicate,
			"R6: a near miss fails or flags the group with a near-duplicate finding, told apart with errors.Is"},
		{"R7 read-only is ErrReadOnly", sync.ReadOnly, origin.ErrReadOnly,
			"R7: the planner reports a read-only finding wrapping ErrReadOnly, whose message says to manage the group in the app"},
		{"R11 missing on target is ErrNotFound", sync.MissingOnTarget, sync.ErrNotFound,
			"R11: a linked group deleted in the app is reported as not found on the target, not re-created"},
		{"R10 too many deletes is ErrTooManyDeletes", sync.TooManyDeletes, sync.ErrTooManyDeletes,
			"R10: a plan over MaxDeletes is refused with ErrTooManyDeletes"},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f := (sync.Finding{Kind: tt.kind, SourceID: "s", Name: "n"}); !errors.Is(f, tt.want) {
				t.Errorf("errors.Is(%v finding, %v) = false, want true (%s)", tt.kind, tt.want, tt.reason)
			}
		})
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	in := sync.Input{
		Desired: []sync.SourceGroup{src("b", "Beta", "u2", "u1"), src("a", "Alpha", "u3"), src("c", "alpha "),
			src("d", "Delta", "u1"), src("e", "Gamma")},
		Current: []sync.TargetGroup{listed("t2", "", "Gamma", origin.Target), listed("t1", "", "alpha", origin.Target),
			listed("t4", "d", "Delta", origin.Source), listed("t5", "x", "Old", origin.Source)},
		Links: []sync.Link{linked("d", "t4", true, "Delta"), linked("x", "t5", true, "Old")},
	}
	first := sync.Policy{}.Plan(in)
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		// Any order of the input gives the same plan.
		p := in
		p.Desired, p.Current, p.Links = slices.Clone(in.Desired), slices.Clone(in.Current), slices.Clone(in.Links)
		r.Shuffle(len(p.Desired), func(i, j int) { p.Desired[i], p.Desired[j] = p.Desired[j], p.Desired[i] })
		r.Shuffle(len(p.Current), func(i, j int) { p.Current[i], p.Current[j] = p.Current[j], p.Current[i] })
		r.Shuffle(len(p.Links), func(i, j int) { p.Links[i], p.Links[j] = p.Links[j], p.Links[i] })
		diffPlan(t, first, sync.Policy{}.Plan(p))
	}
}
