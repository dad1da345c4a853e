package scimx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/scimx"
)

// users is the app's own Users resource, here in memory: the library
// serves it beside Groups but never provisions users itself.
type users struct {
	mu    sync.Mutex
	names map[string][]string // tenant → userNames; a user's id is its index
}

func (u *users) Create(_ context.Context, tenant string, attrs map[string]any) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	name, _ := attrs["userName"].(string)
	for _, n := range u.names[tenant] {
		if strings.EqualFold(n, name) {
			return scimx.Resource{}, fmt.Errorf("user %q exists: %w", name, scimx.ErrConflict)
		}
	}
	u.names[tenant] = append(u.names[tenant], name)
	return u.resource(tenant, len(u.names[tenant])-1), nil
}

func (u *users) resource(tenant string, i int) scimx.Resource {
	return scimx.Resource{ID: fmt.Sprint(i + 1), Attributes: map[string]any{"userName": u.names[tenant][i], "active": true}}
}

func (u *users) Get(_ context.Context, tenant, id string) (scimx.Resource, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := range u.names[tenant] {
		if fmt.Sprint(i+1) == id {
			return u.resource(tenant, i), nil
		}
	}
	return scimx.Resource{}, fmt.Errorf("user %s: %w", id, scimx.ErrNotFound)
}

// List answers the filters Okta and Entra ID send: none, or userName eq.
func (u *users) List(_ context.Context, tenant string, q scimx.ListQuery) (scimx.ResourcePage, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var all []scimx.Resource
	for i, name := range u.names[tenant] {
		keep := true
		for _, f := range q.Filter {
			if f.Attr != "userName" {
				return scimx.ResourcePage{}, fmt.Errorf("%w: filter on %s", scimx.ErrInvalidFilter, f.Attr)
			}
			v, _ := f.Value.(string)
			keep = keep && strings.EqualFold(name, v)
		}
		if keep {
			all = append(all, u.resource(tenant, i))
		}
	}
	start := min(q.StartIndex-1, len(all))
	return scimx.ResourcePage{Total: len(all), Resources: all[start:min(start+q.Count, len(all))]}, nil
}

func (u *users) Replace(context.Context, string, string, map[string]any) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: users are read-only here", scimx.ErrInvalidValue)
}

func (u *users) Patch(context.Context, string, string, []scimx.PatchOp) (scimx.Resource, error) {
	return scimx.Resource{}, fmt.Errorf("%w: users are read-only here", scimx.ErrInvalidPath)
}

func (u *users) Delete(context.Context, string, string) error {
	return fmt.Errorf("%w: users are read-only here", scimx.ErrInvalidValue)
}

