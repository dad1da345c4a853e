package scimx

import (
	"context"
	"errors"
	"time"

	"github.com/groupsync/groupsync/group"
)

// Store keeps the groups of every tenant. Each call is scoped to one tenant:
// a transaction sees and changes that tenant's groups only (R16).
//
// Update runs a read-write transaction: every write of f applies, or none
// does when f returns an error, and no other transaction of the tenant sees
// a partial state. View runs a read-only one. [MemStore] is an in-memory
// Store; durable ones live in subpackages.
type Store interface {
	// View runs f in a read-only transaction of tenant.
	View(ctx context.Context, tenant string, f func(Tx) error) error
	// Update runs f in a read-write transaction of tenant and commits it
	// unless f returns an error.
	Update(ctx context.Context, tenant string, f func(Tx) error) error
}

// Tx reads and writes one tenant's groups inside a transaction. Its methods
// return an error wrapping [ErrNotFound] for an unknown id. Writes in a View
// transaction fail with [ErrReadOnlyTx].
type Tx interface {
	// Group returns the group of that id, with its members when members is
	// true and with an empty member set otherwise.
	Group(id string, members bool) (Record, error)
	// Lookup returns the groups whose attr equals value byte for byte,
	// sorted by id, without members. It uses an index.
	Lookup(attr Attr, value string) ([]Record, error)
	// Groups returns every group, sorted by id, without members.
	Groups() ([]Record, error)
	// HasMember reports whether member belongs to the group of that id.
	HasMember(id, member string) (bool, error)
	// GroupIDs returns those of ids that are ids of the tenant's groups, in
	// the order given: members that are groups (never expanded).
	GroupIDs(ids []string) ([]string, error)

	// Create stores g under a new id (g.ID is ignored) at version 1.
	Create(g group.Group) (Record, error)
	// Change applies c to the group of that id and increments its version.
	// It touches only what c names: member changes cost their own size, not
	// the group's.
	Change(id string, c Change) (Record, error)
	// Delete deletes the group of that id.
	Delete(id string) error

	// GroupsOf returns the ids of the groups member belongs to, sorted by
	// id. It uses an index: its cost grows with the answer, not with the
	// tenant.
	GroupsOf(member string) ([]string, error)
	// MemberPage returns at most limit member values of the group of that
	// id that sort after after, byte for byte, in that order. It uses an
	// index: a page costs its own size, not the group's.
	MemberPage(id, after string, limit int) ([]string, error)

	// Append appends e to the tenant's change feed in this transaction
	// (R17), so that the event commits, or rolls back, with the change it
	// describes. It sets e.Seq to one more than the tenant's newest
	// event's (1 for the first), e.ID to a new unique id unless e has one,
	// e.At to the store's time and e.Tenant to the tenant, and returns e.
	// It costs one write, whatever the size of the group or the tenant.
	Append(e FeedEvent) (FeedEvent, error)
	// Events returns the tenant's events whose Seq is greater than after,
	// in increasing Seq, at most limit of them (none when limit < 1).
	Events(after int64, limit int) ([]FeedEvent, error)
	// Cursor returns the Seq recorded under name by SetCursor, or 0.
	Cursor(name string) (int64, error)
	// SetCursor records seq under name: a consumer's durable cursor.
	SetCursor(name string, seq int64) error
	// PruneEvents deletes the events stamped before before that every
	// cursor of the tenant has passed (Seq at most the smallest cursor),
	// except the newest event, which stays so that the sequence goes on
	// without repeating a number. It returns how many it deleted; with no
	// cursor it deletes none.
	PruneEvents(before time.Time) (int, error)
}

// Attr names an indexed attribute for [Tx.Lookup].
type Attr uint8

// The indexed attributes.
const (
	DisplayName Attr = iota + 1
	ExternalID
)

// Record is a group as a [Store] holds it.
type Record struct {
	group.Group
	// Version increases with every change; it is the ETag.
	Version  int64
	Created  time.Time
	Modified time.Time
}

// Change is what one request changes in a group. Nil fields stay as they are.
type Change struct {
	// Name sets the name.
	Name *string
	// ExternalID sets the externalId; "" clears it.
	ExternalID *string
	// Type sets the app-local group type.
	Type *string
	// Attributes, when non-nil, replaces the other local attributes.
	Attributes map[string]string
	// ClearMembers empties the member set before Remove and Add apply.
	ClearMembers bool
	// Remove and Add hold the member values that leave and join, in that
	// order.
	Remove []string
	Add    []string
}

// Kind says what a [FeedEvent]'s change did to its group. One change has
// one kind, the first of these that applies: created, associated,
// deleted, renamed, externalId changed, type changed, members changed. Whatever the
// kind, an event's Added and Removed hold every member change and its
// OldName the name before a rename.
type Kind string

// The kinds of change.
const (
	// Created: a new group (Added holds its members).
	Created Kind = "created"
	// Associated: a SCIM POST associated with an existing group of the
	// same name (R5).
	Associated Kind = "associated"
	// Renamed: the name changed (OldName holds the old one).
	Renamed Kind = "renamed"
	// MembersChanged: only members joined or left.
	MembersChanged Kind = "members"
	// ExternalIDChanged: the externalId changed, and not the name.
	ExternalIDChanged Kind = "externalId"
	// TypeChanged: the app moved the group to another type, and neither
	// its name nor its externalId changed.
	TypeChanged Kind = "type"
	// Deleted: the group was deleted (Removed holds its members).
	Deleted Kind = "deleted"
)

// Actor says who made a change.
type Actor string

// The actors.
const (
	// BySource: a SCIM request of the identity provider.
	BySource Actor = "source"
	// ByApp: the app itself, through a [Directory].
	ByApp Actor = "app"
)

// FeedEvent is one entry of a tenant's change feed (R17): one committed
// change of one group, written in the transaction that made the change.
// Its JSON form is the one the README shows.
type FeedEvent struct {
	// Seq numbers the tenant's events 1, 2, 3, … in commit order, with no
	// gap and no repeat, whichever replica wrote them.
	Seq int64 `json:"seq"`
	// ID is unique and never changes: a consumer that gets an event twice
	// can tell.
	ID string `json:"id"`
	// Tenant is the tenant whose feed holds the event.
	Tenant string `json:"tenant,omitempty"`
	// Group is the group's id and Name its name after the change (before
	// it, for a delete).
	Group string `json:"group"`
	Name  string `json:"name"`
	// OldName is the name before a rename, or "".
	OldName string `json:"oldName,omitempty"`
	// ExternalID is the group's externalId after the change.
	ExternalID string `json:"externalId,omitempty"`
	// Type is the group's app-local type after the change.
	Type string `json:"type,omitempty"`
	// Kind says what the change did.
	Kind Kind `json:"kind"`
	// Added and Removed hold the member values that joined and left,
	// sorted; never nil in an event read back.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// Actor says who made the change.
	Actor Actor `json:"actor"`
	// Version is the group's version after the change (its ETag); for a
	// delete, one more than its last.
	Version int64 `json:"version"`
	// At is when the store appended the event.
	At time.Time `json:"at"`
}

// Store errors.
var (
	// ErrNotFound: no group of that id in the tenant.
	ErrNotFound = errors.New("group not found")
	// ErrReadOnlyTx: a write in a View transaction.
	ErrReadOnlyTx = errors.New("write in a read-only transaction")
)
