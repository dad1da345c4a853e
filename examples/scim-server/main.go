// Command scim-server runs the demo app: a SCIM 2.0 service built with
// groupsync's scimx, at http://127.0.0.1:8080/scim/v2, serving Groups and a
// minimal Users resource (so that a real Okta or Entra ID tenant can
// connect), and a JSON admin API under /admin that stands in for the app's
// own UI and exposes the change feed.
//
//	go run ./examples/scim-server [-addr 127.0.0.1:8080] [-token T]... [-db PATH|postgres://…|memory]
//	    [-strict-members] [-webhook URL [-webhook-max-backoff D] [-retention D]] [-idle-timeout D] [-quiet]
//
// Each -token is a tenant of its own; SCIM_TOKEN adds one more. With no
// token at all it generates one and prints it. Groups and users live in
// the SQLite file ./groupsync.db unless -db says otherwise, through
// bounded pools of connections.
//
// /scim/v2/Users keeps id, userName (unique per tenant, without regard to
// case), externalId, active, displayName, name and emails; it answers the
// filters userName eq, externalId eq and id eq, pages with startIndex and
// count, and takes POST, GET, PUT, PATCH (active with and without a path,
// as Okta and Entra ID send it) and DELETE. Other User attributes are
// accepted and not kept.
//
// -strict-members refuses member values that are neither users nor groups
// of the tenant (400 invalidValue naming them; nothing changes). Without
// it, any member value is accepted, as curl and clients that push members
// without provisioning users need.
//
// GET /admin/events?after=SEQ&limit=N lists the tenant's change feed
// (R17): {"events":[…],"next":SEQ}. -webhook URL POSTs every event, of
// every tenant, as JSON to URL: at least once, in order per tenant,
// retried with backoff (at most -webhook-max-backoff between tries) until
// the receiver answers 2xx (a redirect is a failure: point it at the
// final URL), resumed after a restart from a cursor in the database.
// -retention D (with -webhook) deletes, at most once a minute, the events
// older than D that the webhook has delivered; by default every event is
// kept. A reader of /admin/events whose after is older than what was
// deleted gets 410 Gone.
//
// It serves with the settings of scimx.NewHTTPServer (R18): headers within
// 10 seconds, a whole request within a minute, an idle kept-alive
// connection closed after -idle-timeout (a minute). It speaks plain HTTP on
// loopback; in production, put TLS in front of it or serve with ServeTLS.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/groupsync/groupsync/examples/internal/app"
	"github.com/groupsync/groupsync/scimx"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scim-server:", err)
		os.Exit(1)
	}
}

type tokenList []string

func (l *tokenList) String() string     { return strings.Join(*l, ",") }
func (l *tokenList) Set(v string) error { *l = append(*l, v); return nil }

// run serves until ctx ends, then shuts down cleanly.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scim-server", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	var tokens tokenList
	fs.Var(&tokens, "token", "a bearer token; repeat for more tenants, one per token")
	quiet := fs.Bool("quiet", false, "do not log requests")
	dbSpec := fs.String("db", "groupsync.db", `where groups and users live: a SQLite file, a postgres:// URL, or "memory"`)
	idle := fs.Duration("idle-timeout", scimx.NewHTTPServer(nil).IdleTimeout, "how long a kept-alive connection may wait for its next request")
	strict := fs.Bool("strict-members", false, "refuse member values that are neither users nor groups of the tenant")
	webhook := fs.String("webhook", "", "POST every change-feed event as JSON to this URL, retried until it answers 2xx")
	backoff := fs.Duration("webhook-max-backoff", time.Minute, "the longest wait between retries of a webhook delivery")
	retention := fs.Duration("retention", 0, "with -webhook, delete delivered events older than this, such as 720h; 0 keeps every event")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: scim-server [flags]

Serves SCIM 2.0 Groups and Users at /scim/v2 and the admin API at /admin
(GET /admin/groups, GET /admin/events?after=SEQ&limit=N), one tenant per
bearer token.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the usage is the answer
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	switch {
	case *retention < 0:
		return fmt.Errorf("-retention %s: want 0 (keep every event) or more", *retention)
	case *retention > 0 && *webhook == "":
		return errors.New("-retention prunes the events the webhook has delivered: it needs -webhook")
	}
	if t := os.Getenv("SCIM_TOKEN"); t != "" {
		tokens = append(tokens, t)
	}
	if len(tokens) == 0 {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		tokens = append(tokens, hex.EncodeToString(b))
		fmt.Fprintf(stdout, "No -token or SCIM_TOKEN given; generated one.\n")
	}
	tenants := map[string]string{}
	var names []string
	for i, t := range tokens {
		tenants[t] = fmt.Sprintf("tenant-%d", i+1)
		names = append(names, tenants[t])
	}

	var logger *slog.Logger
	if !*quiet {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	stores, err := app.Open(ctx, *dbSpec)
	if err != nil {
		return err
	}
	defer stores.Close()
	cfg := app.Config{Tokens: tenants, Store: stores.Groups, Users: stores.Users, StrictMembers: *strict, Logger: logger}
	var hook *app.Webhook
	if *webhook != "" {
		hook = &app.Webhook{URL: *webhook, Store: stores.Groups, Tenants: names, MaxBackoff: *backoff, Retention: *retention, Logger: logger}
		if err := hook.Check(); err != nil {
			return err
		}
		cfg.OnChange = func(context.Context, scimx.Event) { hook.Wake() }
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg.BaseURL = base + "/scim/v2"
	h, err := app.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "SCIM base URL: %s/scim/v2\nAdmin API:     %s/admin/groups\nChange feed:   %s/admin/events\n", base, base, base)
	for i, t := range tokens {
		fmt.Fprintf(stdout, "Bearer token of tenant-%d: %s\n", i+1, t)
	}

	if hook != nil {
		fmt.Fprintf(stdout, "Webhook:       %s\n", *webhook)
	}
	srv := scimx.NewHTTPServer(h)
	if *idle > 0 {
		srv.IdleTimeout = *idle
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	hookCtx, stopHook := context.WithCancel(ctx)
	hookDone := make(chan struct{})
	go func() {
		defer close(hookDone)
		if hook != nil {
			_ = hook.Run(hookCtx) // returns when hookCtx ends
		}
	}()
	defer func() { stopHook(); <-hookDone }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "Shut down.")
	return nil
}
