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

// Store errors.
var (
	// ErrNotFound: no group of that id in the tenant.
	ErrNotFound = errors.New("group not found")
	// ErrReadOnlyTx: a write in a View transaction.
	ErrReadOnlyTx = errors.New("write in a read-only transaction")
)
