package scimclient_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

// An identity provider pushes groups to any SCIM app through a Client and
// an Applier. Here the app is built with scimx and already holds a group
// of its own, "Leadership": the push links to it by exact name and
// overwrites its members, and creates "Engineering".
func ExampleClient() {
	ids := 0
	appStore := &scimx.MemStore{NewID: func() string { ids++; return fmt.Sprintf("g%d", ids) }}
	_ = appStore.Update(context.Background(), "acme", func(tx scimx.Tx) error {
		_, err := tx.Create(group.Group{Name: "Leadership", Origin: origin.Target, Type: "Teams",
			Members: group.NewMembers("u-carol", "u-dave")})
		return err
	})
	app, err := scimx.NewServer(appStore, scimx.ServerOptions{
		Auth: scimx.BearerTokens(map[string]string{"okta-token": "acme"})})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(http.StripPrefix("/scim", app))
	defer ts.Close()

	client, err := scimclient.New(ts.URL+"/scim/v2", scimclient.Options{
		Auth: scimclient.Bearer("okta-token"),
	})
	if err != nil {
		log.Fatal(err)
	}
	a := &groupsync.Applier{Target: client, Store: &groupsync.MemStore{}}
	plan, statuses, err := a.Sync(context.Background(), groupsync.Input{Desired: []groupsync.SourceGroup{
		{ID: "00g1", Name: "Engineering", Members: []string{"u-alice", "u-bob"}},
		{ID: "00g2", Name: "Leadership", Members: []string{"u-alice", "u-carol"}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan)
	for _, s := range statuses {
		fmt.Printf("group %s was %s\n", s.Name, s.Outcome)
	}
	// Output:
	// Plan: 1 to create, 1 to link, 0 to update, 0 to unlink, 0 to delete, 0 unchanged, 0 blocked.
	//
	//   + create "Engineering" (source 00g1)
	//       + 2 members: u-alice, u-bob
	//
	//   ~ link "Leadership" (source 00g2, target g1) by exact name
	//       ~ externalId -> 00g2
	//       - 1 member: u-dave
	//       + 1 member: u-alice
	// group Engineering was created
	// group Leadership was linked
}
