package scimx_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/internal/tabletest"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// feedOf returns every event of tenant's change feed, in order.
func feedOf(t *testing.T, store scimx.Store, tenant string) []scimx.FeedEvent {
	t.Helper()
	var evs []scimx.FeedEvent
	if err := store.View(context.Background(), tenant, func(tx scimx.Tx) (err error) {
		evs, err = tx.Events(0, 100000)
		return err
	}); err != nil {
		t.Fatalf("read the feed: %v", err)
	}
	return evs
}

// ignoreStamps leaves out of a comparison of events what the store stamps:
// the id, the time and the tenant, which checkStamps checks instead.
var ignoreStamps = cmpopts.IgnoreFields(scimx.FeedEvent{}, "ID", "At", "Tenant")

// checkStamps checks what the store stamps on each event: a unique id, a
// time no earlier than since, the tenant, and the numbers 1, 2, 3, ….
func checkStamps(t *testing.T, evs []scimx.FeedEvent, tenant string, since time.Time) {
	t.Helper()
	ids := map[string]bool{}
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.ID == "" || ids[e.ID] || e.Tenant != tenant || e.At.Before(since.Add(-time.Second)) {
			t.Errorf("event %d: seq %d, id %q (seen before: %v), tenant %q, at %v; want seq %d, a new id, tenant %q, a time after %v",
				i, e.Seq, e.ID, ids[e.ID], e.Tenant, e.At, i+1, tenant, since)
		}
		ids[e.ID] = true
	}
}

