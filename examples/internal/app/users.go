package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/groupsync/groupsync/scimx"
)

// User is one of the app's users, as /scim/v2/Users keeps it: the
// attributes an identity provider needs to provision a user (RFC 7643
// section 4.1). The other attributes of the User schema and its
// enterprise extension are accepted and not kept.
type User struct {
	// ID is assigned by the app and never changes.
	ID string
	// UserName is unique in the tenant, compared without regard to case
	// (RFC 7643: caseExact false), and kept as the client wrote it.
	UserName string
	// ExternalID is the identity provider's id of the user, or "".
	ExternalID string
	// DisplayName is the name shown for the user, or "".
	DisplayName string
	// Active is false for a deactivated user.
	Active bool
	// Name holds the parts of the user's name.
	Name Name
	// Emails are the user's addresses.
	Emails []Email
	// Version increases with every write; it is the ETag.
	Version int64
	// Created and Modified are when the user was created and last written.
	Created, Modified time.Time
}

// Name is the name attribute of a [User]: its sub-attributes, each "" when
// absent.
type Name struct {
	// Formatted is the whole name, as it is displayed.
	Formatted string `json:"formatted,omitempty"`
	// FamilyName, GivenName and MiddleName are its parts.
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	// HonorificPrefix and HonorificSuffix are such as "Ms." and "III".
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// Email is one address of a [User].
type Email struct {
	// Value is the address.
	Value string `json:"value,omitempty"`
	// Type is such as "work" or "home".
	Type string `json:"type,omitempty"`
	// Display is the address as it is displayed.
	Display string `json:"display,omitempty"`
	// Primary marks the preferred address.
	Primary bool `json:"primary,omitempty"`
}

// UserFilter selects users: each non-nil field must equal the user's,
// UserName without regard to case, ID and ExternalID byte for byte.
type UserFilter struct {
	// ID, UserName and ExternalID are the values to match.
	ID, UserName, ExternalID *string
}

// Users keeps the app's users, per tenant: the store of /scim/v2/Users.
// Every method is scoped to one tenant (R16). [NewMemUsers] keeps them in
// memory, [SQLUsers] in SQLite or PostgreSQL.
type Users interface {
	// Create stores u under a new id (u.ID is ignored) at version 1. It
	// returns an error wrapping [scimx.ErrConflict] when another user of
	// the tenant has u's userName, compared without regard to case.
	Create(ctx context.Context, tenant string, u User) (User, error)
	// Get returns the user of that id, or an error wrapping
	// [scimx.ErrNotFound].
	Get(ctx context.Context, tenant, id string) (User, error)
	// List returns how many users pass f and, of them, the count that
	// start at the 1-based index start, sorted by id.
	List(ctx context.Context, tenant string, f UserFilter, start, count int) (total int, page []User, err error)
	// Update applies change to the user of that id and stores the result
	// at the next version, in one transaction: every change applies or,
	// when change or the store fails, none. It returns an error wrapping
	// [scimx.ErrNotFound] for an unknown id, [scimx.ErrConflict] for a
	// userName another user has, or change's error.
	Update(ctx context.Context, tenant, id string, change func(*User) error) (User, error)
	// Delete deletes the user of that id in one transaction, in which it
	// first calls check, when not nil, with the user: an error of check
	// deletes nothing and is returned. It returns an error wrapping
	// [scimx.ErrNotFound] for an unknown id, or check's error.
	Delete(ctx context.Context, tenant, id string, check func(User) error) error
	// Unknown returns those of ids that are ids of no user of the tenant,
	// in the order given.
	Unknown(ctx context.Context, tenant string, ids []string) ([]string, error)
}

// userNameKey is the form of a userName that uniqueness and the
// userName filter compare: Unicode full case folding.
func userNameKey(userName string) string { return cases.Fold().String(userName) }

// errNoUser is the error of an unknown user id: a 404 that does not echo
// the id.
type errNoUser struct{}

func (errNoUser) Error() string        { return "no user has that id" }
func (errNoUser) Is(target error) bool { return target == scimx.ErrNotFound }

// errTaken is the error of a userName another user of the tenant has: a
// 409 uniqueness.
type errTaken struct{ userName string }

func (e errTaken) Error() string {
	return fmt.Sprintf("another user has the userName %s (userNames are compared without regard to case)", shortQuote(e.userName))
}
func (errTaken) Is(target error) bool { return target == scimx.ErrConflict }

// shortQuote quotes at most 64 bytes of s.
func shortQuote(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}

// Bounds of what a user may hold.
const (
	maxUserValue = 1024 // bytes of any string
	maxEmails    = 100  // addresses of one user
)

// validate checks u before it is stored.
func (u *User) validate() error {
	if u.UserName == "" {
		return fmt.Errorf("%w: userName is required", scimx.ErrInvalidValue)
	}
	n := u.Name
	for _, f := range []struct{ name, v string }{
		{"userName", u.UserName}, {"externalId", u.ExternalID}, {"displayName", u.DisplayName},
		{"name.formatted", n.Formatted}, {"name.familyName", n.FamilyName}, {"name.givenName", n.GivenName},
		{"name.middleName", n.MiddleName}, {"name.honorificPrefix", n.HonorificPrefix}, {"name.honorificSuffix", n.HonorificSuffix},
	} {
		if err := checkValue(f.name, f.v); err != nil {
			return err
		}
	}
	if strings.TrimSpace(u.UserName) != u.UserName {
		return fmt.Errorf("%w: userName %s starts or ends with white space", scimx.ErrInvalidValue, shortQuote(u.UserName))
	}
	if len(u.Emails) > maxEmails {
		return fmt.Errorf("%w: %d emails, more than %d", scimx.ErrInvalidValue, len(u.Emails), maxEmails)
	}
	for _, e := range u.Emails {
		for _, f := range []struct{ name, v string }{{"emails.value", e.Value}, {"emails.type", e.Type}, {"emails.display", e.Display}} {
			if err := checkValue(f.name, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValue refuses a string that is too long or holds a control
// character.
func checkValue(name, v string) error {
	if len(v) > maxUserValue || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s %s is longer than %d bytes or holds a control character", scimx.ErrInvalidValue, name, shortQuote(v), maxUserValue)
	}
	return nil
}

// matches reports whether u passes f.
func (f UserFilter) matches(u *User) bool {
	return (f.ID == nil || *f.ID == u.ID) &&
		(f.UserName == nil || userNameKey(*f.UserName) == userNameKey(u.UserName)) &&
		(f.ExternalID == nil || *f.ExternalID == u.ExternalID)
}

// newUserID returns a random id.
func newUserID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MemUsers keeps users in memory: the [Users] of -db memory.
type MemUsers struct {
	// Now stamps created and modified times; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	tenants map[string]*memTenant
}

type memTenant struct {
	users map[string]*User  // by id
	names map[string]string // userNameKey → id
}

var _ Users = (*MemUsers)(nil)

// NewMemUsers returns an empty [MemUsers].
func NewMemUsers() *MemUsers { return &MemUsers{} }

func (m *MemUsers) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// tenant returns tenant's users, made when create is true; m.mu is held.
func (m *MemUsers) tenant(tenant string, create bool) *memTenant {
	t := m.tenants[tenant]
	if t == nil && create {
		if m.tenants == nil {
			m.tenants = map[string]*memTenant{}
		}
		t = &memTenant{users: map[string]*User{}, names: map[string]string{}}
		m.tenants[tenant] = t
	}
	return t
}

func copyUser(u *User) User {
	c := *u
	c.Emails = slices.Clone(u.Emails)
	return c
}

// Create implements [Users].
func (m *MemUsers) Create(ctx context.Context, tenant string, u User) (User, error) {
	if err := u.validate(); err != nil {
		return User{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, true)
	key := userNameKey(u.UserName)
	if _, taken := t.names[key]; taken {
		return User{}, errTaken{u.UserName}
	}
	u.ID, u.Version = newUserID(), 1
	u.Created = m.now()
	u.Modified = u.Created
	u.Emails = slices.Clone(u.Emails)
	t.users[u.ID] = &u
	t.names[key] = u.ID
	return copyUser(&u), nil
}

// Get implements [Users].
func (m *MemUsers) Get(ctx context.Context, tenant, id string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.tenant(tenant, false); t != nil {
		if u := t.users[id]; u != nil {
			return copyUser(u), nil
		}
	}
	return User{}, errNoUser{}
}

// List implements [Users].
func (m *MemUsers) List(ctx context.Context, tenant string, f UserFilter, start, count int) (int, []User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, false)
	if t == nil {
		return 0, []User{}, nil
	}
	var pass []*User
	for _, id := range slices.Sorted(maps.Keys(t.users)) {
		if u := t.users[id]; f.matches(u) {
			pass = append(pass, u)
		}
	}
	page := []User{}
	for i := max(start, 1) - 1; i < len(pass) && len(page) < count; i++ {
		page = append(page, copyUser(pass[i]))
	}
	return len(pass), page, nil
}

// Update implements [Users].
func (m *MemUsers) Update(ctx context.Context, tenant, id string, change func(*User) error) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, false)
	if t == nil || t.users[id] == nil {
		return User{}, errNoUser{}
	}
	cur := t.users[id]
	next := copyUser(cur)
	if err := change(&next); err != nil {
		return User{}, err
	}
	if err := next.validate(); err != nil {
		return User{}, err
	}
	oldKey, key := userNameKey(cur.UserName), userNameKey(next.UserName)
	if other, taken := t.names[key]; taken && other != id {
		return User{}, errTaken{next.UserName}
	}
	next.ID, next.Created, next.Version, next.Modified = id, cur.Created, cur.Version+1, m.now()
	delete(t.names, oldKey)
	t.names[key] = id
	t.users[id] = &next
	return copyUser(&next), nil
}

// Delete implements [Users].
func (m *MemUsers) Delete(ctx context.Context, tenant, id string, check func(User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, false)
	if t == nil || t.users[id] == nil {
		return errNoUser{}
	}
	if check != nil {
		if err := check(copyUser(t.users[id])); err != nil {
			return err
		}
	}
	delete(t.names, userNameKey(t.users[id].UserName))
	delete(t.users, id)
	return nil
}

// Unknown implements [Users].
func (m *MemUsers) Unknown(ctx context.Context, tenant string, ids []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, false)
	var out []string
	for _, id := range ids {
		if t == nil || t.users[id] == nil {
			out = append(out, id)
		}
	}
	return out, nil
}
