package scimxtest

import (
	"context"
	"fmt"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// Endpoint returns the [Endpoint] of a Server whose Auth is the default
// one: the tenants [TenantA] and [TenantB] by their tokens, and hooks that
// act on the store as the app's own UI would. [TestEndpoint] passes it when
// the Server's options serve Users too (a [scimx.ResourceType] at
// "/Users"), which Okta and Entra ID read to connect: the kit's own proof
// against an app built with scimx.
func (s *Server) Endpoint() Endpoint {
	update := func(ctx context.Context, f func(scimx.Tx) error) error {
		return s.Store.Update(ctx, TenantA, f)
	}
	return Endpoint{
		URL:         s.URL,
		Tenant:      Bearer(TokenA),
		OtherTenant: Bearer(TokenB),
		DefaultType: scimx.DefaultType,
		CreateAppGroup: func(ctx context.Context, name string, members []string) (string, error) {
			var id string
			err := update(ctx, func(tx scimx.Tx) error {
				rec, err := tx.Create(group.Group{Name: name, Origin: origin.Target, Type: "Teams", Members: group.NewMembers(members...)})
				id = rec.ID
				return err
			})
			return id, err
		},
		DeleteAppGroup: func(ctx context.Context, id string) error {
			return update(ctx, func(tx scimx.Tx) error { return tx.Delete(id) })
		},
		SetGroupType: func(ctx context.Context, id, groupType string) error {
			return update(ctx, func(tx scimx.Tx) error {
				_, err := tx.Change(id, scimx.Change{Type: &groupType})
				return err
			})
		},
		GroupType: func(ctx context.Context, id string) (string, error) {
			var typ string
			err := s.Store.View(ctx, TenantA, func(tx scimx.Tx) error {
				rec, err := tx.Group(id, false)
				typ = rec.Type
				return err
			})
			if err != nil {
				return "", fmt.Errorf("read group %s: %w", id, err)
			}
			return typ, nil
		},
	}
}