// version returns the version an ETag header names.
func version(t *testing.T, etag string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`), 10, 64)
	if err != nil {
		t.Fatalf("ETag %q names no version", etag)
	}
	return v
}

// R17: every committed SCIM write appends one event for the group it
// changed, in the request's transaction: the kind of change, the group's
// id and name (and the old name of a rename), the member values that
// joined and left, the actor "source", and the version the answer's ETag
// names.
func TestR17EachSCIMWriteAppendsOneEvent(t *testing.T) {
	type setup struct {
		app, pushed string // ids of the app group "Sales" and the pushed group "Eng" (members u1, u2)
	}
	tests := []struct {
		name, reason string
		method       string
		path         func(setup) string
		body         string
		status       int
		want         func(setup) scimx.FeedEvent
	}{
		{
			name: "R17 POST creates a group", reason: "a new group's event says created and lists its members as added, at version 1",
			method: "POST", path: func(setup) string { return "/Groups" }, status: 201,
			body: `{` + groupSchemaJSON + `,"displayName":"Leadership","externalId":"00g9","members":[{"value":"u9"},{"value":"u3"}]}`,
			want: func(setup) scimx.FeedEvent {
				return scimx.FeedEvent{Name: "Leadership", ExternalID: "00g9", Type: scimx.DefaultType, Kind: scimx.Created,
					Added: []string{"u3", "u9"}, Removed: []string{}, Version: 1}
			},
		},
		{
			name: "R17 POST associates by name", reason: "R5: a POST of an app group's exact name links it and replaces its members; the event says associated, not created, and names the app group",
			method: "POST", path: func(setup) string { return "/Groups" }, status: 201,
			body: `{` + groupSchemaJSON + `,"displayName":"Sales","externalId":"00g7","members":[{"value":"s2"},{"value":"s3"}]}`,
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.app, Name: "Sales", ExternalID: "00g7", Type: "Teams", Kind: scimx.Associated,
					Added: []string{"s3"}, Removed: []string{"s1"}, Version: 2}
			},
		},
		{
			name: "R17 PATCH of members", reason: "Okta's add and remove by filter in one request are one change: one event with both deltas",
			method: "PATCH", path: func(s setup) string { return "/Groups/" + s.pushed }, status: 204,
			body: wirePatch(`{"op":"add","path":"members","value":[{"value":"u3"}]}`, `{"op":"remove","path":"members[value eq \"u1\"]"}`),
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.pushed, Name: "Eng", ExternalID: "00g1", Type: scimx.DefaultType, Kind: scimx.MembersChanged,
					Added: []string{"u3"}, Removed: []string{"u1"}, Version: 2}
			},
		},
		{
			name: "R17 PATCH rename carries the old name", reason: "an app that keys anything by name must learn both names; the members the same request adds are in the same event",
			method: "PATCH", path: func(s setup) string { return "/Groups/" + s.pushed }, status: 204,
			body: wirePatch(`{"op":"replace","value":{"id":"x","displayName":"Platform"}}`, `{"op":"add","path":"members","value":[{"value":"u4"}]}`),
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.pushed, Name: "Platform", OldName: "Eng", ExternalID: "00g1", Type: scimx.DefaultType,
					Kind: scimx.Renamed, Added: []string{"u4"}, Removed: []string{}, Version: 2}
			},
		},
		{
			name: "R17 PATCH of externalId", reason: "a new link to the source is a change of its own kind, with no member change",
			method: "PATCH", path: func(s setup) string { return "/Groups/" + s.pushed }, status: 204,
			body: wirePatch(`{"op":"replace","path":"externalId","value":"entra-1"}`),
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.pushed, Name: "Eng", ExternalID: "entra-1", Type: scimx.DefaultType,
					Kind: scimx.ExternalIDChanged, Added: []string{}, Removed: []string{}, Version: 2}
			},
		},
		{
			name: "R17 PUT replaces members", reason: "a PUT's event holds the difference from the stored members, not the whole list it sent",
			method: "PUT", path: func(s setup) string { return "/Groups/" + s.pushed }, status: 200,
			body: `{` + groupSchemaJSON + `,"displayName":"Eng","members":[{"value":"u2"},{"value":"u5"}]}`,
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.pushed, Name: "Eng", ExternalID: "00g1", Type: scimx.DefaultType, Kind: scimx.MembersChanged,
					Added: []string{"u5"}, Removed: []string{"u1"}, Version: 2}
			},
		},
		{
			name: "R17 PUT rename", reason: "a PUT (Okta's wizard apps) that renames carries the old name like a PATCH",
			method: "PUT", path: func(s setup) string { return "/Groups/" + s.pushed }, status: 200,
			body: `{` + groupSchemaJSON + `,"displayName":"Engineering","members":[{"value":"u1"},{"value":"u2"}]}`,
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.pushed, Name: "Engineering", OldName: "Eng", ExternalID: "00g1", Type: scimx.DefaultType,
					Kind: scimx.Renamed, Added: []string{}, Removed: []string{}, Version: 2}
			},
		},
		{
			name: "R17 DELETE", reason: "a revoke must not be missed: the deleted group's event lists every member it had as removed, under its last name",
			method: "DELETE", path: func(s setup) string { return "/Groups/" + s.pushed }, status: 204,
			want: func(s setup) scimx.FeedEvent {
				return scimx.FeedEvent{Group: s.pushed, Name: "Eng", ExternalID: "00g1", Type: scimx.DefaultType, Kind: scimx.Deleted,
					Added: []string{}, Removed: []string{"u1", "u2"}, Version: 2}
			},
		},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, scimx.ServerOptions{})
			st := setup{
				app: s.Put("a", appGroup("Sales", "s1", "s2")),
				pushed: s.Put("a", group.Group{Name: "Eng", ExternalID: "00g1", Origin: origin.Source, Type: scimx.DefaultType,
					Members: group.NewMembers("u1", "u2")}),
			}
			since := time.Now()
			r := s.do(t, tt.method, tt.path(st), tt.body).must(t, tt.status)
			evs := feedOf(t, s.Store, "a")
			want := tt.want(st)
			want.Seq, want.Actor = 1, scimx.BySource
			if want.Group == "" {
				want.Group, _ = r.body["id"].(string)
			}
			if d := cmp.Diff([]scimx.FeedEvent{want}, evs, ignoreStamps); d != "" {
				t.Errorf("feed after %s (-want +got):\n%s\n(%s)", tt.method, d, tt.reason)
			}
			checkStamps(t, evs, "a", since)
			if etag := r.header.Get("ETag"); etag != "" && len(evs) == 1 && version(t, etag) != evs[0].Version {
				t.Errorf("the answer's ETag is %s and the event's version %d: they name the same version", etag, evs[0].Version)
			}
			if evs2 := feedOf(t, s.Store, "b"); len(evs2) != 0 {
				t.Errorf("R16: tenant b's feed holds %d events after tenant a's request", len(evs2))
			}
		})
	}
}

// R17: a request that changes nothing appends no event (R14: a retry that
// already took effect is done), and its ETag stays.
func TestR17NoOpWritesNoEvent(t *testing.T) {
	tests := []struct {
		name, reason string
		method, body string
		status       int
		onApp        bool // the request goes to the app group Sales, else to Eng
	}{
		{"R17 PATCH adding a present member", "Okta retries an add that took effect; nothing changes, so nothing is announced",
			"PATCH", wirePatch(`{"op":"add","path":"members","value":[{"value":"u1"}]}`), 204, false},
		{"R17 PATCH removing an absent member", "Entra removes members it believes present; removing an absent one changes nothing",
			"PATCH", wirePatch(`{"op":"remove","path":"members","value":[{"value":"nobody"}]}`), 204, false},
		{"R17 PATCH removing and adding back", "the net change of the request's operations is what counts, not each operation",
			"PATCH", wirePatch(`{"op":"remove","path":"members[value eq \"u1\"]"}`, `{"op":"add","path":"members","value":[{"value":"u1"}]}`), 204, false},
		{"R17 PATCH of the same name", "Okta sends the name with every push; the same name is no rename",
			"PATCH", wirePatch(`{"op":"replace","value":{"displayName":"Eng"}}`), 204, false},
		{"R17 PUT of the stored state", "a PUT that restates the group changes nothing",
			"PUT", `{` + groupSchemaJSON + `,"displayName":"Eng","externalId":"00g1","members":[{"value":"u2"},{"value":"u1"}]}`, 200, false},
		{"R17 POST associating again", "a retried associating POST (R5) finds the group linked and its members equal: no change",
			"POST", `{` + groupSchemaJSON + `,"displayName":"Eng","externalId":"00g1","members":[{"value":"u1"},{"value":"u2"}]}`, 201, false},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			s := newServer(t, scimx.ServerOptions{OnChange: func(context.Context, scimx.Event) { calls++ }})
			id := s.Put("a", group.Group{Name: "Eng", ExternalID: "00g1", Origin: origin.Source, Members: group.NewMembers("u1", "u2")})
			path := "/Groups"
			if tt.method != "POST" {
				path += "/" + id
			}
			s.do(t, tt.method, path, tt.body).must(t, tt.status)
			if evs := feedOf(t, s.Store, "a"); len(evs) != 0 || calls != 0 {
				t.Errorf("%d events and %d OnChange calls, want none (%s): %+v", len(evs), calls, tt.reason, evs)
			}
			if v := s.Group("a", id).Version; v != 1 {
				t.Errorf("version %d after a no-op, want 1", v)
			}
		})
	}
}

// R17: a refused request changes nothing, so it appends no event, even
// when some of its operations alone would have applied.
func TestR17RefusedRequestWritesNoEvent(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{Members: func(_ context.Context, _ string, ids []string) ([]string, error) {
		return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return strings.HasPrefix(id, "u") }), nil
	}})
	app := s.Put("a", appGroup("Sales", "u1"))
	eng := s.Put("a", group.Group{Name: "Eng", ExternalID: "00g1", Origin: origin.Source, Members: group.NewMembers("u1")})
	s.Put("a", group.Group{Name: "Ops", Origin: origin.Source})
	addU2 := `{"op":"add","path":"members","value":[{"value":"u2"}]}`
	tests := []struct {
		name, reason string
		method, path string
		body         string
		header       []string
		status       int
	}{
		{"R17 R7 rename of an app group", "R7 refuses it with 400; the member add beside it does not apply either",
			"PATCH", "/Groups/" + app, wirePatch(addU2, `{"op":"replace","path":"displayName","value":"Revenue"}`), nil, 400},
		{"R17 R7 delete of an app group", "R7: the app's group is not the source's to delete",
			"DELETE", "/Groups/" + app, "", nil, 400},
		{"R17 rename to a taken name", "a rename to another group's name is 409, and the add beside it is undone",
			"PATCH", "/Groups/" + eng, wirePatch(addU2, `{"op":"replace","path":"displayName","value":"Ops"}`), nil, 409},
		{"R17 stale If-Match", "412: the client wrote against another version",
			"PATCH", "/Groups/" + eng, wirePatch(addU2), []string{"If-Match", `W/"7"`}, 412},
		{"R17 unknown member", "the resolver refuses x1; the request applies nothing, u2 included",
			"PATCH", "/Groups/" + eng, wirePatch(addU2, `{"op":"add","path":"members","value":[{"value":"x1"}]}`), nil, 400},
		{"R17 R2 local attribute", "a PATCH of groupType is 400 and nothing in the request applies",
			"PATCH", "/Groups/" + eng, wirePatch(addU2, `{"op":"replace","path":"`+scimx.ExtensionSchema+`:groupType","value":"Teams"}`), nil, 400},
		{"R17 R18 duplicate keys", "a body that is not strict JSON is refused before anything is read from it",
			"PATCH", "/Groups/" + eng, `{"schemas":["` + patchOpURN + `"],"Operations":[` + addU2 + `],"operations":[]}`, nil, 400},
		{"R17 POST of a name linked elsewhere", "R5: a POST of a group's name with another externalId is 409 and associates nothing",
			"POST", "/Groups", `{` + groupSchemaJSON + `,"displayName":"Eng","externalId":"00g2"}`, nil, 409},
	}
	tabletest.Check(t, tests)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.do(t, tt.method, tt.path, tt.body, tt.header...).must(t, tt.status)
			if evs := feedOf(t, s.Store, "a"); len(evs) != 0 {
				t.Errorf("a refused request appended %+v (%s)", evs, tt.reason)
			}
		})
	}
}

// R17: OnChange is best effort, after the commit: a panic in it is logged
// and recovered, the request still answers success, and the change's event
// is in the feed.
func TestR17PanicInOnChangeStillAnswersSuccess(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	s := newServer(t, scimx.ServerOptions{
		Logger:   slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil)),
		OnChange: func(context.Context, scimx.Event) { panic("the app's callback is broken") },
	})
	id := s.Put("a", group.Group{Name: "Eng", Origin: origin.Source})
	r := s.do(t, "PATCH", "/Groups/"+id, wirePatch(`{"op":"add","path":"members","value":[{"value":"u1"}]}`))
	if r.status != 204 {
		t.Fatalf("PATCH with a panicking OnChange: %d %s, want 204: the change is saved", r.status, r.raw)
	}
	s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"New"}`).must(t, 201)
	s.do(t, "DELETE", "/Groups/"+id, "").must(t, 204)
	evs := feedOf(t, s.Store, "a")
	kinds := []scimx.Kind{}
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if want := []scimx.Kind{scimx.MembersChanged, scimx.Created, scimx.Deleted}; !slices.Equal(kinds, want) {
		t.Errorf("feed kinds %v, want %v: every acknowledged change has its event", kinds, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "OnChange panicked"); n != 3 {
		t.Errorf("%d logged panics, want 3:\n%s", n, logs.String())
	}
}

