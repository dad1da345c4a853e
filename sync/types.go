package sync

import (
	"context"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// SourceGroup is a group as the source holds it: part of the desired state.
type SourceGroup struct {
	// ID is the source's id for the group. A push sends it as externalId.
	ID string
	// Name is the group's name.
	Name string
	// Members holds source user ids. A user mapping translates them to
	// target user ids.
	Members []string
	// ImportedFrom is the id of the app-created target group this source
	// group mirrors, when the source imported it rather than pushing it.
	// Such a group is read-only in the source (R7): a plan writes nothing to
	// it and reports every change the source asks for.
	ImportedFrom string
}

// TargetGroup is a target group as the source sees it.
type TargetGroup struct {
	// ID, ExternalID and Name are the target's.
	ID         string
	ExternalID string
	Name       string
	// Origin is what the target reports; [origin.Unknown] when it does not
	// say.
	Origin origin.Origin
	// Members holds the group's live members when MembersRead is true:
	// a List leaves them out, a Get reads them where the target returns
	// them.
	Members     group.Members
	MembersRead bool
}

// Snapshot is a linked group's name and members as last pushed: what the
// source knows to be on the target.
type Snapshot struct {
	// Name and Members are as the last applied request left them.
	Name    string
	Members group.Members
}

// Equal reports whether s and o are the same.
func (s Snapshot) Equal(o Snapshot) bool {
	return s.Name == o.Name && s.Members.Equal(o.Members)
}

// Link ties a source group to the target group it pushes to. The source's
// store holds it; it is authoritative.
type Link struct {
	// SourceID is the source group's id, TargetID its target group's.
	SourceID string
	TargetID string
	// Created records that this library created the target group, which
	// makes it source-origin for the source whatever the target reports.
	Created bool
	// Pushed is the last-pushed snapshot; nil when unknown, which makes the
	// next sync read the group live.
	Pushed *Snapshot
}

// Input is everything a plan depends on.
type Input struct {
	// Desired is the complete desired set of source groups. A linked group
	// missing from it is unlinked or deleted (R10), unless Only leaves it
	// out.
	Desired []SourceGroup
	// Users maps source user ids to target user ids. A member missing from
	// a non-nil map is skipped and reported (R8). A nil map sends source
	// user ids as they are.
	Users map[string]string
	// Current holds every target group, with live members where read (see
	// [Policy.Reads]).
	Current []TargetGroup
	// Links holds the stored links with their snapshots.
	Links []Link
	// Force asks for a force sync: linked groups are compared with their
	// live state, not their snapshots (R11).
	Force bool
	// AllowDeletes lets a plan unlink and delete more groups than
	// [Policy.MaxDeletes].
	AllowDeletes bool
	// Only, when non-nil, limits the plan to the source groups of these
	// ids: a push on demand (R21, Okta's "Push Now"). A named group in
	// Desired is planned as usual; a named linked group missing from
	// Desired is unlinked or deleted (R10) and counts towards the delete
	// limit; every other group is left alone, neither pushed nor unlinked,
	// so Desired need not be complete. A named id that is neither desired
	// nor linked gets an Invalid finding. An empty non-nil Only plans
	// nothing.
	Only []string
}

// Change is one request's worth of writes to a target group: what the
// target applies atomically and the store records once it has.
type Change struct {
	// ExternalID, when non-empty, sets the group's externalId.
	ExternalID string
	// Name, when non-empty, sets the group's name.
	Name string
	// Remove and Add hold member values; Remove applies first. Together
	// they carry at most [Policy.MaxMembersPerRequest] values.
	Remove []string
	Add    []string
}

// Target is what the source pushes to. Package scimx implements it over SCIM
// 2.0; package targettest has an in-memory one and a conformance check.
//
// Writes are idempotent (R14): adding a present member or removing an absent
// one succeeds. The slices of a [Change] are read-only to a target. Every method returns an error wrapping [ErrNotFound] for a
// missing group and [origin.ErrReadOnly] when the target refuses to rename or
// delete an app-created group. Create and Update return an error wrapping
// [ErrMemberRefused], having applied nothing, when the target refuses a
// member value; the applier then retries member by member (R8).
type Target interface {
	// List returns every group, without members. A target that cannot be
	// reached, refuses the credentials or does not speak SCIM answers an
	// error wrapping [ErrNotConnected] (R1).
	List(ctx context.Context) ([]TargetGroup, error)
	// Get reads one group with its live members, where the target returns
	// them.
	Get(ctx context.Context, id string) (TargetGroup, error)
	// Create creates a group with c's externalId, name and members (c.Remove
	// is empty) and returns it, without members and with Origin
	// [origin.Source]: the push created it. Where the target already
	// holds exactly one group of that exact name that is not linked
	// elsewhere, it may associate instead (R5): set the externalId, replace
	// the members with c.Add, and return that group, whose Origin then says
	// it was not created by the push. A name held by a group linked
	// elsewhere is an error wrapping [ErrConflict].
	Create(ctx context.Context, c Change) (TargetGroup, error)
	// Update applies c to the group atomically: all of it or nothing.
	Update(ctx context.Context, id string, c Change) error
	// Delete deletes the group.
	Delete(ctx context.Context, id string) error
}
