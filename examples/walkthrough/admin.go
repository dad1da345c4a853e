package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/examples/internal/article"
	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
)

// admin is 15Five as its admin reaches it: the app's admin API, which
// stands in for its UI, with Okta's tenant's token. It prints every request
// that changes something, with its answer.
type admin struct {
	base  string // never printed
	http  *http.Client
	token string
	out   *article.Printer
	wire  *wire
}

var _ article.App = (*admin)(nil)

func (a *admin) Create(ctx context.Context, g group.Group) (group.Group, error) {
	var v app.Group
	if err := a.do(ctx, http.MethodPost, "/admin/groups",
		map[string]any{"displayName": g.Name, "type": g.Type, "members": g.Members.Slice()}, &v); err != nil {
		return group.Group{}, err
	}
	return fromView(v)
}

func (a *admin) Groups(ctx context.Context) ([]group.Group, error) {
	var vs []app.Group
	if err := a.do(ctx, http.MethodGet, "/admin/groups", nil, &vs); err != nil {
		return nil, err
	}
	gs := make([]group.Group, 0, len(vs))
	for _, v := range vs {
		g, err := fromView(v)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

func (a *admin) SetType(ctx context.Context, id, typ string) error {
	return a.do(ctx, http.MethodPatch, "/admin/groups/"+id, map[string]any{"type": typ}, &app.Group{})
}

func (a *admin) AddMember(ctx context.Context, id, member string) error {
	var v app.Group
	if err := a.do(ctx, http.MethodGet, "/admin/groups/"+id, nil, &v); err != nil {
		return err
	}
	members := group.NewMembers(v.Members...).With(member).Slice()
	return a.do(ctx, http.MethodPatch, "/admin/groups/"+id, map[string]any{"members": members}, &app.Group{})
}

// FailUpdates makes the network, not the app, answer 503 to every PATCH of
// the group, which is how Okta's client updates it.
func (a *admin) FailUpdates(_ context.Context, id string) (func(), error) {
	a.wire.fail(id)
	a.out.Printf("    (the network now answers 503 to PATCH /scim/v2/Groups/%s)\n", id)
	return func() { a.wire.fail("") }, nil
}

// do sends one admin API request and decodes the answer into out.
func (a *admin) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, errors.Unwrap(err)) // without the URL
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if method != http.MethodGet {
		a.out.Printf("  admin API: %s %s %s -> %s\n", method, path, body, res.Status)
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}

// fromView returns the group the admin API shows.
func fromView(v app.Group) (group.Group, error) {
	var o origin.Origin
	if err := o.UnmarshalText([]byte(v.Origin)); err != nil {
		return group.Group{}, fmt.Errorf("group %s: %w", v.ID, err)
	}
	return group.Group{ID: v.ID, ExternalID: v.ExternalID, Name: v.DisplayName,
		Members: group.NewMembers(v.Members...), Origin: o, Type: v.Type}, nil
}
