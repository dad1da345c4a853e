// Package sqltest gives the tests of the module's SQL stores their
// databases: a new SQLite file, or a throwaway schema of the PostgreSQL
// database that GROUPSYNC_POSTGRES_URL names. It registers the drivers the
// tests use, "sqlite" (modernc.org/sqlite) and "pgx"; the stores themselves
// import none.
package sqltest

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
	_ "modernc.org/sqlite"             // the SQLite driver
)

// SQLiteDSN names a new SQLite database in a temporary directory, in WAL
// mode, with the busy timeout the stores need.
//
// The file is switched to WAL here, once, before any test opens it: WAL
// mode is kept in the file, and a connection that switches it as it opens
// (a journal_mode pragma in the DSN) fails with SQLITE_BUSY, whatever the
// busy timeout, when another connection opens the new file at the same
// moment.
func SQLiteDSN(tb testing.TB) string {
	tb.Helper()
	dsn := "file:" + filepath.Join(tb.TempDir(), "test.db") + "?_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode=WAL`).Scan(&mode); err != nil || mode != "wal" {
		tb.Fatalf("switch the SQLite file to WAL: mode %q, %v", mode, err)
	}
	return dsn
}

// PostgresDSN returns the URL of a new schema of the database that
// GROUPSYNC_POSTGRES_URL names, dropped when the test ends, or skips the
// test when the variable is not set.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("GROUPSYNC_POSTGRES_URL")
	if base == "" {
		tb.Skip("set GROUPSYNC_POSTGRES_URL to run the PostgreSQL store tests")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	admin := Open(tb, "pgx", base)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := fmt.Sprintf("t_%x", b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens dsn with driver and closes it when the test ends (after the
// cleanups registered later, such as a schema's drop).
func Open(tb testing.TB, driver, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
