package scimx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// R18: hostile input, as issue 9 sent it against the server. Every attack
// gets a SCIM 4xx (or, for a slow sender, a closed connection) within a
// bounded time, the process stays alive, and nothing changes.

// refusalBound is how long a refusal may take: the checks are linear scans
// that take microseconds, and the bound is generous for a shared machine.
const refusalBound = 2 * time.Second

// rawQuery sends GET /Groups with a query string sent as it is written, so
// that parentheses and brackets travel unencoded, as a client may send
// them.
func (s *testServer) rawQuery(t *testing.T, query string) (reply, time.Duration) {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+"/Groups", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = query
	return s.send(t, req)
}

// send sends req with tenant a's token and decodes the answer.
func (s *testServer) send(t *testing.T, req *http.Request) (reply, time.Duration) {
	t.Helper()
	if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+tokenA)
	}
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %.100s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	elapsed := time.Since(start)
	r := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %.100s: status %d, body is not JSON: %v\n%.300s", req.Method, req.URL, res.StatusCode, err, raw)
	}
	return r, elapsed
}

// alive checks that the server still serves both tenants.
func (s *testServer) alive(t *testing.T) {
	t.Helper()
	s.do(t, "GET", "/Groups?startIndex=1&count=1", "").must(t, http.StatusOK)
	s.do(t, "GET", "/Groups?startIndex=1&count=1", "", "Authorization", "Bearer "+tokenB).must(t, http.StatusOK)
}

// The filter parser recurses once per level of nesting: 100,000 nested
// not( … ) or 200,000 ( overflowed the stack, a fatal error that no
// recover catches, and killed the process for every tenant. The depth
// limit refuses them before the parser runs.
func TestR18DeepFiltersDoNotKillTheProcess(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	s.Put("a", appGroup("Engineering", "u1"))
	before := badState(t, s)
	eq := `displayName%20eq%20%22Engineering%22`
	tests := []struct{ name, reason, query string }{
		{"R18 100,000 nested nots", "a valid filter 100,000 levels deep: over the depth limit, refused before the parser recurses",
			"filter=" + strings.Repeat("not(", 100_000) + eq + strings.Repeat(")", 100_000)},
		{"R18 200,000 open parentheses", "200,000 levels of grouping, never closed",
			"filter=" + strings.Repeat("(", 200_000) + eq},
		{"R18 65,000 nested brackets", "value paths nest too: members[members[…]]",
			"filter=" + strings.Repeat("members[", 65_000) + `value%20eq%20%22u1%22` + strings.Repeat("]", 65_000)},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, elapsed := s.rawQuery(t, tt.query)
			wireSCIMError(t, got, http.StatusBadRequest, "invalidFilter")
			if elapsed > refusalBound {
				t.Errorf("refused after %v, want within %v (%s)", elapsed, refusalBound, tt.reason)
			}
			s.alive(t)
		})
	}
	if d := diffState(before, badState(t, s)); d != "" {
		t.Errorf("refused filters changed groups (-before +after):\n%s", d)
	}
}

