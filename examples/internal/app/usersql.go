package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/groupsync/groupsync/internal/sqlschema"
	"github.com/groupsync/groupsync/sqldialect"
)

// SQLUsers keeps users in a SQLite or PostgreSQL database, in a table of
// its own (app_users) migrated under the component name "examples-users".
// Writes go through one pool and reads through another, so that a
// -strict-members check, which reads users inside a group's transaction,
// never waits for a connection that a waiting writer holds: on SQLite a
// users writer waits for the database's write lock, which that group's
// transaction holds.
//
// Every write holds the tenant's lock (a PostgreSQL advisory lock, or
// SQLite's write lock), so that two replicas never give two users one
// userName; a unique index on the folded userName backs that up.
type SQLUsers struct {
	write, read *sql.DB
	dialect     sqldialect.Dialect
	// Now stamps created and modified times; nil means time.Now.
	Now func() time.Time
}

var _ Users = (*SQLUsers)(nil)

// NewSQLUsers returns users kept in the database that write and read (two
// pools of one database) open, which speaks d. Call [SQLUsers.Migrate]
// first.
func NewSQLUsers(write, read *sql.DB, d sqldialect.Dialect) *SQLUsers {
	return &SQLUsers{write: write, read: read, dialect: d}
}

// usersMigrations are the versions of the component examples-users.
var usersMigrations = [][]string{{
	`CREATE TABLE app_users (
		tenant       TEXT NOT NULL,
		id           TEXT NOT NULL,
		user_name    TEXT NOT NULL,
		user_key     TEXT NOT NULL,
		external_id  TEXT NOT NULL DEFAULT '',
		display_name TEXT NOT NULL DEFAULT '',
		active       INTEGER NOT NULL,
		name         TEXT NOT NULL DEFAULT '{}',
		emails       TEXT NOT NULL DEFAULT '[]',
		version      BIGINT NOT NULL,
		created      BIGINT NOT NULL,
		modified     BIGINT NOT NULL,
		PRIMARY KEY (tenant, id)
	)`,
	`CREATE UNIQUE INDEX app_users_user_key ON app_users (tenant, user_key)`,
	`CREATE INDEX app_users_external_id ON app_users (tenant, external_id)`,
}}

// Migrate creates or updates the users' table, recording its versions in
// groupsync_migrations. It is safe to run again and from several processes
// at once. It returns the database's error.
func (s *SQLUsers) Migrate(ctx context.Context) error {
	if err := sqlschema.Migrate(ctx, s.write, s.dialect, "examples-users", usersMigrations); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return nil
}

func (s *SQLUsers) q(query string) string { return sqlschema.Rebind(s.dialect, query) }

func (s *SQLUsers) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// writeTx runs f in a transaction of the write pool that holds tenant's
// lock.
func (s *SQLUsers) writeTx(ctx context.Context, tenant string, f func(*sql.Tx) error) error {
	return sqlschema.InTx(ctx, s.write, s.dialect, func(tx *sql.Tx) error {
		var err error
		if s.dialect == sqldialect.Postgres {
			_, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "examples users tenant "+tenant)
		} else {
			// A first statement that writes takes SQLite's write lock, so
			// that the reads after it are current (see sqlschema.InTx).
			_, err = tx.ExecContext(ctx, `UPDATE groupsync_migrations SET version = version WHERE 0`)
		}
		if err != nil {
			return err
		}
		return f(tx)
	})
}

