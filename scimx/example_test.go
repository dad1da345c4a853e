package scimx_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/groupsync/groupsync/scimx"
)

// An app serves its groups over SCIM with NewServer, mounted under the SCIM
// base URL. Each credential names a tenant. A pushed group lands in the
// default group type; a filtered read finds it by exact name.
func ExampleNewServer() {
	ids := 0
	store := &scimx.MemStore{NewID: func() string { ids++; return fmt.Sprintf("g%d", ids) }}
	srv, err := scimx.NewServer(store, scimx.ServerOptions{
		Auth: scimx.BearerTokens(map[string]string{"okta-token": "acme"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", srv))
	ts := httptest.NewServer(mux)
	defer ts.Close()

	// send makes a SCIM request as Okta would and decodes the answer.
	send := func(method, path, body string) (status string, answer map[string]any) {
		req, _ := http.NewRequest(method, ts.URL+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer okta-token")
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
			log.Fatal(err)
		}
		return res.Status, answer
	}

	status, g := send("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName":"Engineering","externalId":"00g1","members":[{"value":"u1"},{"value":"u2"}]}`)
	fmt.Println("POST /Groups:", status)
	fmt.Println("  id:", g["id"], "members:", len(g["members"].([]any)), "local:", g[scimx.ExtensionSchema])

	status, list := send("GET", "/Groups?excludedAttributes=members&filter="+
		url.QueryEscape(`displayName eq "Engineering"`), "")
	fmt.Println("GET /Groups?filter=displayName eq \"Engineering\":", status)
	for _, r := range list["Resources"].([]any) {
		r := r.(map[string]any)
		fmt.Println("  id:", r["id"], "displayName:", r["displayName"], "members sent:", r["members"] != nil)
	}
	// Output:
	// POST /Groups: 201 Created
	//   id: g1 members: 2 local: map[groupType:Groups origin:source]
	// GET /Groups?filter=displayName eq "Engineering": 200 OK
	//   id: g1 displayName: Engineering members sent: false
}
