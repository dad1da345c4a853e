package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/groupsync/groupsync/internal/tabletest"
)

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-token", "t1", "-token", "t2", "-quiet", "-db", "memory"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "SCIM base URL: "); ok {
			base = url
		}
		if strings.HasPrefix(lines.Text(), "Bearer token of tenant-2") {
			break
		}
	}
	if base == "" {
		t.Fatal("no base URL printed")
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	tokens := []struct {
		name   string
		token  string
		status int
		reason string
	}{
		{"R16 first tenant's token", "t1", 200, "the first -token is tenant-1's bearer token, so its R1 connection check is answered"},
		{"R16 second tenant's token", "t2", 200, "each -token flag adds a tenant of its own; the second serves tenant-2"},
		{"token not given", "t3", 401, "a token not given on the command line is no credential"},
	}
	tabletest.Check(t, tokens)
	for _, tc := range tokens {
		req, _ := http.NewRequest("GET", base+"/Groups?startIndex=1&count=1", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: token %s: status %d, want %d (%s)", tc.name, tc.token, res.StatusCode, tc.status, tc.reason)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
}

func TestRunRejectsArguments(t *testing.T) {
	if err := run(context.Background(), []string{"extra"}, io.Discard); err == nil {
		t.Error("run accepted a stray argument")
	}
	if err := run(context.Background(), []string{"-nope"}, io.Discard); err == nil {
		t.Error("run accepted an unknown flag")
	}
	if err := run(context.Background(), []string{"-retention", "720h", "-db", "memory"}, io.Discard); err == nil {
		t.Error("run accepted -retention without -webhook, where nothing would prune")
	}
	if err := run(context.Background(), []string{"-retention", "-1h", "-webhook", "http://127.0.0.1:1/", "-db", "memory"}, io.Discard); err == nil {
		t.Error("run accepted a negative -retention")
	}
}

// What a real Okta or Entra ID tenant does first, against the running
// server: Okta's save-time read and Entra's Test Connection answer 200
// ListResponses; a provisioned user can then be a member with
// -strict-members, an unknown value cannot (and can without the flag);
// /admin/events lists what changed.
func TestRunServesUsersAndTheFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	for _, strict := range []bool{false, true} {
		t.Run("strict="+strconv.FormatBool(strict), func(t *testing.T) {
			var flags []string
			if strict {
				flags = append(flags, "-strict-members")
			}
			p := start(t, filepath.Join(t.TempDir(), "groupsync.db"), flags...)
			reads := []struct{ name, path, reason string }{
				{"Okta save-time read", "/Users?startIndex=1&count=2", "Okta refuses to save provisioning settings without a 200 ListResponse"},
				{"Entra Test Connection", "/Users?filter=userName%20eq%20%22" + strconv.FormatInt(time.Now().UnixNano(), 36) + "%22", "Entra ID's Test Connection expects an empty 200 list for a random userName"},
			}
			tabletest.Check(t, reads)
			for _, r := range reads {
				status, m, err := p.call("GET", r.path, "")
				if res, ok := m["Resources"].([]any); err != nil || status != 200 || !ok || len(res) != 0 || m["totalResults"] != float64(0) {
					t.Errorf("%s: GET %s = %d %v %v, want 200 and an empty ListResponse (%s)", r.name, r.path, status, m, err, r.reason)
				}
			}
			status, m, err := p.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@example.com","active":true}`)
			if err != nil || status != 201 {
				t.Fatalf("POST /Users: %d %v %v", status, m, err)
			}
			ann := m["id"].(string)
			status, m, err = p.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[{"value":"`+ann+`"},{"value":"u-unknown"}]}`)
			want := 201
			if strict {
				want = 400
			}
			if err != nil || status != want {
				t.Errorf("strict %v: a group with an unknown member: %d %v %v, want %d", strict, status, m, err, want)
			}
			if strict {
				if status, m, err = p.call("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","members":[{"value":"`+ann+`"}]}`); err != nil || status != 201 {
					t.Fatalf("strict: a group of a provisioned user: %d %v %v", status, m, err)
				}
			}
			events := p.feed(t)
			if len(events) != 1 || events[0].Kind != "created" || events[0].Actor != "source" || len(events[0].Added) == 0 || events[0].Added[0] != ann {
				t.Errorf("/admin/events after one group's creation: %+v", events)
			}
		})
	}
}
