package sqlstore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/groupsync/groupsync/sqldialect"
)

// maxStmts bounds the statements a Store keeps prepared. The package's
// statements are of a fixed set of texts (chunks are padded to a few
// sizes, see [chunks]), well under the bound; it guards against a text
// that varies, which would otherwise fill the cache.
const maxStmts = 256

// stmtCache keeps the statements of a Store on SQLite prepared, so that
// a statement is parsed and planned once per connection rather than once
// per execution: with modernc.org/sqlite, preparing was about half the
// CPU time of a membership PATCH (issue 12).
//
// A statement is prepared on the *sql.DB, and a transaction takes it with
// Tx.StmtContext, which uses the transaction's own connection and
// prepares the statement on it the first time that connection runs it.
// Preparing on the *sql.DB takes a connection of the pool, which a
// transaction must not wait for while it holds one (with MaxOpenConns
// transactions each waiting, none would go on): so a statement not yet
// cached runs unprepared, in its transaction, and is noted; the next
// transaction prepares the noted ones before it takes its connection.
//
// On PostgreSQL the cache stays empty: pgx caches the prepared statements
// of each connection itself, and invalidates them when a migration of
// another replica changes a table, which a *sql.Stmt would not.
//
// The zero value is an empty cache.
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
}

// get returns the prepared statement of query, or nil after noting it to
// be prepared by [stmtCache.prepare].
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if len(c.stmts)+len(c.pending) < maxStmts {
		if c.pending == nil {
			c.pending = map[string]bool{}
		}
		c.pending[query] = true
	}
	return nil
}

// prepare prepares the noted statements on db. The caller must hold no
// connection of db. A statement that fails to prepare is dropped: it runs
// unprepared, and is noted again, the next time.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	todo := make([]string, 0, len(c.pending))
	for q := range c.pending {
		todo = append(todo, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range todo {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.stmts[q]; ok || len(c.stmts) >= maxStmts {
			_ = s.Close()
		} else {
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

// exec runs query in the transaction, prepared once it is cached.
func (t *sqlTx) exec(query string, args ...any) (sql.Result, error) {
	query = t.q(query)
	if s := t.stmt(query); s != nil {
		return s.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

// query runs query in the transaction, prepared once it is cached.
func (t *sqlTx) query(query string, args ...any) (*sql.Rows, error) {
	query = t.q(query)
	if s := t.stmt(query); s != nil {
		return s.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

// queryRow runs query in the transaction, prepared once it is cached.
func (t *sqlTx) queryRow(query string, args ...any) *sql.Row {
	query = t.q(query)
	if s := t.stmt(query); s != nil {
		return s.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// stmt returns the transaction's statement of query (already rebound), or
// nil when it runs unprepared.
func (t *sqlTx) stmt(query string) *sql.Stmt {
	if t.s.dialect != sqldialect.SQLite {
		return nil
	}
	if s, ok := t.stmts[query]; ok {
		return s
	}
	s := t.s.stmts.get(query)
	if s == nil {
		return nil
	}
	s = t.tx.StmtContext(t.ctx, s)
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = s
	return s
}
