package sync

import (
	"fmt"
	"time"
)

// Outcome is how a push attempt ended for one group. The names complete the
// sentence "group Leadership was …".
type Outcome uint8

// The outcomes.
const (
	// Unchanged: the group was already as desired ("left unchanged").
	Unchanged Outcome = iota + 1
	// Created: the push created the target group.
	Created
	// Linked: the push linked the group to an existing target group.
	Linked
	// Updated: the push renamed the group or changed its members.
	Updated
	// Unlinked: the group left the push; its target group stays.
	Unlinked
	// Deleted: the group left the push and its target group was deleted.
	Deleted
	// Blocked: a finding stopped the push of the group (Error says which).
	Blocked
	// Failed: a request failed (Error says why).
	Failed
)

var outcomeNames = [...]string{
	Unchanged: "left unchanged", Created: "created", Linked: "linked", Updated: "updated",
	Unlinked: "unlinked", Deleted: "deleted", Blocked: "blocked", Failed: "failed",
}

// String completes "group X was …".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// MarshalText encodes o as its String.
func (o Outcome) MarshalText() ([]byte, error) {
	return marshalName(outcomeNames[:], int(o), "outcome")
}

// UnmarshalText decodes an Outcome's String.
func (o *Outcome) UnmarshalText(text []byte) error {
	i, err := unmarshalName(outcomeNames[:], text, "outcome")
	*o = Outcome(i)
	return err
}

// Status is what the last push attempt did to one group (R12).
type Status struct {
	// SourceID, TargetID and Name identify the group; TargetID is empty
	// until the group has a target group.
	SourceID string
	TargetID string `json:",omitempty"`
	Name     string
	// LastAttempt is when the last attempt was made, and Forced whether it
	// was a force sync.
	LastAttempt time.Time
	Forced      bool `json:",omitempty"`
	Outcome     Outcome
	// Error says why the last attempt failed or was blocked.
	Error string `json:",omitempty"`
	// Refused holds the member values the target refused in the last
	// attempt; they were skipped and the group went on (R8).
	Refused []string `json:",omitempty"`
	// LastSuccess is when an attempt last brought the group to its desired
	// state; zero if none has.
	LastSuccess time.Time
	// PendingSince is when the source first asked for changes that are not
	// on the target yet; zero when none are pending.
	PendingSince time.Time
}

// outcome returns what applying gp, successfully, makes of the group.
func (gp GroupPlan) outcome() Outcome {
	if len(gp.Ops) == 0 {
		return Unchanged
	}
	switch gp.Ops[0].Kind {
	case OpCreate:
		return Created
	case OpLink:
		return Linked
	case OpUnlink:
		return Unlinked
	case OpDelete:
		return Deleted
	}
	return Updated
}
