package scimx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
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
	ts := httptest.NewServer(scimx.Mount("/scim", srv, nil)) // the SCIM base is /scim/v2
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

// An app serves the SCIM service with the http.Server settings of
// NewHTTPServer, routing the SCIM prefix before any http.ServeMux, which
// would redirect paths with dot segments before authentication. Hostile
// requests get SCIM errors: a filter nested too deep, a body with a key
// twice in two letter cases, an id that is no path segment.
func ExampleNewHTTPServer() {
	store := &scimx.MemStore{} // or a scimx/sqlstore.Store
	srv, err := scimx.NewServer(store, scimx.ServerOptions{
		Auth: scimx.BearerTokens(map[string]string{"okta-token": "acme"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	app := http.NewServeMux() // the app's other routes
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := scimx.NewHTTPServer(scimx.Mount("/scim", srv, app))
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String() + "/scim/v2"

	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer okta-token")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		var e struct{ ScimType, Detail string }
		_ = json.NewDecoder(res.Body).Decode(&e)
		fmt.Println(res.StatusCode, e.ScimType, e.Detail)
	}
	send("GET", "/Groups?filter="+strings.Repeat("not(", 100)+"id%20pr"+strings.Repeat(")", 100), "")
	send("POST", "/Groups", `{"displayName":"Sales","DisplayName":"Ops"}`)
	send("DELETE", "/Groups/..", "")
	// Output:
	// 400 invalidFilter the filter nests deeper than 32 levels
	// 400 invalidSyntax the request body is not strict JSON: the key "DisplayName" appears twice in one object (SCIM attribute names are case-insensitive) at byte 23
	// 404  no group has the id "..": an id is one path segment
}

// An app's own JSON API refuses what the SCIM service refuses: bodies
// that encoding/json would read another way than they are written.
func ExampleCheckJSON() {
	for _, body := range []string{
		`{"displayName":"Sales","members":["u1"]}`,
		`{"displayName":"Sales","displayname":"Ops"}`,
		"{\"displayName\":\"Sales \xff\"}",
		`{"displayName":"Sales \ud800"}`,
	} {
		err := scimx.CheckJSON([]byte(body), 0)
		fmt.Println(errors.Is(err, scimx.ErrInvalidJSON), err)
	}
	// Output:
	// false <nil>
	// true invalid JSON: the key "displayname" appears twice in one object (SCIM attribute names are case-insensitive) at byte 23
	// true invalid JSON: invalid UTF-8 at byte 22
	// true invalid JSON: a lone surrogate escape (\ud800) at byte 22
}
