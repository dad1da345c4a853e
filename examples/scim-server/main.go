// Command scim-server runs the demo app: a SCIM 2.0 Groups endpoint built
// with groupsync's scimx, at http://127.0.0.1:8080/scim/v2, and a JSON admin
// API under /admin that stands in for the app's own UI.
//
//	go run ./examples/scim-server [-addr 127.0.0.1:8080] [-token T]... [-db PATH|postgres://…|memory] [-idle-timeout D]
//
// Each -token is a tenant of its own; SCIM_TOKEN adds one more. With no
// token at all it generates one and prints it. Groups live in the SQLite
// file ./groupsync.db unless -db says otherwise, through a bounded pool of
// connections.
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
	dbSpec := fs.String("db", "groupsync.db", `where groups live: a SQLite file, a postgres:// URL, or "memory"`)
	idle := fs.Duration("idle-timeout", scimx.NewHTTPServer(nil).IdleTimeout, "how long a kept-alive connection may wait for its next request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the usage is the answer
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
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
	for i, t := range tokens {
		tenants[t] = fmt.Sprintf("tenant-%d", i+1)
	}

	var logger *slog.Logger
	if !*quiet {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	store, closeStore, err := app.OpenStore(ctx, *dbSpec)
	if err != nil {
		return err
	}
	defer closeStore()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	h, err := app.New(app.Config{Tokens: tenants, Store: store, BaseURL: base + "/scim/v2", Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "SCIM base URL: %s/scim/v2\nAdmin API:     %s/admin/groups\n", base, base)
	for i, t := range tokens {
		fmt.Fprintf(stdout, "Bearer token of tenant-%d: %s\n", i+1, t)
	}

	srv := scimx.NewHTTPServer(h)
	if *idle > 0 {
		srv.IdleTimeout = *idle
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