// CPU per request was unbounded: a 4 MiB PATCH path cost about 8
// CPU-seconds and a 20,000-term or filter 2–3 s, within the body limit. The
// limits refuse them in a scan that costs microseconds.
func TestR18WorkPerRequestIsBounded(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1", "u2")})
	ids := strings.NewReplacer("{eng}", eng)
	var ors []string
	for i := range 20_000 {
		ors = append(ors, fmt.Sprintf(`displayName eq "g%d"`, i))
	}
	start := time.Now()
	got, _ := s.rawQuery(t, "filter="+strings.ReplaceAll(strings.ReplaceAll(strings.Join(ors, " or "), " ", "%20"), `"`, "%22"))
	wireSCIMError(t, got, http.StatusBadRequest, "invalidFilter")
	if elapsed := time.Since(start); elapsed > refusalBound {
		t.Errorf("a 20,000-term filter was refused after %v, want within %v", elapsed, refusalBound)
	}

	ops := make([]string, 1001)
	for i := range ops {
		ops[i] = `{"op":"add","path":"members","value":[{"value":"m` + itoa(i) + `"}]}`
	}
	members := make([]string, 250_001)
	for i := range members {
		members[i] = `{"value":"u` + itoa(i) + `"}`
	}
	rows := []badRow{
		{name: "R18 4 MiB path", reason: "a path of 4 MiB cost the SCIM library 8 CPU-seconds to parse; it is over the path length limit",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"remove","path":"members[value eq \"` + strings.Repeat("x", 4<<20) + `\"]"}`),
			status: 400, scimType: "invalidPath", detail: "limit"},
		{name: "R18 path bytes", reason: "40 paths of 4,000 bytes are each within the path length limit, but over the limit of path bytes in one request",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(strings.Repeat(`{"op":"remove","path":"members[value eq \"`+strings.Repeat("x", 3980)+`\"]"},`, 39) +
				`{"op":"remove","path":"members[value eq \"y\"]"}`),
			status: 413, detail: "limit"},
		{name: "R18 1,001 operations", reason: "one more operation than the limit, which is Okta's largest batch",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(ops...), status: 413, detail: "1001 operations"},
		{name: "R18 250,001 members", reason: "one more member value than the limit of one request",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"Huge","members":[` + strings.Join(members, ",") + `]}`,
			status: 413, detail: "250001 member values"},
		{name: "R18 100,000 nested lists", reason: "a value nested 100,000 deep is over the JSON depth limit",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"add","path":"members","value":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`),
			status: 400, scimType: "invalidSyntax", detail: "deeper"},
		{name: "R18 deep path filter", reason: "a path's value filter nests like a filter, and is refused before the parser recurses",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"remove","path":"members[` + strings.Repeat("(", 50) + `value eq \"u1\"` + strings.Repeat(")", 50) + `]"}`),
			status: 400, scimType: "invalidPath", detail: "deeper"},
		{name: "R18 lone surrogate in a path", reason: "a path's filter value with a lone surrogate escape would name U+FFFD",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"remove","path":"members[value eq \"\\ud800\"]"}`),
			status: 400, scimType: "invalidPath", detail: "surrogate"},
	}
	start = time.Now()
	runBadRows(t, s, ids, rows)
	if elapsed := time.Since(start); elapsed > time.Duration(len(rows))*refusalBound {
		t.Errorf("%d refusals took %v", len(rows), elapsed)
	}
	s.alive(t)
}

// Every limit can be changed by the app: a request over a smaller one is
// refused, and the same request passes the defaults.
func TestR18LimitsAreOptions(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{Limits: scimx.Limits{
		FilterLength: 20, FilterDepth: 1, PathLength: 10, PathBytes: 15, Operations: 2, JSONDepth: 3, Members: 2,
	}})
	d := newServer(t, scimx.ServerOptions{})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	dEng := d.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	add := func(v string) string { return `{"op":"add","path":"members","value":[{"value":"` + v + `"}]}` }
	rows := []badRow{
		{name: "R18 FilterLength", reason: "22 bytes of filter, over a limit of 20", method: "GET",
			path: "/Groups?filter=" + strings.ReplaceAll(`displayName eq "Engi"`, " ", "%20"), status: 400, scimType: "invalidFilter"},
		{name: "R18 FilterDepth", reason: "two levels of grouping, over a limit of 1", method: "GET",
			path: "/Groups?filter=((id%20pr))", status: 400, scimType: "invalidFilter"},
		{name: "R18 PathLength", reason: "a path of 11 bytes, over a limit of 10", method: "PATCH", path: "/Groups/{eng}",
			body: wirePatch(`{"op":"replace","path":"displayName","value":"Eng"}`), status: 400, scimType: "invalidPath"},
		{name: "R18 PathBytes", reason: "two paths of 7 and 10 bytes, over a limit of 15 in one request", method: "PATCH", path: "/Groups/{eng}",
			body: wirePatch(`{"op":"remove","path":"members"}`, `{"op":"replace","path":"externalId","value":"x"}`), status: 413, detail: "paths"},
		{name: "R18 Operations", reason: "three operations, over a limit of 2", method: "PATCH", path: "/Groups/{eng}",
			body: wirePatch(`{"op":"remove","path":"members"}`, `{"op":"remove","path":"members"}`, `{"op":"remove","path":"members"}`), status: 413, detail: "operations"},
		{name: "R18 JSONDepth", reason: "the member objects of a PATCH add are at depth 5, over a limit of 3", method: "PATCH", path: "/Groups/{eng}",
			body: wirePatch(add("u2")), status: 400, scimType: "invalidSyntax", detail: "deeper"},
		{name: "R18 Members", reason: "three member values, over a limit of 2", method: "POST", path: "/Groups",
			body: `{` + coreGroup + `,"displayName":"X","members":[{"value":"a"},{"value":"b"},{"value":"c"}]}`, status: 413, detail: "member values"},
	}
	runBadRows(t, s, strings.NewReplacer("{eng}", eng), rows)
	for _, r := range rows {
		path := strings.ReplaceAll(r.path, "{eng}", dEng)
		got := d.do(t, r.method, path, strings.ReplaceAll(r.body, "{eng}", dEng))
		if got.status >= 400 && got.status != 404 {
			t.Errorf("%s: %s %s with the default limits: status %d %s, want it served", r.name, r.method, path, got.status, got.raw)
		}
	}
}

// The defaults do not refuse real traffic: a POST and a PUT of 200,000
// members (20,000 under the race detector), 1,000 Okta removals in one
// PATCH, an equality on the longest value a group holds.
func TestR18DefaultsServeRealTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 200,000 members")
	}
	s := newServer(t, scimx.ServerOptions{})
	n := 200_000
	if raceEnabled {
		n = 20_000
	}
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf(`{"value":"00u%017d","display":"user%d@example.com"}`, i, i)
	}
	body := `{` + coreGroup + `,"displayName":"Everyone","externalId":"00g-all","members":[` + strings.Join(members, ",") + `]}`
	created := s.do(t, "POST", "/Groups", body).must(t, http.StatusCreated)
	id, _ := created.body["id"].(string)
	if got := len(s.Group("a", id).Members.Slice()); got != n {
		t.Fatalf("the POST of %d members stored %d", n, got)
	}
	s.do(t, "PUT", "/Groups/"+id, `{`+coreGroup+`,"displayName":"Everyone","members":[`+strings.Join(members[1:], ",")+`]}`).must(t, http.StatusOK)
	ops := make([]string, 1000)
	for i := range ops {
		ops[i] = fmt.Sprintf(`{"op":"remove","path":"members[value eq \"00u%017d\"]"}`, i+1)
	}
	wire204(t, s.do(t, "PATCH", "/Groups/"+id, wirePatch(ops...), okta...))
	if got := len(s.Group("a", id).Members.Slice()); got != n-1001 {
		t.Errorf("after a PUT without one member and 1,000 removals the group has %d members, want %d", got, n-1001)
	}
	longest := strings.Repeat("ü", 512) // 1,024 bytes
	s.do(t, "POST", "/Groups", `{`+coreGroup+`,"displayName":"`+longest+`"}`).must(t, http.StatusCreated)
	p := wireList(t, s.do(t, "GET", "/Groups?filter="+escapeQuery(`displayName eq "`+longest+`"`), ""))
	if p.total != 1 {
		t.Errorf("an equality on a 1,024-byte name found %d groups, want 1", p.total)
	}
}

func escapeQuery(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22", "%", "%25", "&", "%26", "+", "%2B", "#", "%23").Replace(s)
}

// Duplicate keys were resolved silently, the last one winning, and SCIM
// attribute names are case-insensitive: a PATCH whose second Operations
// emptied the group answered 204. Every duplicate is a 400 now.
func TestR18DuplicateKeysAreRefused(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1", "u2")})
	ids := strings.NewReplacer("{eng}", eng)
	add := `{"op":"add","path":"members","value":[{"value":"d1"}]}`
	rows := []badRow{
		{name: "R18 Operations and operations", reason: "the second list would empty the group: encoding/json keeps the last of two keys that differ in case",
			method: "PATCH", path: "/Groups/{eng}", body: `{"schemas":["` + patchOpURN + `"],"Operations":[` + add + `],"operations":[{"op":"remove","path":"members"}]}`,
			status: 400, scimType: "invalidSyntax", detail: "twice"},
		{name: "R18 op and Op", reason: "the add would become a remove of all members",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"add","path":"members","value":[{"value":"d1"}],"Op":"remove"}`),
			status: 400, scimType: "invalidSyntax"},
		{name: "R18 Operations twice", reason: "an exact duplicate is as ambiguous as a case variant",
			method: "PATCH", path: "/Groups/{eng}", body: `{"schemas":["` + patchOpURN + `"],"Operations":[` + add + `],"Operations":[{"op":"remove","path":"members"}]}`,
			status: 400, scimType: "invalidSyntax"},
		{name: "R18 long s", reason: "encoding/json folds U+017F to s, so Operationſ is Operations too",
			method: "PATCH", path: "/Groups/{eng}", body: `{"schemas":["` + patchOpURN + `"],"Operations":[` + add + `],"Operationſ":[{"op":"remove","path":"members"}]}`,
			status: 400, scimType: "invalidSyntax"},
		{name: "R18 Kelvin sign", reason: "K (U+212A) folds to k",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"replace","value":{"displayName":"A","displayNameK":"x","displayNamek":"y"}}`),
			status: 400, scimType: "invalidSyntax"},
		{name: "R18 escaped key", reason: `"\u0064isplayName" is displayName, once decoded`,
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","\u0064isplayName":"Y"}`, status: 400, scimType: "invalidSyntax"},
		{name: "R18 displayName twice", reason: "a POST with displayName twice stored the last one",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"First","displayName":"Second"}`, status: 400, scimType: "invalidSyntax"},
		{name: "R18 members twice", reason: "a PUT with two member lists",
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering","members":[{"value":"u1"}],"Members":[]}`, status: 400, scimType: "invalidSyntax"},
		{name: "R18 member value twice", reason: "a member object with two values: which member would it name?",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"Remove","path":"members","value":[{"value":"u1","Value":"u2"}]}`), status: 400, scimType: "invalidSyntax"},
		{name: "R18 path-less value keys", reason: "displayName and DISPLAYNAME in one path-less value",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"replace","value":{"displayName":"A","DISPLAYNAME":"B"}}`), status: 400, scimType: "invalidSyntax"},
		{name: "R18 schemas twice", reason: "two schemas lists: the server would read one and the handler another",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"X"}`, status: 400, scimType: "invalidSyntax"},
		{name: "R18 duplicate among many keys", reason: "an object of many keys is checked with a set, and its duplicates found the same",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"D":10}`, status: 400, scimType: "invalidSyntax"},
	}
	runBadRows(t, s, ids, rows)
	s.do(t, "PATCH", "/Groups/"+eng, wirePatch(add)).must(t, http.StatusNoContent)
}

