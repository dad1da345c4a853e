package scimx_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// isoGroup is what the isolation test compares of a stored group.
type isoGroup struct {
	Name, ExternalID, Type, Origin string
	Members                        []string
	Version                        int64
}

func isoSnapshot(t *testing.T, s *testServer, tenant, id string) isoGroup {
	t.Helper()
	rec := s.Group(tenant, id)
	return isoGroup{Name: rec.Name, ExternalID: rec.ExternalID, Type: rec.Type, Origin: rec.Origin.String(),
		Members: rec.Members.Slice(), Version: rec.Version}
}

// R16: two tenants hold groups of the same name; neither can list, read,
// match, associate with, change or delete the other's, and the other's ids
// answer 404.
func TestR16TenantIsolation(t *testing.T) {
	type tenant struct {
		name, token string
		lead, fin   string // ids of its Leadership group, and of a Finance group only it holds
		finName     string // the name of that Finance group
		finExt      string // and its externalId
		member      string // a member of its Leadership group
	}
	s := newServer(t, scimx.ServerOptions{})
	a := &tenant{name: "a", token: tokenA, finName: "Finance A", finExt: "okta-fin-a", member: "a1"}
	b := &tenant{name: "b", token: tokenB, finName: "Finance B", finExt: "okta-fin-b", member: "b1"}
	a.lead = s.Put("a", appGroup("Leadership", "a1", "a2"))
	b.lead = s.Put("b", appGroup("Leadership", "b1"))
	a.fin = s.Put("a", group.Group{Name: a.finName, ExternalID: a.finExt, Origin: origin.Source,
		Type: scimx.DefaultType, Members: group.NewMembers("a5")})
	b.fin = s.Put("b", group.Group{Name: b.finName, ExternalID: b.finExt, Origin: origin.Source,
		Type: scimx.DefaultType, Members: group.NewMembers("b5")})

	type row struct {
		name   string
		reason string
		method string
		path   string
		body   string
		header []string // beside the tenant's credentials
		status int
		ids    []string // for a 200 list: the ids it must hold exactly
	}
	rows := func(me, other *tenant) []row {
		q := func(f string) string { return "/Groups?filter=" + url.QueryEscape(f) }
		return []row{{
			name: "R16/list", reason: "a list holds only the tenant's own groups",
			method: "GET", path: "/Groups?startIndex=1&count=100", status: 200, ids: sorted(me.lead, me.fin),
		}, {
			name: "R16/read", reason: "another tenant's id is unknown here",
			method: "GET", path: "/Groups/" + other.lead, status: 404,
		}, {
			name: "R16/read-projected", reason: "a projection does not change whose groups are read",
			method: "GET", path: "/Groups/" + other.fin + "?excludedAttributes=members", status: 404,
		}, {
			name: "R16/filter-name", reason: "the same name matches only the tenant's own group",
			method: "GET", path: q(`displayName eq "Leadership"`), status: 200, ids: []string{me.lead},
		}, {
			name: "R16/filter-other-name", reason: "a name only the other tenant holds matches nothing",
			method: "GET", path: q(`displayName eq "` + other.finName + `"`), status: 200, ids: []string{},
		}, {
			name: "R16/filter-id", reason: "an id filter does not reach into the other tenant",
			method: "GET", path: q(`id eq "` + other.lead + `"`), status: 200, ids: []string{},
		}, {
			name: "R16/filter-externalId", reason: "the externalId index is per tenant",
			method: "GET", path: q(`externalId eq "` + other.finExt + `"`), status: 200, ids: []string{},
		}, {
			name: "R16/filter-membership-probe", reason: "Entra's probe of the other tenant's group and member finds nothing",
			method: "GET", path: q(`id eq "`+other.lead+`" and members eq "`+other.member+`"`) + "&attributes=id", status: 200, ids: []string{},
		}, {
			name: "R16/filter-member", reason: "a member of the other tenant's group is no member here",
			method: "GET", path: q(`members[value eq "` + other.member + `"]`), status: 200, ids: []string{},
		}, {
			name: "R16/filter-or", reason: "or-ing names of both tenants still sees one tenant",
			method: "GET", path: q(`displayName eq "Leadership" or displayName eq "` + other.finName + `" or externalId eq "` + other.finExt + `"`),
			status: 200, ids: []string{me.lead},
		}, {
			name: "R16/patch-members", reason: "another tenant's group cannot be changed",
			method: "PATCH", path: "/Groups/" + other.lead,
			body: wirePatch(`{"op":"add","path":"members","value":[{"value":"intruder"}]}`), status: 404,
		}, {
			name: "R16/patch-rename", reason: "another tenant's group cannot be renamed",
			method: "PATCH", path: "/Groups/" + other.fin,
			body: wirePatch(`{"op":"replace","value":{"id":"` + other.fin + `","displayName":"Taken"}}`), status: 404,
		}, {
			name: "R16/patch-clear", reason: "another tenant's members cannot be cleared",
			method: "PATCH", path: "/Groups/" + other.lead,
			body: wirePatch(`{"op":"replace","path":"members","value":[]}`), status: 404,
		}, {
			name: "R16/put", reason: "another tenant's group cannot be replaced",
			method: "PUT", path: "/Groups/" + other.fin,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Taken","members":[]}`, status: 404,
		}, {
			name: "R16/put-if-match-star", reason: "If-Match * does not reveal the other tenant's group",
			method: "PUT", path: "/Groups/" + other.lead,
			body:   `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Leadership","members":[]}`,
			header: []string{"If-Match", "*"}, status: 404,
		}, {
			name: "R16/delete", reason: "another tenant's group cannot be deleted",
			method: "DELETE", path: "/Groups/" + other.fin, status: 404,
		}, {
			name: "R16/delete-app-group", reason: "the other tenant's app group answers 404, not the 400 of R7 that would reveal it",
			method: "DELETE", path: "/Groups/" + other.lead, status: 404,
		}}
	}

	for _, dir := range []struct{ me, other *tenant }{{a, b}, {b, a}} {
		me, other := dir.me, dir.other
		auth := []string{"Authorization", "Bearer " + me.token}
		t.Run("as-"+me.name, func(t *testing.T) {
			before := map[string]isoGroup{}
			for _, id := range []string{other.lead, other.fin} {
				before[id] = isoSnapshot(t, s, other.name, id)
			}
			rs := rows(me, other)
			tabletest.Check(t, rs)
			for _, r := range rs {
				t.Run(r.name, func(t *testing.T) {
					got := s.do(t, r.method, r.path, r.body, append(slices.Clone(auth), r.header...)...)
					if got.status != r.status {
						t.Fatalf("%s %s: status %d, want %d: %s; body %s", r.method, r.path, got.status, r.status, r.reason, got.raw)
					}
					if r.status != 200 {
						wireSCIMError(t, got, r.status, "")
					} else {
						p := wireList(t, got)
						if d := cmp.Diff(r.ids, sortedSlice(p.ids)); d != "" {
							t.Errorf("%s %s: %s\nids (-want +got):\n%s", r.method, r.path, r.reason, d)
						}
					}
					for id, want := range before {
						if d := cmp.Diff(want, isoSnapshot(t, s, other.name, id)); d != "" {
							t.Errorf("%s %s changed the other tenant's group %s (-before +after):\n%s", r.method, r.path, id, d)
						}
					}
				})
			}
		})
	}

	// A rename to a name only the other tenant holds is no conflict: a 409
	// would tell that the name exists there.
	t.Run("R16/rename-to-other-tenant-name", func(t *testing.T) {
		authB := []string{"Authorization", "Bearer " + tokenB}
		payroll := s.Put("a", appGroup("Payroll", "a9"))
		before := isoSnapshot(t, s, "a", payroll)
		wire204(t, s.do(t, "PATCH", "/Groups/"+b.fin, wirePatch(`{"op":"replace","path":"displayName","value":"Payroll"}`), authB...))
		wireCheck(t, s, "/Groups/"+b.fin, wireState{DisplayName: "Payroll", ExternalID: b.finExt, Members: []string{"b5"},
			GroupType: scimx.DefaultType, Origin: "source"}, authB...)
		s.do(t, "PUT", "/Groups/"+b.fin, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+b.finName+`",
			"members":[{"value":"b5"}]}`, authB...).must(t, http.StatusOK)
		if d := cmp.Diff(before, isoSnapshot(t, s, "a", payroll)); d != "" {
			t.Errorf("b's renames changed a's group (-before +after):\n%s", d)
		}
		_ = s.Store.Update(context.Background(), "a", func(tx scimx.Tx) error { return tx.Delete(payroll) })
	})

	// A POST of a name only the other tenant holds creates a new group
	// here; one of a name both hold associates with the tenant's own.
	t.Run("R16/post", func(t *testing.T) {
		authB := []string{"Authorization", "Bearer " + tokenB}
		beforeA := map[string]isoGroup{a.lead: isoSnapshot(t, s, "a", a.lead), a.fin: isoSnapshot(t, s, "a", a.fin)}

		r := s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"Finance A","externalId":"`+a.finExt+`","members":[{"value":"b7"}]}`, authB...).must(t, http.StatusCreated)
		newID, _ := r.body["id"].(string)
		if newID == a.fin || newID == "" {
			t.Fatalf("POST as b of a's group name answered id %q, want a new group (a's is %s)", newID, a.fin)
		}
		wireCheck(t, s, "/Groups/"+newID, wireState{DisplayName: "Finance A", ExternalID: a.finExt, Members: []string{"b7"},
			GroupType: scimx.DefaultType, Origin: "source"}, authB...)
		wireSCIMError(t, s.do(t, "GET", "/Groups/"+newID, ""), http.StatusNotFound, "")

		// Each tenant's name lookup finds its own group only.
		q := "/Groups?filter=" + url.QueryEscape(`displayName eq "Finance A"`)
		if p := wireList(t, s.do(t, "GET", q, "", authB...)); !slices.Equal(p.ids, []string{newID}) {
			t.Errorf("b's lookup of Finance A found %v, want [%s]", p.ids, newID)
		}
		if p := wireList(t, s.do(t, "GET", q, "")); !slices.Equal(p.ids, []string{a.fin}) {
			t.Errorf("a's lookup of Finance A found %v, want [%s]", p.ids, a.fin)
		}

		r = s.do(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"Leadership","externalId":"okta-lead-b","members":[{"value":"b2"}]}`, authB...).must(t, http.StatusCreated)
		if r.body["id"] != b.lead {
			t.Errorf("POST as b of Leadership answered id %v, want b's own %s (a's is %s)", r.body["id"], b.lead, a.lead)
		}
		wireCheck(t, s, "/Groups/"+b.lead, wireState{DisplayName: "Leadership", ExternalID: "okta-lead-b",
			Members: []string{"b2"}, GroupType: "Teams", Origin: "target"}, authB...)

		// The other tenant's group id as a member value is just a value:
		// it is not a group of this tenant.
		s.do(t, "PATCH", "/Groups/"+b.lead, wirePatch(`{"op":"add","path":"members","value":[{"value":"`+a.fin+`"}]}`), authB...).must(t, http.StatusNoContent)
		got := s.do(t, "GET", "/Groups/"+b.lead, "", authB...).must(t, http.StatusOK)
		ms, _ := got.body["members"].([]any)
		for _, m := range ms {
			obj, _ := m.(map[string]any)
			if obj["value"] == a.fin && obj["type"] == "Group" {
				t.Errorf("a's group id shows as a member group of type Group in b")
			}
		}
		// And a's group does not list b's group among groups containing it.
		if p := wireList(t, s.do(t, "GET", "/Groups?filter="+url.QueryEscape(`members[value eq "`+a.fin+`"]`), "")); len(p.ids) != 0 {
			t.Errorf("a sees groups %v holding its group, want none", p.ids)
		}

		for id, want := range beforeA {
			if d := cmp.Diff(want, isoSnapshot(t, s, "a", id)); d != "" {
				t.Errorf("b's POSTs changed a's group %s (-before +after):\n%s", id, d)
			}
		}
		if p := wireList(t, s.do(t, "GET", "/Groups", "")); !slices.Equal(p.ids, sorted(a.lead, a.fin)) {
			t.Errorf("a lists %v after b's POSTs, want its own two groups", p.ids)
		}
	})
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func sortedSlice(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return sorted(ids...)
}
