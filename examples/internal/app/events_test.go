package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/scimx"
)

const groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"

func eventsOf(t *testing.T, s *httptest.Server, token, query string) app.Events {
	t.Helper()
	status, body := call(t, s, token, "GET", "/admin/events"+query, "")
	if status != 200 {
		t.Fatalf("GET /admin/events%s: %d %s", query, status, body)
	}
	var out app.Events
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("GET /admin/events%s: %v: %s", query, err, body)
	}
	return out
}

// GET /admin/events lists the tenant's change feed: SCIM writes with actor
// source and the admin API's with actor app, one event per change, in
// order, paged by after and limit.
func TestAdminEvents(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s := serve(t, open(t), app.Config{})
			if got := eventsOf(t, s, "ta", ""); len(got.Events) != 0 || got.Next != 0 {
				t.Errorf("a new tenant's feed: %+v, want no events and next 0", got)
			}
			status, body := call(t, s, "ta", "POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"Eng","externalId":"00g1","members":[{"value":"u1"}]}`)
			if status != 201 {
				t.Fatalf("POST: %d %s", status, body)
			}
			eng := object(t, body)["id"].(string)
			if status, body := call(t, s, "ta", "PATCH", "/scim/v2/Groups/"+eng, patchBody(`{"op":"add","path":"members","value":[{"value":"u2"}]}`,
				`{"op":"remove","path":"members[value eq \"u1\"]"}`)); status != 204 {
				t.Fatalf("PATCH: %d %s", status, body)
			}
			if status, body := call(t, s, "ta", "PATCH", "/scim/v2/Groups/"+eng, patchBody(`{"op":"replace","value":{"displayName":"Engineering"}}`)); status != 204 && status != 200 {
				t.Fatalf("rename: %d %s", status, body)
			}
			status, body = call(t, s, "ta", "POST", "/admin/groups", `{"displayName":"Admins","members":["u9"]}`)
			if status != 201 {
				t.Fatalf("admin POST: %d %s", status, body)
			}
			adm := decodeGroup(t, body).ID
			if status, body := call(t, s, "ta", "PATCH", "/admin/groups/"+adm, `{"members":["u8"],"type":"Teams"}`); status != 200 {
				t.Fatalf("admin PATCH: %d %s", status, body)
			}
			if status, body := call(t, s, "ta", "PATCH", "/admin/groups/"+adm, `{"type":"Teams"}`); status != 200 {
				t.Fatalf("admin PATCH that changes nothing: %d %s", status, body)
			}
			if status, body := call(t, s, "ta", "DELETE", "/admin/groups/"+adm, ""); status != 204 {
				t.Fatalf("admin DELETE: %d %s", status, body)
			}
			// Tenant b's write is in tenant b's feed only (R16).
			if status, body := call(t, s, "tb", "POST", "/scim/v2/Groups", `{"schemas":["`+groupURN+`"],"displayName":"Eng"}`); status != 201 {
				t.Fatalf("POST as b: %d %s", status, body)
			}

			got := eventsOf(t, s, "ta", "?after=0&limit=100")
			want := []app.Event{
				{Seq: 1, Group: eng, Name: "Eng", ExternalID: "00g1", Type: "Groups", Kind: "created", Added: []string{"u1"}, Removed: []string{}, Actor: "source", Version: 1},
				{Seq: 2, Group: eng, Name: "Eng", ExternalID: "00g1", Type: "Groups", Kind: "members", Added: []string{"u2"}, Removed: []string{"u1"}, Actor: "source", Version: 2},
				{Seq: 3, Group: eng, Name: "Engineering", OldName: "Eng", ExternalID: "00g1", Type: "Groups", Kind: "renamed", Added: []string{}, Removed: []string{}, Actor: "source", Version: 3},
				{Seq: 4, Group: adm, Name: "Admins", Type: "Groups", Kind: "created", Added: []string{"u9"}, Removed: []string{}, Actor: "app", Version: 1},
				{Seq: 5, Group: adm, Name: "Admins", Type: "Teams", Kind: "type", Added: []string{"u8"}, Removed: []string{"u9"}, Actor: "app", Version: 2},
				{Seq: 6, Group: adm, Name: "Admins", Type: "Teams", Kind: "deleted", Added: []string{}, Removed: []string{"u8"}, Actor: "app", Version: 3},
			}
			ignore := cmpopts.IgnoreFields(app.Event{}, "ID", "At")
			if d := cmp.Diff(want, got.Events, ignore); d != "" {
				t.Errorf("tenant a's feed (-want +got):\n%s", d)
			}
			if got.Next != 6 {
				t.Errorf("next %d, want 6, the last seq returned", got.Next)
			}
			ids := map[string]bool{}
			for _, e := range got.Events {
				if e.ID == "" || ids[e.ID] || e.At.IsZero() || e.Tenant != "" {
					t.Errorf("event %d: id %q (unique, not empty), at %v (set), tenant %q (only in webhooks)", e.Seq, e.ID, e.At, e.Tenant)
				}
				ids[e.ID] = true
			}
			if b := eventsOf(t, s, "tb", ""); len(b.Events) != 1 || b.Events[0].Seq != 1 || b.Events[0].Name != "Eng" {
				t.Errorf("R16: tenant b's feed is %+v, want its one event, numbered 1", b)
			}

			// Paging by cursor.
			var paged []int64
			for after := int64(0); ; {
				page := eventsOf(t, s, "ta", "?after="+itoa64(after)+"&limit=4")
				if len(page.Events) == 0 {
					if page.Next != after {
						t.Errorf("an empty page's next is %d, want after, %d", page.Next, after)
					}
					break
				}
				for _, e := range page.Events {
					paged = append(paged, e.Seq)
				}
				after = page.Next
			}
			if !cmp.Equal(paged, []int64{1, 2, 3, 4, 5, 6}) {
				t.Errorf("paging with limit=4 gave %v, want 1 to 6", paged)
			}

			bad := []struct{ name, query, reason string }{
				{"after not a number", "?after=x", "after is a sequence number"},
				{"after negative", "?after=-1", "sequence numbers start at 1; 0 is the start"},
				{"after empty", "?after=", "an empty after is no number"},
				{"limit zero", "?limit=0", "a page holds at least one event"},
				{"limit too large", "?limit=1001", "a page is bounded: at most 1,000 events"},
				{"limit not a number", "?limit=ten", "limit is a number"},
				{"unknown parameter", "?since=3", "a misspelt parameter is refused, not ignored"},
				{"after twice", "?after=1&after=2", "which one the reader means is not for the server to guess"},
				{"limit twice", "?limit=1&limit=2", "the same holds for limit"},
			}
			tabletest.Check(t, bad)
			for _, tt := range bad {
				status, body := call(t, s, "ta", "GET", "/admin/events"+tt.query, "")
				var e struct{ Error string }
				if status != 400 || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
					t.Errorf("%s: %d %s, want 400 with {\"error\":…} (%s)", tt.name, status, body, tt.reason)
				}
			}
			if status, _ := call(t, s, "nope", "GET", "/admin/events", ""); status != 401 {
				t.Errorf("a wrong token reads the feed: %d, want 401", status)
			}
		})
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// receiver is a webhook receiver that fails the first fail POSTs and
// records the others.
type receiver struct {
	mu   sync.Mutex
	fail int
	got  []app.Event
	seen int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.seen++
	if rc.seen <= rc.fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var e app.Event
	if err := json.Unmarshal(body, &e); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, e)
}

