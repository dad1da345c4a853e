package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
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
}
