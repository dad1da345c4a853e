// Package sync decides and carries out a group push from a source (an
// identity provider) to a target (a SCIM app), with the semantics users know
// from Okta group push: only ID, name and members sync; an unlinked source
// group associates with an app group of exactly the same name; app-created
// groups are read-only to the source; a normal sync pushes the differences
// from what it last pushed, a force sync repairs drift.
//
// The pieces:
//
//   - [Policy] holds the few knobs (request size, unlink action, delete limit,
//     near-duplicate blocking) and plans: [Policy.Plan] is a pure function from
//     an [Input] (the desired source groups, the target's groups, the stored
//     links) to a [Plan] of typed operations and findings.
//   - [Applier] gathers the input from a [Target] and a [Store], plans, and
//     applies a plan request by request, recording links, last-pushed
//     snapshots and a [Status] per group.
//   - [Diagnose] turns statuses and plans into the troubleshooting findings of
//     the help article the library models.
//
// The package shares its name with the standard library's sync. Code that
// needs both imports this one as groupsync:
//
//	import groupsync "github.com/groupsync/groupsync/sync"
package sync