// An app serves its own Users beside Groups: the resource type goes to
// NewServer, which puts it behind the same authentication, tenancy, limits
// and request checks. Okta reads GET /Users?startIndex=1&count=2 when
// provisioning is saved; Entra ID's Test Connection filters on a random
// userName. Both get a ListResponse.
func ExampleResourceType() {
	srv, err := scimx.NewServer(&scimx.MemStore{}, scimx.ServerOptions{
		Auth: scimx.BearerTokens(map[string]string{"okta-token": "acme"}),
		Resources: []scimx.ResourceType{{
			Name:       "User",
			Endpoint:   "/Users",
			Schema:     scimx.UserSchema,
			Extensions: []string{scimx.EnterpriseUserSchema},
			Handler:    &users{names: map[string][]string{"acme": {"alice@example.com", "bob@example.com", "carol@example.com"}}},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(scimx.Mount("/scim", srv, nil))
	defer ts.Close()

	for _, path := range []string{
		"/Users?startIndex=1&count=2",                                // Okta, on save
		"/Users?filter=" + url.QueryEscape(`userName eq "7c1e9a0f"`), // Entra ID's Test Connection
		"/Users", // no credentials
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/scim/v2"+path, nil)
		if path != "/Users" {
			req.Header.Set("Authorization", "Bearer okta-token")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		var body struct {
			TotalResults int `json:"totalResults"`
			Resources    []struct {
				UserName string `json:"userName"`
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		fmt.Println(res.Status, "total", body.TotalResults, "page", len(body.Resources))
	}
	// Output:
	// 200 OK total 3 page 2
	// 200 OK total 0 page 0
	// 401 Unauthorized total 0 page 0
}

// The app's own writes go through a Directory: it keeps the rules a SCIM
// request keeps (a name two groups would hold is refused) and appends each
// change to the tenant's change feed, actor "app". It also answers what an
// app asks: the groups of a user and a group's members, a page at a time,
// from indexes.
func ExampleDirectory() {
	ids := 0
	store := &scimx.MemStore{NewID: func() string { ids++; return fmt.Sprintf("g%d", ids) }}
	d := &scimx.Directory{Store: store}
	ctx := context.Background()

	eng, err := d.Create(ctx, "acme", group.Group{Name: "Engineering", Members: group.NewMembers("u1", "u2", "u3")})
	if err != nil {
		log.Fatal(err)
	}
	_, err = d.Create(ctx, "acme", group.Group{Name: "Engineering"})
	fmt.Println("a second Engineering:", err)
	_, err = d.Edit(ctx, "acme", eng.ID, scimx.Edit{Name: ptr("Platform"), Type: ptr("Teams"), Add: []string{"u4"}, Remove: []string{"u1"}})
	if err != nil {
		log.Fatal(err)
	}

	groups, err := d.GroupsOf(ctx, "acme", "u4")
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range groups {
		fmt.Println("u4 is in", g.ID, g.Name, g.Type)
	}
	page, next, err := d.Members(ctx, "acme", eng.ID, "", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("members", page, "next after", next)

	events, err := d.Events(ctx, "acme", 0, 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range events {
		fmt.Println(e.Seq, e.Actor, e.Kind, e.Name, "was", e.OldName, "added", e.Added, "removed", e.Removed, "version", e.Version)
	}
	// Output:
	// a second Engineering: group g1 is named "Engineering" already: conflicts with another group
	// u4 is in g1 Platform Teams
	// members [u2 u3] next after u3
	// 1 app created Engineering was  added [u1 u2 u3] removed [] version 1
	// 2 app renamed Platform was Engineering added [u4] removed [u1] version 2
}

// A Consumer delivers the change feed to the app's function: every event
// at least once, in order per tenant, from a cursor kept in the store, so
// that a restarted process resumes where it stopped. A failing Handle is
// retried with backoff; Retention deletes what every cursor has passed.
func ExampleConsumer() {
	store := &scimx.MemStore{}
	srv, err := scimx.NewServer(store, scimx.ServerOptions{
		Auth: scimx.BearerTokens(map[string]string{"okta-token": "acme"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(scimx.Mount("/scim", srv, nil))
	defer ts.Close()
	for _, body := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","members":[{"value":"u1"}]}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Leadership","members":[{"value":"u2"}]}`,
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/scim/v2/Groups", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer okta-token")
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
	}

	ctx, stop := context.WithCancel(context.Background())
	c := &scimx.Consumer{
		Store: store,
		Name:  "access-grants", // the durable cursor's name
		Tenants: func(context.Context) ([]string, error) {
			return []string{"acme"}, nil // the app's tenants
		},
		Handle: func(ctx context.Context, e scimx.FeedEvent) error {
			fmt.Println(e.Seq, e.Kind, e.Name, "grant", e.Added, "revoke", e.Removed)
			if e.Seq == 2 {
				stop() // for the example: stop once both are delivered
			}
			return nil // an error retries this event, with backoff
		},
		Retention: 7 * 24 * time.Hour,
	}
	if err := c.Run(ctx); !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
	_ = store.View(context.Background(), "acme", func(tx scimx.Tx) error {
		seq, err := tx.Cursor("access-grants")
		fmt.Println("cursor", seq)
		return err
	})
	// Output:
	// 1 created Engineering grant [u1] revoke []
	// 2 created Leadership grant [u2] revoke []
	// cursor 2
}
