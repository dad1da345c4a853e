package scimxtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/scimx"
)

// The credentials of the two tenants a [Server] serves unless its options
// name others: a bearer token per tenant.
const (
	TokenA  = "token-tenant-a"
	TenantA = "a"
	TokenB  = "token-tenant-b"
	TenantB = "b"
)

// Server is an app built with scimx, served in-process over HTTP: the
// target for the tests of a SCIM client, a sync tool or anything else that
// talks to a SCIM app, the way httptest serves a handler. Its groups live in
// a [scimx.MemStore] that a test reads and writes directly, as the app's own
// UI would. It serves with the settings of [scimx.NewHTTPServer], and routes
// /scim/ to the SCIM service without an http.ServeMux, which would redirect
// paths with dot segments before the service could authenticate them.
type Server struct {
	// URL is the base URL of the SCIM service, such as
	// "http://127.0.0.1:41234/scim/v2".
	URL string
	// Handler serves the whole server: the SCIM service under /scim/v2.
	// A test that sits between a client and the server (to inject faults,
	// say) passes requests on to it.
	Handler http.Handler
	// Store holds the groups of every tenant.
	Store *scimx.MemStore

	tb testing.TB
}

// NewServer starts a Server with opts, which is closed when the test ends.
// A nil opts.Auth serves the tenants [TenantA] and [TenantB] with the bearer
// tokens [TokenA] and [TokenB].
func NewServer(tb testing.TB, opts scimx.ServerOptions) *Server {
	tb.Helper()
	store := &scimx.MemStore{}
	if opts.Auth == nil {
		opts.Auth = scimx.BearerTokens(map[string]string{TokenA: TenantA, TokenB: TenantB})
	}
	h, err := scimx.NewServer(store, opts)
	if err != nil {
		tb.Fatalf("scimxtest: %v", err)
	}
	root := scimx.Mount("/scim", h, nil)
	ts := httptest.NewUnstartedServer(root)
	ts.Config = scimx.NewHTTPServer(root)
	ts.Start()
	tb.Cleanup(ts.Close)
	return &Server{URL: ts.URL + "/scim/v2", Handler: root, Store: store, tb: tb}
}

// Put stores g in tenant as the app would, whatever its origin, and returns
// its id. It fails the test if the store refuses.
func (s *Server) Put(tenant string, g group.Group) string {
	s.tb.Helper()
	var id string
	err := s.Store.Update(context.Background(), tenant, func(tx scimx.Tx) error {
		rec, err := tx.Create(g)
		id = rec.ID
		return err
	})
	if err != nil {
		s.tb.Fatalf("scimxtest: put group %q: %v", g.Name, err)
	}
	return id
}

// Group returns the group of that id in tenant, with its members and local
// attributes, as the app holds it. It fails the test if there is none.
func (s *Server) Group(tenant, id string) scimx.Record {
	s.tb.Helper()
	var rec scimx.Record
	err := s.Store.View(context.Background(), tenant, func(tx scimx.Tx) (err error) {
		rec, err = tx.Group(id, true)
		return err
	})
	if err != nil {
		s.tb.Fatalf("scimxtest: read group %s: %v", id, err)
	}
	return rec
}

// Groups returns every group of tenant, sorted by id, with members.
func (s *Server) Groups(tenant string) []scimx.Record {
	s.tb.Helper()
	var out []scimx.Record
	err := s.Store.View(context.Background(), tenant, func(tx scimx.Tx) error {
		recs, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, r := range recs {
			full, err := tx.Group(r.ID, true)
			if err != nil {
				return err
			}
			out = append(out, full)
		}
		return nil
	})
	if err != nil {
		s.tb.Fatalf("scimxtest: list groups: %v", err)
	}
	return out
}