func (rc *receiver) events() []app.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]app.Event(nil), rc.got...)
}

// waitFor waits until f holds, for at most 20 seconds.
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A webhook whose receiver fails at first gets every event once it
// answers, in order per tenant, and a new Webhook over the same store
// resumes from the cursor: it sends none of the delivered events again.
func TestWebhookRetriesAndResumes(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			stores := open(t)
			rc := &receiver{fail: 3}
			hs := httptest.NewServer(rc)
			defer hs.Close()
			start := func() (*app.Webhook, context.CancelFunc, chan error) {
				hook := &app.Webhook{URL: hs.URL, Store: stores.Groups, Tenants: []string{"a", "b"}, MaxBackoff: 50 * time.Millisecond}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- hook.Run(ctx) }()
				return hook, cancel, done
			}
			hook, cancel, done := start()
			s := serve(t, stores, app.Config{OnChange: func(context.Context, scimx.Event) { hook.Wake() }})
			for _, tok := range []string{"ta", "tb", "ta"} {
				if status, body := call(t, s, tok, "POST", "/admin/groups", `{"displayName":"G `+tok+`"}`); status != 201 {
					t.Fatalf("POST: %d %s", status, body)
				}
			}
			waitFor(t, "three events", func() bool { return len(rc.events()) >= 3 })
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
			if status, body := call(t, s, "ta", "POST", "/admin/groups", `{"displayName":"While stopped"}`); status != 201 {
				t.Fatalf("POST: %d %s", status, body)
			}
			hook, cancel, done = start()
			defer func() { cancel(); <-done }()
			waitFor(t, "the event written while the webhook was stopped", func() bool { return len(rc.events()) >= 4 })
			time.Sleep(200 * time.Millisecond) // room for a wrong redelivery
			var got []string
			for _, e := range rc.events() {
				got = append(got, e.Tenant+":"+itoa64(e.Seq)+":"+e.Name+":"+string(e.Actor))
			}
			// Per tenant in order; the tenants' order between them is free.
			want := []string{"a:1:G ta:app", "a:2:G ta:app", "a:3:While stopped:app", "b:1:G tb:app"}
			if d := cmp.Diff(want, got, cmpopts.SortSlices(func(x, y string) bool { return x < y })); d != "" {
				t.Errorf("delivered (-want +got):\n%s", d)
			}
			var a []string
			for _, g := range got {
				if strings.HasPrefix(g, "a:") {
					a = append(a, g)
				}
			}
			if !cmp.Equal(a, want[:3]) {
				t.Errorf("tenant a's events arrived as %v, want in order %v", a, want[:3])
			}
			if rc.seen < 3+4 {
				t.Errorf("the receiver saw %d POSTs, want the 3 refused ones retried", rc.seen)
			}
			_ = hook
		})
	}
}