// readTx runs f in a read-only transaction of the read pool: one snapshot.
func (s *SQLUsers) readTx(ctx context.Context, f func(*sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.dialect == sqldialect.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.read.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

const userColumns = `id, user_name, external_id, display_name, active, name, emails, version, created, modified`

type scanner interface{ Scan(...any) error }

func scanUser(sc scanner) (User, error) {
	var u User
	var active int
	var name, emails string
	var created, modified int64
	if err := sc.Scan(&u.ID, &u.UserName, &u.ExternalID, &u.DisplayName, &active, &name, &emails, &u.Version, &created, &modified); err != nil {
		return User{}, err
	}
	u.Active = active != 0
	if err := json.Unmarshal([]byte(name), &u.Name); err != nil {
		return User{}, fmt.Errorf("user %s: name: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(emails), &u.Emails); err != nil {
		return User{}, fmt.Errorf("user %s: emails: %w", u.ID, err)
	}
	u.Created, u.Modified = time.Unix(0, created).UTC(), time.Unix(0, modified).UTC()
	return u, nil
}

// columns returns the stored form of u's JSON columns.
func userJSON(u User) (name, emails string, err error) {
	n, err := json.Marshal(u.Name)
	if err != nil {
		return "", "", err
	}
	if u.Emails == nil {
		u.Emails = []Email{}
	}
	e, err := json.Marshal(u.Emails)
	return string(n), string(e), err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// taken reports whether a user other than id holds the userName key.
func (s *SQLUsers) taken(ctx context.Context, tx *sql.Tx, tenant, key, id string) (bool, error) {
	var other string
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM app_users WHERE tenant = ? AND user_key = ?`), tenant, key).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && other != id, err
}

// Create implements [Users].
func (s *SQLUsers) Create(ctx context.Context, tenant string, u User) (User, error) {
	if err := u.validate(); err != nil {
		return User{}, err
	}
	u.ID, u.Version = newUserID(), 1
	u.Created = s.now()
	u.Modified = u.Created
	name, emails, err := userJSON(u)
	if err != nil {
		return User{}, err
	}
	key := userNameKey(u.UserName)
	err = s.writeTx(ctx, tenant, func(tx *sql.Tx) error {
		if taken, err := s.taken(ctx, tx, tenant, key, ""); err != nil || taken {
			if taken {
				return errTaken{u.UserName}
			}
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO app_users (tenant, `+userColumns+`, user_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			tenant, u.ID, u.UserName, u.ExternalID, u.DisplayName, boolInt(u.Active), name, emails, u.Version, u.Created.UnixNano(), u.Modified.UnixNano(), key)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// Get implements [Users].
func (s *SQLUsers) Get(ctx context.Context, tenant, id string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM app_users WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errNoUser{}
	}
	return u, err
}

// List implements [Users].
func (s *SQLUsers) List(ctx context.Context, tenant string, f UserFilter, start, count int) (total int, page []User, err error) {
	where, args := `tenant = ?`, []any{tenant}
	if f.ID != nil {
		where, args = where+` AND id = ?`, append(args, *f.ID)
	}
	if f.UserName != nil {
		where, args = where+` AND user_key = ?`, append(args, userNameKey(*f.UserName))
	}
	if f.ExternalID != nil {
		where, args = where+` AND external_id = ?`, append(args, *f.ExternalID)
	}
	page = []User{}
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM app_users WHERE `+where), args...).Scan(&total); err != nil {
			return err
		}
		if count <= 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+userColumns+` FROM app_users WHERE `+where+` ORDER BY id LIMIT ? OFFSET ?`),
			append(args, count, max(start, 1)-1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			page = append(page, u)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, nil, err
	}
	return total, page, nil
}

// Update implements [Users].
func (s *SQLUsers) Update(ctx context.Context, tenant, id string, change func(*User) error) (User, error) {
	var out User
	err := s.writeTx(ctx, tenant, func(tx *sql.Tx) error {
		cur, err := scanUser(tx.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM app_users WHERE tenant = ? AND id = ?`), tenant, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errNoUser{}
		}
		if err != nil {
			return err
		}
		next := copyUser(&cur)
		if err := change(&next); err != nil {
			return err
		}
		if err := next.validate(); err != nil {
			return err
		}
		key := userNameKey(next.UserName)
		if taken, err := s.taken(ctx, tx, tenant, key, id); err != nil || taken {
			if taken {
				return errTaken{next.UserName}
			}
			return err
		}
		next.ID, next.Created, next.Version, next.Modified = id, cur.Created, cur.Version+1, s.now()
		name, emails, err := userJSON(next)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE app_users SET user_name = ?, user_key = ?, external_id = ?, display_name = ?, active = ?, name = ?, emails = ?, version = ?, modified = ? WHERE tenant = ? AND id = ?`),
			next.UserName, key, next.ExternalID, next.DisplayName, boolInt(next.Active), name, emails, next.Version, next.Modified.UnixNano(), tenant, id)
		out = next
		return err
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// Delete implements [Users].
func (s *SQLUsers) Delete(ctx context.Context, tenant, id string, check func(User) error) error {
	return s.writeTx(ctx, tenant, func(tx *sql.Tx) error {
		if check != nil {
			cur, err := scanUser(tx.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM app_users WHERE tenant = ? AND id = ?`), tenant, id))
			if errors.Is(err, sql.ErrNoRows) {
				return errNoUser{}
			}
			if err != nil {
				return err
			}
			if err := check(cur); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM app_users WHERE tenant = ? AND id = ?`), tenant, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = errNoUser{}
			}
			return err
		}
		return nil
	})
}

// unknownChunk bounds the ids of one query of Unknown.
const unknownChunk = 500

// Unknown implements [Users]. It reads an index, a query per 500 ids.
func (s *SQLUsers) Unknown(ctx context.Context, tenant string, ids []string) ([]string, error) {
	known := map[string]bool{}
	for start := 0; start < len(ids); start += unknownChunk {
		chunk := ids[start:min(start+unknownChunk, len(ids))]
		args := []any{tenant}
		for _, id := range chunk {
			args = append(args, id)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT id FROM app_users WHERE tenant = ? AND id IN (`+marks+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, id := range ids {
		if !known[id] {
			out = append(out, id)
		}
	}
	return out, nil
}
