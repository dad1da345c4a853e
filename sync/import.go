package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/groupsync/groupsync/origin"
)

// ImportPrefix begins the source id [Applier.Import] gives an imported
// group: "app:" and the target group's id.
const ImportPrefix = "app:"

// Import lists the target's groups and returns the app-created ones as
// source groups that mirror them, with ImportedFrom set (Okta's "Import
// groups"), so that a source can show them read-only: a plan writes nothing
// to them and reports every change the source asks for (R7). A group counts
// as app-created when no link of the store holds it and its origin, as the
// target reports it, is not [origin.Source].
//
// Each imported group's ID is [ImportPrefix] and the target id; its Members
// are read live and mapped back through users (source user id to target
// user id, as in [Input.Users]): a target user no source user maps to is
// left out. A nil users keeps the target's user ids. A target that returns
// no members gives groups without members. The groups are sorted by name,
// then id.
//
// It returns the store's error or the target's; a target that cannot be
// reached gives an error wrapping [ErrNotConnected]. A group deleted
// between the listing and its read is left out.
func (a *Applier) Import(ctx context.Context, users map[string]string) ([]SourceGroup, error) {
	state, err := a.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	linked := make(map[string]bool, len(state.Links))
	for _, l := range state.Links {
		linked[l.TargetID] = true
	}
	list, err := a.Target.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list target groups: %w", err)
	}
	var back map[string]string
	if users != nil {
		back = make(map[string]string, len(users))
		for src, tgt := range users {
			if old, dup := back[tgt]; !dup || src < old {
				back[tgt] = src // the same source user for a target user, run after run
			}
		}
	}
	var out []SourceGroup
	for _, t := range list {
		if linked[t.ID] || t.Origin == origin.Source {
			continue
		}
		g, err := a.Target.Get(ctx, t.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("read target group %s: %w", t.ID, err)
		}
		s := SourceGroup{ID: ImportPrefix + g.ID, Name: g.Name, ImportedFrom: g.ID}
		for _, m := range g.Members.Slice() {
			switch {
			case back == nil:
				s.Members = append(s.Members, m)
			case back[m] != "":
				s.Members = append(s.Members, back[m])
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b SourceGroup) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}