func TestWebhookCheck(t *testing.T) {
	stores, err := app.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, reason string
		ok                bool
	}{
		{"https URL", "https://hooks.example.com/groups", "an absolute https URL receives events", true},
		{"relative", "/hooks", "a relative URL names no receiver", false},
		{"other scheme", "ftp://example.com/x", "webhooks are HTTP POSTs", false},
		{"no host", "http:///x", "a URL without a host names no receiver", false},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		err := (&app.Webhook{URL: tt.url, Store: stores.Groups, Tenants: []string{"a"}}).Check()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Check(%q) = %v, want ok %v (%s)", tt.name, tt.url, err, tt.ok, tt.reason)
		}
	}
	if err := (&app.Webhook{URL: "https://x.example"}).Check(); err == nil {
		t.Error("a Webhook without a store and tenants passes Check")
	}
}

// A receiver behind a redirect (an http URL that answers 301 to https, a
// path without its trailing slash) never gets the POST: Go's client would
// follow with a GET and report its 200. The Webhook follows no redirect:
// a 3xx is a failed delivery, retried, and the event is delivered, as a
// POST, once the URL answers 2xx itself.
func TestWebhookRefusesRedirects(t *testing.T) {
	stores, err := app.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var redirect = true
	var redirected, posts, others int
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case redirect && r.URL.Path == "/hook":
			redirected++
			http.Redirect(w, r, "/hook/", http.StatusMovedPermanently)
		case r.Method == http.MethodPost:
			posts++
		default:
			others++
		}
	}))
	defer hs.Close()
	dir := &scimx.Directory{Store: stores.Groups}
	if _, err := dir.Create(context.Background(), "a", group.Group{Name: "A"}); err != nil {
		t.Fatal(err)
	}
	// Through a client of the app's own, whose CheckRedirect would follow.
	hook := &app.Webhook{URL: hs.URL + "/hook", Store: stores.Groups, Tenants: []string{"a"}, MaxBackoff: 20 * time.Millisecond, Client: &http.Client{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hook.Run(ctx) }()
	defer func() { cancel(); <-done }()
	cursor := func() int64 {
		var cur int64
		if err := stores.Groups.View(context.Background(), "a", func(tx scimx.Tx) (err error) { cur, err = tx.Cursor("webhook"); return err }); err != nil {
			t.Fatal(err)
		}
		return cur
	}
	waitFor(t, "retries of the redirected POST", func() bool { mu.Lock(); defer mu.Unlock(); return redirected >= 3 })
	mu.Lock()
	if posts != 0 || others != 0 {
		t.Errorf("the redirect was followed: %d POSTs and %d other requests at its Location", posts, others)
	}
	redirect = false
	mu.Unlock()
	if cur := cursor(); cur != 0 {
		t.Errorf("the cursor is at %d after only redirects, want 0: the event counts as delivered", cur)
	}
	waitFor(t, "the delivery once the URL answers 2xx", func() bool { return cursor() == 1 })
	mu.Lock()
	defer mu.Unlock()
	if posts != 1 || others != 0 {
		t.Errorf("%d POSTs and %d other requests, want the one POST", posts, others)
	}
}

// R17: a reader of /admin/events whose after is older than what a
// retention pruned gets 410 Gone with a JSON error naming the oldest kept
// seq, never the later events as if nothing were missing; from the oldest
// kept seq less one it reads on.
func TestR17AdminEventsGoneAfterPruning(t *testing.T) {
	for name, open := range databases(t) {
		t.Run(name, func(t *testing.T) {
			stores := open(t)
			s := serve(t, stores, app.Config{})
			for _, n := range []string{"A", "B", "C", "D"} {
				if status, body := call(t, s, "ta", "POST", "/admin/groups", `{"displayName":"`+n+`"}`); status != 201 {
					t.Fatalf("POST: %d %s", status, body)
				}
			}
			err := stores.Groups.Update(context.Background(), "a", func(tx scimx.Tx) error {
				if err := tx.SetCursor("webhook", 2); err != nil {
					return err
				}
				_, err := tx.PruneEvents(time.Now().Add(time.Hour))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"", "?after=0", "?after=1&limit=10"} {
				status, body := call(t, s, "ta", "GET", "/admin/events"+q, "")
				var e struct{ Error string }
				if status != http.StatusGone || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, "oldest kept is 3") {
					t.Errorf("GET /admin/events%s after events 1 and 2 were pruned: %d %s, want 410 with an error naming the oldest kept, 3", q, status, body)
				}
			}
			if got := eventsOf(t, s, "ta", "?after=2"); len(got.Events) != 2 || got.Events[0].Seq != 3 || got.Next != 4 {
				t.Errorf("after the pruned events: %+v, want 3 and 4", got)
			}
			if got := eventsOf(t, s, "tb", "?after=0"); len(got.Events) != 0 {
				t.Errorf("a feed that never had events: %+v, want none and no error", got)
			}
		})
	}
}
