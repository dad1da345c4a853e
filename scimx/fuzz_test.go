package scimx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// fuzzWorld is the state every fuzzed request starts from: in tenant a, a
// pushed group linked to Okta and an app group (R7), with local
// attributes; in tenant b a group of the same name (R16).
type fuzzWorld struct {
	s        *testServer
	src, app string // the ids of tenant a's groups in this run
	client   *http.Client
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	s := newServer(f, scimx.ServerOptions{})
	var n int
	s.Store.NewID = func() string { n++; return "g" + strconv.Itoa(n) }
	s.Put("b", group.Group{Name: "Engineering", Origin: origin.Source, Type: scimx.DefaultType, Members: group.NewMembers("b1")})
	return &fuzzWorld{s: s, client: &http.Client{Timeout: 30 * time.Second}}
}

// reset empties tenant a and creates its two groups afresh.
func (w *fuzzWorld) reset(t *testing.T) {
	t.Helper()
	err := w.s.Store.Update(context.Background(), "a", func(tx scimx.Tx) error {
		recs, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := tx.Delete(r.ID); err != nil {
				return err
			}
		}
		src, err := tx.Create(group.Group{Name: "Engineering", ExternalID: "00g1", Origin: origin.Source, Type: "Departments",
			Attributes: map[string]string{"colour": "blue"}, Members: group.NewMembers("u1", "u2")})
		if err != nil {
			return err
		}
		app, err := tx.Create(group.Group{Name: "Leadership", Origin: origin.Target, Type: "Teams",
			Attributes: map[string]string{"owner": "ceo"}, Members: group.NewMembers("u1", "u7")})
		w.src, w.app = src.ID, app.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// state is every group of both tenants, by tenant and id, with members and
// local attributes.
func (w *fuzzWorld) state(t *testing.T) map[string]scimx.Record {
	t.Helper()
	out := map[string]scimx.Record{}
	for _, tenant := range []string{"a", "b"} {
		err := w.s.Store.View(context.Background(), tenant, func(tx scimx.Tx) error {
			recs, err := tx.Groups()
			for _, r := range recs {
				full, err := tx.Group(r.ID, true)
				if err != nil {
					return err
				}
				out[tenant+"/"+r.ID] = full
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// send sends a request with tenant a's token: the status and the body.
func (w *fuzzWorld) send(t *testing.T, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, w.s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokenA)
	req.Header.Set("Content-Type", "application/scim+json")
	start := time.Now()
	res, err := w.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s %.300q: %v", method, path, body, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s %.300q: reading the answer: %v", method, path, body, err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("%s %s %.300q took %v", method, path, body, elapsed)
	}
	if res.StatusCode >= 500 {
		t.Fatalf("%s %s %.300q: status %d: %s", method, path, body, res.StatusCode, raw)
	}
	if res.StatusCode >= 400 {
		var e struct{ Schemas []string }
		if err := json.Unmarshal(raw, &e); err != nil || !slices.Contains(e.Schemas, errorURN) {
			t.Fatalf("%s %s %.300q: status %d is not a SCIM error: %s", method, path, body, res.StatusCode, raw)
		}
	}
	return res.StatusCode, raw
}

// wirePatchSeeds are the PATCH bodies of WIRE.md, and a few that must be
// refused; {id} stands for the group's id.
var wirePatchSeeds = []string{
	// Okta: rename without a path (sent with every membership push), and
	// membership by filter removal and value-list add.
	wirePatch(`{"op":"replace","value":{"id":"{id}","displayName":"New Name"}}`),
	wirePatch(`{"op":"remove","path":"members[value eq \"u1\"]"}`, `{"op":"add","path":"members","value":[{"value":"u3","display":"a@b"}]}`),
	wirePatch(`{"op":"replace","path":"members","value":[{"value":"u4"},{"value":"u5"}]}`),
	wirePatch(`{"op":"replace","value":{"members":[{"value":"u6"}]}}`),
	// Entra ID: capitalised ops, value arrays with $ref null, rename by path.
	wirePatch(`{"op":"Add","path":"members","value":[{"$ref":null,"value":"u3"}]}`),
	wirePatch(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}`),
	wirePatch(`{"op":"Replace","path":"displayName","value":"Eng"}`),
	// authentik and OneLogin: one lower-case op per member.
	wirePatch(`{"op":"add","path":"members","value":[{"value":"u8"}]}`, `{"op":"add","path":"members","value":[{"value":"u9"}]}`),
	wirePatch(`{"op":"replace","path":"externalId","value":"okta-2"}`),
	// Refused, and nothing of them applies.
	wirePatch(`{"op":"add","path":"members","value":[{"value":"u3"}]}`, `{"op":"replace","path":"`+scimx.ExtensionSchema+`:groupType","value":"x"}`),
	wirePatch(`{"op":"remove","path":"members"}`, `{"op":"replace","path":"displayName","value":"Leadership"}`),
	`{"schemas":["` + patchOpURN + `"],"Operations":[{"op":"add","path":"members","value":[{"value":"d1"}]}],"operations":[{"op":"remove","path":"members"}]}`,
	wirePatch(`{"op":"add","path":"members","value":[{"value":"d1"}],"Op":"remove"}`),
	wirePatch(`{"op":"replace","path":"displayName","value":"E\ud800"}`),
	wirePatch("{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"E\xff\"}"),
	wirePatch(`{"op":"remove","path":"members[value eq \"u1\" or type eq \"User\"]"}`),
	`{"schemas":["` + patchOpURN + `"],"Operations":[{"op":"add","path":`, // found by FuzzPatch: the scan read past the end
}

// FuzzPatch sends arbitrary PATCH bodies to a pushed group and to an app
// group through the real server (R2, R4, R7, R16, R18): never a 500 or a
// broken connection; members stay a set; local attributes (type, origin,
// the rest) never change; the app group is never renamed or deleted;
// tenant b never changes; and a refused request changes nothing.
func FuzzPatch(f *testing.F) {
	w := newFuzzWorld(f)
	for _, seed := range wirePatchSeeds {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, toApp bool) {
		w.reset(t)
		id := w.src
		if toApp {
			id = w.app
		}
		before := w.state(t)
		status, raw := w.send(t, "PATCH", "/Groups/"+id, []byte(strings.ReplaceAll(body, "{id}", id)))
		after := w.state(t)
		if status >= 400 {
			if d := cmp.Diff(before, after); d != "" {
				t.Fatalf("a PATCH refused with %d changed groups (-before +after):\n%s\nbody %.500q\nanswer %s", status, d, body, raw)
			}
			return
		}
		for key, b := range before {
			a, ok := after[key]
			switch {
			case !ok:
				t.Fatalf("PATCH %.500q deleted %s", body, key)
			case a.Type != b.Type || a.Origin != b.Origin || !cmp.Equal(a.Attributes, b.Attributes):
				t.Errorf("PATCH %.500q changed the local attributes of %s: type %q→%q, origin %v→%v, attributes %v→%v (R4)",
					body, key, b.Type, a.Type, b.Origin, a.Origin, b.Attributes, a.Attributes)
			case strings.HasPrefix(key, "b/") && !cmp.Equal(a, b):
				t.Errorf("PATCH %.500q of tenant a changed tenant b's %s (R16)", body, key)
			case key == "a/"+w.app && a.Name != b.Name:
				t.Errorf("PATCH %.500q renamed the app group %q to %q (R7)", body, b.Name, a.Name)
			case key != "a/"+id && !cmp.Equal(a, b):
				t.Errorf("PATCH %.500q of %s changed another group, %s", body, id, key)
			}
		}
		if len(after) != len(before) {
			t.Errorf("PATCH %.500q left %d groups, want %d", body, len(after), len(before))
		}
		// The answer's members, when it has some, and a read of the group
		// show the stored members, each once.
		_, raw = w.send(t, "GET", "/Groups/"+id, nil)
		var g struct{ Members []struct{ Value string } }
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		var values []string
		for _, m := range g.Members {
			values = append(values, m.Value)
		}
		stored := after["a/"+id].Members.Slice()
		if d := cmp.Diff(stored, sortedSlice(values), cmpopts.EquateEmpty()); d != "" || len(slices.Compact(slices.Clone(stored))) != len(stored) {
			t.Errorf("PATCH %.500q: the group's members are not a set read back whole (-stored +read):\n%s", body, d)
		}
	})
}

// wireBodySeeds are the request bodies of WIRE.md, and bodies the strict
// JSON rules refuse.
var wireBodySeeds = []string{
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[]}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","` + entraURN + `"],"externalId":"8b7e","displayName":"Sales","meta":{"resourceType":"Group"}}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"{id}","displayName":"Engineering","members":[{"value":"u1","display":null}]}`,
	`{"displayName":"Sales","externalId":"gws-sales"}`,
	wirePatchSeeds[0], wirePatchSeeds[1], wirePatchSeeds[4],
	`{"displayName":"A","DisplayName":"B"}`, "{\"displayName\":\"A\xff\"}", `{"displayName":"A\udc00"}`,
	`{"displayName":"A","members":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	`{"displayName":"A"} x`, `{"displayName":"\ud83d\ude00","x":[1,-2.5e3,true,false,null,{}]}`,
}

// FuzzBody sends arbitrary bodies as a POST, a PUT and a PATCH through the
// real server, and checks the strict JSON rules of R18 against a reference
// written for the test with encoding/json's tokenizer: a body that is not
// valid UTF-8, holds a lone surrogate escape, has an object with two keys
// equal under strings.EqualFold, nests deeper than 32 or is not one JSON
// value is refused with 400 invalidSyntax, and changes nothing; any other
// body is never refused as such. No answer is a 500.
func FuzzBody(f *testing.F) {
	w := newFuzzWorld(f)
	for _, seed := range wireBodySeeds {
		for m := range 3 {
			f.Add([]byte(seed), uint8(m))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, method uint8) {
		w.reset(t)
		m, path := "POST", "/Groups"
		switch method % 3 {
		case 1:
			m, path = "PUT", "/Groups/"+w.src
		case 2:
			m, path = "PATCH", "/Groups/"+w.src
		}
		body = bytes.ReplaceAll(body, []byte("{id}"), []byte(w.src))
		before := w.state(t)
		status, raw := w.send(t, m, path, body)
		strict, why := refStrictJSON(body)
		var e struct{ ScimType, Detail string }
		_ = json.Unmarshal(raw, &e)
		refusedAsJSON := status == http.StatusBadRequest && strings.Contains(e.Detail, "not strict JSON")
		switch {
		case len(bytes.TrimSpace(body)) == 0:
			// No body: the SCIM library's refusal.
		case !strict && !refusedAsJSON:
			t.Errorf("%s of a body that is not strict JSON (%s): %d %s\nbody %.500q", m, why, status, raw, body)
		case strict && refusedAsJSON:
			t.Errorf("%s of a strict JSON body refused as not strict: %s\nbody %.500q", m, raw, body)
		}
		if status >= 400 {
			if d := cmp.Diff(before, w.state(t)); d != "" {
				t.Errorf("%s refused with %d changed groups (-before +after):\n%s\nbody %.500q", m, status, d, body)
			}
		}
	})
}

// refStrictJSON reports whether body is strict JSON by R18, and if not
// why, from encoding/json's tokens and a scan of the escapes.
func refStrictJSON(body []byte) (bool, string) {
	if !utf8.Valid(body) {
		return false, "invalid UTF-8"
	}
	if !json.Valid(body) {
		return false, "not one JSON value"
	}
	// In valid JSON a backslash is always inside a string.
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] == 'u' {
			r, _ := strconv.ParseUint(string(body[i+2:i+6]), 16, 32)
			switch {
			case 0xDC00 <= r && r <= 0xDFFF:
				return false, "a lone low surrogate"
			case 0xD800 <= r && r <= 0xDBFF:
				lo := uint64(0)
				if i+11 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
					lo, _ = strconv.ParseUint(string(body[i+8:i+12]), 16, 32)
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					return false, "a lone high surrogate"
				}
				i += 6
			}
		}
		i++
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // as the SCIM library decodes: no number is too large
	type frame struct {
		object bool
		keys   []string
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: tok == '{', key: tok == '{'})
				if len(stack) > 32 {
					return false, "deeper than 32"
				}
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.key {
				for _, k := range top.keys {
					if strings.EqualFold(k, tok) {
						return false, "the key " + strconv.Quote(tok) + " twice"
					}
				}
				top.keys = append(top.keys, tok)
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

// FuzzCheckJSON compares CheckJSON with the reference of FuzzBody on
// arbitrary bytes, without a server in between: they agree on every input.
func FuzzCheckJSON(f *testing.F) {
	for _, seed := range wireBodySeeds {
		f.Add([]byte(seed))
	}
	for _, seed := range []string{`"\ud800\udc00"`, `"\\ud800"`, `[1e5,-0,0.5E-3]`, `{"ſ":1,"S":2}`, `{"K":1,"k":2}`, `01`, `[1,]`, "\"\x7f\"", " \t\n\r{}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := scimx.CheckJSON(body, 32)
		strict, why := refStrictJSON(body)
		switch {
		case strict && err != nil:
			t.Errorf("CheckJSON(%q) = %v, but the body is strict JSON", body, err)
		case !strict && err == nil:
			t.Errorf("CheckJSON(%q) = nil, but the body is not strict JSON: %s", body, why)
		case err != nil && !errors.Is(err, scimx.ErrInvalidJSON):
			t.Errorf("CheckJSON(%q) = %v, which does not wrap ErrInvalidJSON", body, err)
		}
	})
}
