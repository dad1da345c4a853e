// Walkthrough retells the reference help article, "push groups from Okta to
// 15Five", over real HTTP. 15Five is the demo app of examples/internal/app,
// started in-process on a loopback port: SCIM 2.0 under /scim/v2, and a JSON
// admin API under /admin that stands in for the app's own UI (Settings >
// People > Manage groups). Okta is a [groupsync.Applier] pushing through a
// [scimclient.Client].
//
// The steps are those of examples/internal/article: each prints what the
// admin does, the plan Okta makes, what the push did, and what the app's
// admin API then shows. Over HTTP the walkthrough shows more: every admin
// request that changes something, every SCIM write that goes over the wire
// with its answer, and a connection test with a wrong token. In the last
// step the network fails every update of one group with 503, to walk the
// article's troubleshooting table down to its last row: contact support
// with the group name and the timestamp of the last sync attempt.
//
// The clock is injected (it starts at 2026-11-02T09:00:00Z and moves a
// minute per step and per attempt) and the app numbers its groups grp-1,
// grp-2, …, so the output is the same on every run. The program checks every
// claim it prints and fails (exit status 1) when the library departs from
// the article.
//
// Usage:
//
//	go run ./examples/walkthrough
//
// This file imports the library's sync package as groupsync, beside the
// standard library's.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/examples/internal/article"
	"github.com/groupsync/groupsync/scimx"
	"github.com/groupsync/groupsync/scimx/scimclient"
	groupsync "github.com/groupsync/groupsync/sync"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

// start is when the walk-through starts, on its own clock.
var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

const usage = `usage: walkthrough [-h]

Walkthrough retells the help article "push groups from Okta to 15Five" over
HTTP: 15Five is the demo app on a loopback port, Okta a sync.Applier pushing
through a scimclient.Client. It takes no arguments.
`

const intro = `15Five is the demo app on loopback: SCIM at /scim/v2, its Manage groups page
at /admin/groups. Okta is a sync.Applier pushing through a scimclient.Client.
`

// The app's credentials: Okta's bearer token (one tenant), and a wrong one.
const (
	token      = "okta-walkthrough-token"
	wrongToken = "not-the-token"
)

// The client's retry budget and per-request timeout: small, so that a
// failing target is given up on within a second. With a budget of 500 ms the
// client retries a failed request exactly once: its first backoff is between
// 250 and 500 ms, its second at least 500 ms.
const (
	maxRetryWait   = 500 * time.Millisecond
	requestTimeout = 2 * time.Second
)

// run parses args (only -h), starts the app on loopback and prints the
// walk-through to stdout. It returns an error for unknown arguments, and
// when the library does not do what the article says.
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	if help, err := article.ParseArgs("walkthrough", usage, args, stdout); help || err != nil {
		return err
	}
	clk := article.NewClock(start)
	d, err := startDemo(ctx, clk, stdout)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.stop()) }()
	return article.Run(ctx, article.Config{
		App:      d.admin,
		Target:   d.okta,
		Out:      d.out,
		Clock:    clk,
		Intro:    intro,
		Connect:  d.connect,
		ShowWire: d.showWire,
	})
}

// demo is the app on loopback and what reaches it.
type demo struct {
	out   *article.Printer
	clock *article.Clock
	base  string       // the app's URL, http://127.0.0.1:port: never printed
	http  *http.Client // Okta's and the admin's connections to the app
	wire  *wire        // the app as the network sees it
	admin *admin       // the app as its admin reaches it
	okta  *scimclient.Client
	stop  func() error
}

// startDemo starts the app on a loopback port, with ids and times from clk.
// Its stop method stops the app.
func startDemo(ctx context.Context, clk *article.Clock, stdout io.Writer) (*demo, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	var ids atomic.Int64
	h, err := app.New(app.Config{
		Tokens: map[string]string{token: "15five"},
		Store: &scimx.MemStore{Now: clk.Now, NewID: func() string {
			return fmt.Sprintf("grp-%d", ids.Add(1))
		}},
		BaseURL: base + "/scim/v2",
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	wr := &wire{next: h}
	srv := scimx.NewHTTPServer(wr)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	transport := &http.Transport{}
	d := &demo{
		out:   &article.Printer{W: stdout, Refuse: []string{ln.Addr().String(), "127.0.0.1"}},
		clock: clk,
		base:  base,
		http:  &http.Client{Transport: transport},
		wire:  wr,
	}
	d.admin = &admin{base: base, http: d.http, token: token, out: d.out, wire: wr}
	d.stop = func() error {
		transport.CloseIdleConnections()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shutdown)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	}
	if d.okta, err = d.client(token); err != nil {
		return nil, errors.Join(err, d.stop())
	}
	return d, nil
}

// client returns a SCIM client of the app with that bearer token.
func (d *demo) client(tok string) (*scimclient.Client, error) {
	return scimclient.New(d.base+"/scim/v2", scimclient.Options{
		HTTPClient:   d.http,
		Auth:         scimclient.Bearer(tok),
		Timeout:      requestTimeout,
		MaxRetryWait: maxRetryWait,
	})
}

// connect is the walkthrough's part of step 1: Okta tests the connection
// (R1), which answers with Okta's token and fails with a wrong one, before
// any write.
func (d *demo) connect(ctx context.Context) error {
	d.out.Printf("In Okta, SCIM provisioning is enabled with the app's SCIM base URL (the app on\n")
	d.out.Printf("loopback, /scim/v2) and its bearer token. Okta tests the connection:\n")
	if err := d.okta.Check(ctx); err != nil {
		return fmt.Errorf("the app does not answer Okta: %w", err)
	}
	d.out.Printf("  GET /scim/v2/Groups?startIndex=1&count=1 answers a SCIM ListResponse: connected.\n")

	d.out.Printf("With a wrong token, the same test fails, and a push writes nothing:\n")
	wrong, err := d.client(wrongToken)
	if err != nil {
		return err
	}
	checkErr := wrong.Check(ctx)
	var he *scimclient.HTTPError
	if !errors.Is(checkErr, groupsync.ErrNotConnected) || !errors.As(checkErr, &he) || he.Status != http.StatusUnauthorized {
		return fmt.Errorf("check with a wrong token: got %v, want a 401 wrapping ErrNotConnected", checkErr)
	}
	// The error names the app's URL, port included: print the answer only.
	d.out.Printf("  GET /scim/v2/Groups?startIndex=1&count=1 answers %d %s: %s;\n", he.Status, http.StatusText(he.Status), he.Detail)
	d.out.Printf("  errors.Is(err, sync.ErrNotConnected) = %t.\n", errors.Is(checkErr, groupsync.ErrNotConnected))
	intruder := &groupsync.Applier{Target: wrong, Store: &groupsync.MemStore{}, Now: d.clock.Now}
	_, _, pushErr := intruder.Sync(ctx, groupsync.Input{Desired: []groupsync.SourceGroup{
		{ID: "okta-eng", Name: "Engineering", Members: []string{"u-alice", "u-bob"}}}})
	if !errors.Is(pushErr, groupsync.ErrNotConnected) {
		return fmt.Errorf("push with a wrong token: got %v, want ErrNotConnected", pushErr)
	}
	d.out.Printf("  Push Groups with the wrong token: refused before any write (ErrNotConnected).\n")
	n, err := d.wire.show(d.out)
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("the push with a wrong token made %d SCIM writes", n)
	}
	return nil
}

// showWire prints the SCIM writes of a push, and checks them.
func (d *demo) showWire() error {
	_, err := d.wire.show(d.out)
	return err
}
