package scimxtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/groupsync/groupsync/internal/tabletest"
)

// TestEndpointCatchesFaults is the proof that the kit tests behaviour:
// each row injects one fault into the minimal service, which passes the
// kit without it (TestEndpointMinimal), and the check made for that fault
// must fail, saying which client breaks.
func TestEndpointCatchesFaults(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		fault  string // see minimal
		check  string
	}{
		{"R5 case-insensitive name match", "names compare byte for byte: a POST of \"SALES\" must not take over \"Sales\", and displayName eq must not find it",
			"case-insensitive names", "R5 associate by exact name"},
		{"R5 duplicate created on POST", "a POST of the exact name of one group associates with it instead of creating a second",
			"duplicate on POST", "R5 associate by exact name"},
		{"R5 association adds to the app group's members", "an association overwrites the app group's membership with the source's",
			"association adds", "R5 associate with an app group"},
		{"R5 ambiguous name picks the first group", "with two groups of the name nothing is written and the answer is 409",
			"ambiguous picks first", "R5 ambiguous names"},
		{"SCIM partially applied PATCH", "a PATCH whose last operation is refused must not keep the operations before it",
			"partial PATCH", "SCIM atomic PATCH"},
		{"SCIM members dropped on PUT", "Okta's wizard apps push membership as a PUT of the full member list",
			"members dropped on PUT", OktaWizard},
		{"R4 local type overwritten", "a type the app gave a group survives every push, a PUT that omits it included",
			"type overwritten", "R4 local attributes are never overwritten"},
		{"R7 app group can be renamed", "a group created in the app is never renamed over SCIM",
			"app group renamed", "R7 app-created groups belong to the app"},
		{"R16 cross-tenant read", "another tenant's ids answer 404",
			"cross-tenant read", "R16 tenants are isolated"},
		{"SCIM 404 for a filter with no match", "no match is 200 with an empty list: Entra ID quarantines the job on a 404",
			"404 for no match", "SCIM filters"},
		{"SCIM 404 for a filter with no match, as Okta sees it", "Okta looks the name up before every create",
			"404 for no match", OktaCatalog},
		{"SCIM string paging fields", "Okta reads startIndex and itemsPerPage as JSON integers",
			"string paging", "SCIM paging"},
		{"SCIM string totalResults", "Okta's connection test, and this library's, reads totalResults as a JSON integer",
			"string totalResults", "SCIM connection"},
		{"SCIM remove by filter refused", "Okta removes members with members[value eq \"…\"], one operation per member",
			"no remove by filter", OktaCatalog},
		{"SCIM Remove with a value array removes all", "Entra ID removes members by a value array, which removes exactly those",
			"remove removes all", Entra},
		{"SCIM the compliance flag refused", "Entra ID with aadOptscim062020 adds the flag to every URL",
			"flag refused", EntraFlag},
		{"SCIM no ServiceProviderConfig", "authentik reads it before it pushes",
			"no config", Authentik},
		{"SCIM excludedAttributes ignored", "Entra ID reads every group with excludedAttributes=members",
			"projection ignored", "SCIM projection"},
		{"SCIM If-Match ignored", "a write with a stale If-Match must be refused with 412",
			"if-match ignored", "SCIM ETag"},
		{"SCIM no ETag on PATCH answers", "a PATCH answers 204 with an ETag",
			"no ETag", "SCIM ETag"},
		{"R2 unknown PATCH paths ignored", "a PATCH of anything but externalId, displayName and members is refused, and nothing of it applies",
			"unknown paths ignored", "R2 only ID, name and members sync"},
		{"SCIM unknown PATCH paths ignored", "a PATCH of an unknown path is bad input",
			"unknown paths ignored", "SCIM bad input"},
		{"R3 new groups in the wrong type", "a pushed group lands in the app's default type",
			"wrong default type", "R3 push a new group"},
		{"SCIM no credentials needed", "a request without credentials is answered 401",
			"open", "SCIM connection"},
		{"R18 duplicate keys read as the last one", "a body with displayName twice, in two letter cases, is not strict JSON: refused, never read last-wins",
			"lenient JSON", "R18 bad input is refused whole, within limits"},
		{"SCIM a long filter drops the connection", "no request may crash the service",
			"long filter crash", "R18 bad input is refused whole, within limits"},
		{"SCIM no /Users", "Okta saves provisioning only after GET /Users?startIndex=1&count=2 answered 200, and Entra ID's Test Connection filters the Users: a Groups-only endpoint cannot be connected to",
			"no users", usersCheck},
		{"SCIM 404 for a userName no one has", "Entra ID's Test Connection filters on a random userName and fails on anything but a 200 empty list",
			"404 for no user", usersCheck},
		{"SCIM count ignored on /Users", "Okta asks for 2 users: a page of more is not the ListResponse it asked for",
			"users count ignored", usersCheck},
		{"SCIM /Users needs no credentials", "Okta and Entra ID take the 401 of the Users read for bad credentials: without it a wrong token connects and anyone reads the users",
			"users open", usersCheck},
		{"R5 a duplicate created on POST, as JumpCloud sees it", "JumpCloud takes over the app group of its group's name",
			"duplicate on POST", JumpCloud},
	}
	tabletest.Check(t, tests)
	names := Checks()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.Index(names, tc.check)
			if i < 0 {
				t.Fatalf("no check %q", tc.check)
			}
			_, e := newMinimal(t, tc.fault)
			k, err := newKit(e)
			if err != nil {
				t.Fatal(err)
			}
			r := k.run(t.Context(), endpointChecks[0]) // which may keep the others from running
			if i > 0 {
				r = k.run(t.Context(), endpointChecks[i])
			}
			if r.Outcome != Failed {
				t.Fatalf("check %q %s with the fault %q (%s); want FAIL", tc.check, r.Outcome, tc.fault, tc.reason)
			}
			c := endpointChecks[i]
			for _, f := range r.Failures {
				who, _, _ := strings.Cut(f, ": ")
				// A failure may name a family of the check's clients, as
				// "Okta" for the Okta catalog and wizard apps.
				family := slices.ContainsFunc(c.clients, func(client string) bool { return strings.HasPrefix(client, who+" ") })
				if who != c.who && !slices.Contains(c.clients, who) && !family {
					t.Errorf("failure %q does not say which client breaks: it opens with %q, want %q or one of %q", f, who, c.who, c.clients)
				}
				t.Log(f)
			}
		})
	}
}