// R17: OnChange gets what the feed event holds, the old name of a rename
// included.
func TestR17OnChangeCarriesTheOldName(t *testing.T) {
	var got []scimx.Event
	s := newServer(t, scimx.ServerOptions{OnChange: func(_ context.Context, e scimx.Event) { got = append(got, e) }})
	id := s.Put("a", group.Group{Name: "Eng", Origin: origin.Source})
	s.do(t, "PATCH", "/Groups/"+id, wirePatch(`{"op":"replace","path":"displayName","value":"Platform"}`)).must(t, 204)
	if len(got) != 1 || got[0].OldName != "Eng" || got[0].Group.Name != "Platform" || got[0].Tenant != "a" {
		t.Errorf("OnChange got %+v, want one rename of Eng to Platform in tenant a", got)
	}
}

// R17: concurrent requests of several clients through one server give one
// sequence, 1 to n with no gap or repeat, and one event per acknowledged
// change, each member's in the order its group saw them.
func TestR17ConcurrentWritesGiveAGapFreeSequence(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	ids := []string{s.Put("a", group.Group{Name: "G1", Origin: origin.Source}), s.Put("a", group.Group{Name: "G2", Origin: origin.Source})}
	const clients, each = 8, 20
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := wirePatch(fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":"u-%d-%d"}]}`, c, i))
				s.do(t, "PATCH", "/Groups/"+ids[(c+i)%2], body).must(t, 204)
			}
		}()
	}
	wg.Wait()
	evs := feedOf(t, s.Store, "a")
	checkStamps(t, evs, "a", time.Time{})
	if len(evs) != clients*each {
		t.Fatalf("%d events for %d acknowledged PATCHes", len(evs), clients*each)
	}
	added := map[string]bool{}
	lastVersion := map[string]int64{}
	for _, e := range evs {
		if len(e.Added) != 1 || added[e.Added[0]] {
			t.Errorf("event %d adds %v, want one member no other event added", e.Seq, e.Added)
		}
		added[e.Added[0]] = true
		prev, ok := lastVersion[e.Group]
		if !ok {
			prev = 1 // Put creates at version 1
		}
		if e.Version != prev+1 {
			t.Errorf("event %d: group %s at version %d after %d: the feed is in commit order", e.Seq, e.Group, e.Version, prev)
		}
		lastVersion[e.Group] = e.Version
	}
}

// R16: each tenant numbers its own events from 1 and reads only its own.
func TestR16FeedsArePerTenant(t *testing.T) {
	s := newServer(t, scimx.ServerOptions{})
	s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"Eng"}`).must(t, 201)
	s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"Ops"}`).must(t, 201)
	s.do(t, "POST", "/Groups", `{`+groupSchemaJSON+`,"displayName":"Eng"}`, "Authorization", "Bearer "+tokenB).must(t, 201)
	a, b := feedOf(t, s.Store, "a"), feedOf(t, s.Store, "b")
	checkStamps(t, a, "a", time.Time{})
	checkStamps(t, b, "b", time.Time{})
	if len(a) != 2 || len(b) != 1 {
		t.Errorf("tenant a's feed holds %d events and b's %d, want 2 and 1", len(a), len(b))
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