// Invalid UTF-8 was accepted and changed: \xff\xfe was stored as U+FFFD, so
// that \xff\xfe and \xc0\xaf became the same name and a second POST
// associated with the first group. Raw or as a lone surrogate escape, it
// is a 400 now.
func TestR18InvalidUTF8IsRefused(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	ids := strings.NewReplacer("{eng}", eng)
	post := func(name string) string { return `{` + coreGroup + `,"displayName":"` + name + `"}` }
	rows := []badRow{
		{name: "R18 raw ff fe", reason: "bytes that are not UTF-8 would be stored as U+FFFD",
			method: "POST", path: "/Groups", body: post("Sales \xff\xfe"), status: 400, scimType: "invalidSyntax", detail: "UTF-8"},
		{name: "R18 overlong c0 af", reason: "an overlong encoding of / is not UTF-8 either, and became the same U+FFFD name",
			method: "POST", path: "/Groups", body: post("Sales \xc0\xaf"), status: 400, scimType: "invalidSyntax", detail: "UTF-8"},
		{name: "R18 encoded surrogate", reason: "a surrogate encoded in UTF-8 (ED A0 80) is not UTF-8",
			method: "POST", path: "/Groups", body: post("Sales \xed\xa0\x80"), status: 400, scimType: "invalidSyntax"},
		{name: "R18 member value", reason: "a member value with invalid UTF-8 would name another member",
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"add","path":"members","value":[{"value":"u\xff"}]}`), status: 400, scimType: "invalidSyntax"},
		{name: "R18 key", reason: "a key with invalid UTF-8 is no attribute name",
			method: "POST", path: "/Groups", body: `{` + coreGroup + `,"displayName":"X","\xff":1}`, status: 400, scimType: "invalidSyntax"},
		{name: "R18 lone high surrogate", reason: `"\ud800" decodes to U+FFFD`,
			method: "POST", path: "/Groups", body: post(`Sales \ud800`), status: 400, scimType: "invalidSyntax", detail: "surrogate"},
		{name: "R18 lone low surrogate", reason: `"\udc00" decodes to U+FFFD`,
			method: "PUT", path: "/Groups/{eng}", body: `{` + coreGroup + `,"displayName":"Engineering\udc00"}`, status: 400, scimType: "invalidSyntax", detail: "surrogate"},
		{name: "R18 high then other", reason: `a high surrogate must be followed by a low one, not \u0041`,
			method: "PATCH", path: "/Groups/{eng}", body: wirePatch(`{"op":"replace","path":"displayName","value":"E\ud800\u0041"}`), status: 400, scimType: "invalidSyntax"},
		{name: "R18 reversed pair", reason: "a low surrogate before a high one is two lone surrogates",
			method: "POST", path: "/Groups", body: post(`\udc00\ud800`), status: 400, scimType: "invalidSyntax"},
	}
	runBadRows(t, s, ids, rows)
	// A surrogate pair is one character, stored as it is.
	r := s.do(t, "POST", "/Groups", post(`Party \ud83c\udf89`)).must(t, http.StatusCreated)
	if r.body["displayName"] != "Party 🎉" {
		t.Errorf("a surrogate pair was stored as %q, want %q", r.body["displayName"], "Party 🎉")
	}
}

// A refusal waited for the body: Go's server reads the unread body before
// it answers, so a POST whose body trickled in got no 401. A refusal before
// the body closes the connection now.
func TestR18RefusalsDoNotWaitForTheBody(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{MaxBody: 1 << 10})
	tests := []struct {
		name, reason, header string
		status               int
	}{
		{"R18 wrong token", "credentials come before the body, and the refusal does not read it", "Authorization: Bearer wrong\r\nContent-Length: 1000", 401},
		{"R18 no token, chunked", "a chunked body is not read either", "Transfer-Encoding: chunked", 401},
		{"R18 declared too large", "a Content-Length over the limit is refused at once", "Authorization: Bearer " + tokenA + "\r\nContent-Length: 5000", 413},
		{"R18 bad id", "an id no group can have is refused before the body", "Authorization: Bearer " + tokenA + "\r\nContent-Length: 1000", 404},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/scim/v2/Groups"
			if tt.status == 404 {
				path += "/.."
			}
			conn := dialServer(t, s)
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/scim+json\r\n%s\r\n\r\n{", path, tt.header)
			stop := trickle(conn, time.Second/2)
			defer stop()
			_ = conn.SetReadDeadline(time.Now().Add(refusalBound))
			br := bufio.NewReader(conn)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer within %v while the body trickles in: %v (%s)", refusalBound, err, tt.reason)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status || !res.Close {
				t.Errorf("status %d, Connection: close %v; want %d and close (%s)", res.StatusCode, res.Close, tt.status, tt.reason)
			}
			if _, err := br.ReadByte(); err == nil {
				t.Errorf("the server sent more after its answer")
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("the connection is still open %v after the refusal", refusalBound)
			}
		})
	}
	s.alive(t)
}

// A body sent one byte every half second held a connection for minutes.
// The body must arrive within BodyTimeout: the server answers 408 and
// closes the connection, and nothing changes.
func TestR18SlowBodiesAreCutOff(t *testing.T) {
	const bodyTimeout = time.Second
	s := newServer(t, scimx.ServerOptions{BodyTimeout: bodyTimeout})
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	before := badState(t, s)
	conn := dialServer(t, s)
	start := time.Now()
	fmt.Fprintf(conn, "PATCH /scim/v2/Groups/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{", eng, tokenA)
	stop := trickle(conn, time.Second/2)
	defer stop()
	_ = conn.SetReadDeadline(time.Now().Add(bodyTimeout + refusalBound))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout {
			t.Errorf("a body that did not arrive in time: status %d, want 408", res.StatusCode)
		}
		_, err = br.ReadByte()
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection is still open after %v", time.Since(start))
	}
	if elapsed := time.Since(start); elapsed < bodyTimeout {
		t.Errorf("the connection closed after %v, before the body timeout of %v", elapsed, bodyTimeout)
	}
	if d := diffState(before, badState(t, s)); d != "" {
		t.Errorf("the cut-off PATCH changed groups (-before +after):\n%s", d)
	}
	s.alive(t)
}

// diffState compares two snapshots of every group ([badState]).
func diffState(before, after map[string]isoGroup) string { return cmp.Diff(before, after) }

// dialServer opens a TCP connection to the server, closed when the test
// ends.
func dialServer(t *testing.T, s *testServer) net.Conn {
	t.Helper()
	host := strings.TrimPrefix(strings.TrimSuffix(s.URL, "/scim/v2"), "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// trickle writes a byte of JSON to conn every interval until stopped or
// the connection fails.
func trickle(conn net.Conn, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// Dot segments in a path were answered with 307 redirects by the
// http.ServeMux in front of the service, before authentication and keeping
// the method (a DELETE of /Groups/.. was sent on to /Groups); an encoded
// percent sign was decoded twice. Such ids are answered after
// authentication, with a SCIM 404, and never reach another group.
func TestR18PathsNameOneGroupOrNone(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	s.Store.NewID = func() string { return "A" }
	s.Put("a", appGroup("Named A", "u1"))
	s.Store.NewID = nil
	eng := s.Put("a", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("u1")})
	before := badState(t, s)
	var rows []struct{ name, reason, method, path string }
	for _, m := range []string{"GET", "PATCH", "PUT", "DELETE"} {
		rows = append(rows,
			struct{ name, reason, method, path string }{"R18 " + m + " dot-dot", "/Groups/.. names no group", m, "/Groups/.."},
			struct{ name, reason, method, path string }{"R18 " + m + " dot", "/Groups/. names no group", m, "/Groups/."},
			struct{ name, reason, method, path string }{"R18 " + m + " dot-dot Groups", "/Groups/../Groups is not the collection", m, "/Groups/../Groups"},
			struct{ name, reason, method, path string }{"R18 " + m + " encoded dots", "%2e%2e is .. once decoded", m, "/Groups/%2e%2e"},
			struct{ name, reason, method, path string }{"R18 " + m + " encoded slash", "an id is one segment: a%2Fb holds a slash", m, "/Groups/" + eng + "%2F.."},
			struct{ name, reason, method, path string }{"R18 " + m + " two segments", "the group's id followed by another segment names no group", m, "/Groups/" + eng + "/x"},
			struct{ name, reason, method, path string }{"R18 " + m + " double decoding", "%2541 is the id %41, not A: the path is decoded once", m, "/Groups/%2541"},
		)
	}
	tabletest.Check(t, rows)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			body := ""
			switch r.method {
			case "PATCH":
				body = wirePatch(`{"op":"remove","path":"members"}`)
			case "PUT":
				body = `{` + coreGroup + `,"displayName":"Named A","members":[]}`
			}
			for _, token := range []string{"wrong", tokenA} {
				req, err := http.NewRequest(r.method, s.URL+r.path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				got := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
				_ = json.Unmarshal(raw, &got.body)
				want := http.StatusNotFound
				if token == "wrong" {
					want = http.StatusUnauthorized // authentication comes first
				}
				wireSCIMError(t, got, want, "")
				if got.status != want {
					t.Errorf("%s %s with token %s: %s", r.method, r.path, token, r.reason)
				}
			}
		})
	}
	if d := diffState(before, badState(t, s)); d != "" {
		t.Errorf("requests to ids of no group changed groups (-before +after):\n%s", d)
	}
}

// A 404 echoed the whole id: 100 kB in, 100 kB out. It names a short
// prefix now, whatever the store's error says.
func TestR18NotFoundEchoesAShortPrefix(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	for _, n := range []int{100_000, 1000} { // beyond any stored value, and within
		id := strings.Repeat("q", n)
		for _, m := range []string{"GET", "DELETE"} {
			got := s.do(t, m, "/Groups/"+id, "")
			wireSCIMError(t, got, http.StatusNotFound, "")
			if detail, _ := got.body["detail"].(string); len(got.raw) > 400 || !strings.Contains(detail, "qqqq") {
				t.Errorf("%s of an id of %d bytes: a 404 of %d bytes with detail %.100q…, want a short one naming a prefix of the id", m, n, len(got.raw), detail)
			}
		}
	}
}

// A request's work stops when its client has gone: a list that reads a
// member of every group, one slow read at a time, is not read to its end
// after the client hangs up, nor past ServerOptions.Timeout, which answers
// 503.
func TestR18WorkStopsWhenTheClientGoes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
	}{{"client gone", 0}, {"timeout", 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			store := &slowStore{MemStore: &scimx.MemStore{}, delay: time.Millisecond}
			for i := range 3000 {
				_ = store.MemStore.Update(context.Background(), "a", func(tx scimx.Tx) error {
					_, err := tx.Create(appGroup("g" + itoa(i)))
					return err
				})
			}
			h, err := scimx.NewServer(store, scimx.ServerOptions{Auth: scimx.BearerTokens(map[string]string{tokenA: "a"}), Timeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			client := &http.Client{Timeout: 300 * time.Millisecond}
			if tc.timeout > 0 {
				client.Timeout = 10 * time.Second
			}
			req, _ := http.NewRequest("GET", ts.URL+"/Groups?filter=members%20eq%20%22u1%22", nil)
			req.Header.Set("Authorization", "Bearer "+tokenA)
			res, err := client.Do(req)
			switch {
			case tc.timeout == 0 && err == nil:
				res.Body.Close()
				t.Fatalf("the slow list answered %d before the client gave up", res.StatusCode)
			case tc.timeout > 0 && err != nil:
				t.Fatalf("no answer within %v of a timeout of %v: %v", client.Timeout, tc.timeout, err)
			case tc.timeout > 0:
				res.Body.Close()
				if res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("a list past the timeout answered %d, want 503", res.StatusCode)
				}
			}
			time.Sleep(200 * time.Millisecond)
			settled := store.reads.Load()
			time.Sleep(time.Second)
			if after := store.reads.Load(); after > settled+2 || settled > 2000 {
				t.Errorf("the store was read %d times by the time the request ended and %d a second later, of 3,000: the work went on", settled, after)
			}
		})
	}
}

// slowStore is a MemStore whose membership tests take delay each.
type slowStore struct {
	*scimx.MemStore
	delay time.Duration
	reads atomic.Int64
}

func (s *slowStore) View(ctx context.Context, tenant string, f func(scimx.Tx) error) error {
	return s.MemStore.View(ctx, tenant, func(tx scimx.Tx) error { return f(slowTx{tx, s}) })
}

type slowTx struct {
	scimx.Tx
	s *slowStore
}

func (tx slowTx) HasMember(id, member string) (bool, error) {
	tx.s.reads.Add(1)
	time.Sleep(tx.s.delay)
	return tx.Tx.HasMember(id, member)
}

// NewHTTPServer sets every timeout and bound an app needs; the zero
// http.Server sets none.
func TestR18NewHTTPServer(t *testing.T) {
	srv := scimx.NewHTTPServer(http.NotFoundHandler())
	tests := []struct {
		name, reason string
		got, max     time.Duration
	}{
		{"R18 ReadHeaderTimeout", "a client that trickles its headers is cut off (slowloris)", srv.ReadHeaderTimeout, 30 * time.Second},
		{"R18 ReadTimeout", "a whole request arrives in bounded time on every route", srv.ReadTimeout, 5 * time.Minute},
		{"R18 WriteTimeout", "an answer is written in bounded time, to a client that reads it slowly too", srv.WriteTimeout, 5 * time.Minute},
		{"R18 IdleTimeout", "an idle kept-alive connection is closed", srv.IdleTimeout, 5 * time.Minute},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		if tt.got <= 0 || tt.got > tt.max {
			t.Errorf("%s is %v, want more than 0 and at most %v: %s", tt.name, tt.got, tt.max, tt.reason)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes is %d, want it set, at most 1 MiB", srv.MaxHeaderBytes)
	}
	if srv.WriteTimeout <= srv.ReadTimeout {
		t.Errorf("WriteTimeout %v is not longer than ReadTimeout %v: a slow body would leave no time to answer", srv.WriteTimeout, srv.ReadTimeout)
	}
}
