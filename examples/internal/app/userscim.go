package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/groupsync/groupsync/scimx"
)

// usersType is the SCIM resource type of the app's users, served by
// scimx.NewServer behind the checks and the tenancy of Groups (R18, R16);
// dir removes a deleted user from its groups.
func usersType(users Users, dir *scimx.Directory) scimx.ResourceType {
	return scimx.ResourceType{
		Name:       "User",
		Endpoint:   "/Users",
		Schema:     scimx.UserSchema,
		Extensions: []string{scimx.EnterpriseUserSchema},
		Handler:    &userHandler{users: users, dir: dir},
	}
}

// userHandler serves /Users over a Users store. Its writes honour If-Match
// (scimx.CheckIfMatch) in the store's transaction: a stale version is a
// 412 and changes nothing.
type userHandler struct {
	users Users
	dir   *scimx.Directory
}

var _ scimx.ResourceHandler = (*userHandler)(nil)

func (h *userHandler) Create(ctx context.Context, tenant string, attrs map[string]any) (scimx.Resource, error) {
	u, err := userFrom(attrs)
	if err != nil {
		return scimx.Resource{}, err
	}
	u, err = h.users.Create(ctx, tenant, u)
	return userResource(u), err
}

func (h *userHandler) Get(ctx context.Context, tenant, id string) (scimx.Resource, error) {
	u, err := h.users.Get(ctx, tenant, id)
	return userResource(u), err
}

func (h *userHandler) List(ctx context.Context, tenant string, q scimx.ListQuery) (scimx.ResourcePage, error) {
	var f UserFilter
	for _, eq := range q.Filter {
		s, ok := eq.Value.(string)
		if !ok {
			return scimx.ResourcePage{}, fmt.Errorf("%w: %s eq takes a string", scimx.ErrInvalidFilter, eq.Attr)
		}
		var field **string
		switch eq.Attr {
		case "id":
			field = &f.ID
		case "userName":
			field = &f.UserName
		case "externalId":
			field = &f.ExternalID
		default:
			return scimx.ResourcePage{}, fmt.Errorf("%w: /Users filters only by userName, externalId and id", scimx.ErrInvalidFilter)
		}
		if *field != nil && !sameFilterValue(eq.Attr, **field, s) {
			return scimx.ResourcePage{Resources: []scimx.Resource{}}, nil // two different values: no user has both
		}
		*field = &s
	}
	total, users, err := h.users.List(ctx, tenant, f, q.StartIndex, q.Count)
	if err != nil {
		return scimx.ResourcePage{}, err
	}
	page := scimx.ResourcePage{Total: total, Resources: make([]scimx.Resource, 0, len(users))}
	for _, u := range users {
		page.Resources = append(page.Resources, userResource(u))
	}
	return page, nil
}

// sameFilterValue reports whether two values of attr in one filter's
// conjunction can match the same user.
func sameFilterValue(attr, a, b string) bool {
	if attr == "userName" {
		return userNameKey(a) == userNameKey(b)
	}
	return a == b
}

func (h *userHandler) Replace(ctx context.Context, tenant, id string, attrs map[string]any) (scimx.Resource, error) {
	next, err := userFrom(attrs)
	if err != nil {
		return scimx.Resource{}, err
	}
	u, err := h.users.Update(ctx, tenant, id, func(u *User) error {
		if err := scimx.CheckIfMatch(ctx, u.Version); err != nil {
			return err
		}
		*u = next
		return nil
	})
	return userResource(u), err
}

func (h *userHandler) Patch(ctx context.Context, tenant, id string, ops []scimx.PatchOp) (scimx.Resource, error) {
	u, err := h.users.Update(ctx, tenant, id, func(u *User) error {
		if err := scimx.CheckIfMatch(ctx, u.Version); err != nil {
			return err
		}
		for i, op := range ops {
			if err := applyUserOp(u, op); err != nil {
				return fmt.Errorf("operation %d: %w", i+1, err)
			}
		}
		return nil
	})
	return userResource(u), err
}

// Delete removes the user from every group of the tenant, one
// scimx.Directory edit per group, so that each group's change is in the
// change feed (actor app) and a consumer revokes the access the group gave,
// and then deletes the user. A refusal (an unknown id, a stale If-Match)
// changes nothing; a sweep that fails leaves the user in place, so that the
// client's retry does it all again. With -strict-members no request can
// add the user to a group once it is deleted; without it one may have
// done so during the sweep, so a second sweep follows the delete. The
// sweeps run to their end even when the client goes (within a minute); a
// group that fails is a 500, logged.
func (h *userHandler) Delete(ctx context.Context, tenant, id string) error {
	u, err := h.users.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	if err := scimx.CheckIfMatch(ctx, u.Version); err != nil {
		return err
	}
	sweepCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := h.leaveGroups(sweepCtx, tenant, id); err != nil {
		return err
	}
	if err := h.users.Delete(ctx, tenant, id, func(u User) error { return scimx.CheckIfMatch(ctx, u.Version) }); err != nil {
		return err
	}
	return h.leaveGroups(sweepCtx, tenant, id)
}

// leaveGroups removes the member value id from every group of the tenant
// that holds it.
func (h *userHandler) leaveGroups(ctx context.Context, tenant, id string) error {
	groups, err := h.dir.GroupsOf(ctx, tenant, id)
	if err != nil {
		return fmt.Errorf("remove the user from its groups: %w", err)
	}
	var errs []error
	for _, g := range groups {
		if _, err := h.dir.Edit(ctx, tenant, g.ID, scimx.Edit{Remove: []string{id}}); err != nil && !errors.Is(err, scimx.ErrNotFound) {
			errs = append(errs, fmt.Errorf("remove the user from group %s: %w", g.ID, err))
		}
	}
	return errors.Join(errs...)
}

// userResource is the SCIM resource of u.
func userResource(u User) scimx.Resource {
	attrs := map[string]any{"userName": u.UserName, "active": u.Active}
	if u.DisplayName != "" {
		attrs["displayName"] = u.DisplayName
	}
	if name := nameAttrs(u.Name); len(name) > 0 {
		attrs["name"] = name
	}
	if len(u.Emails) > 0 {
		emails := make([]any, 0, len(u.Emails))
		for _, e := range u.Emails {
			m := map[string]any{}
			for k, v := range map[string]string{"value": e.Value, "type": e.Type, "display": e.Display} {
				if v != "" {
					m[k] = v
				}
			}
			if e.Primary {
				m["primary"] = true
			}
			emails = append(emails, m)
		}
		attrs["emails"] = emails
	}
	return scimx.Resource{ID: u.ID, ExternalID: u.ExternalID, Attributes: attrs, Version: u.Version, Created: u.Created, Modified: u.Modified}
}

func nameAttrs(n Name) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{
		"formatted": n.Formatted, "familyName": n.FamilyName, "givenName": n.GivenName,
		"middleName": n.MiddleName, "honorificPrefix": n.HonorificPrefix, "honorificSuffix": n.HonorificSuffix,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// userFrom reads the user of a POST or PUT, whose attributes the SCIM
// library checked against the User schema and spelt as it does. An
// absent active means true: a user is provisioned active unless the
// client says otherwise. Attributes this app does not keep are dropped.
func userFrom(attrs map[string]any) (User, error) {
	u := User{Active: true}
	for k, v := range attrs {
		if err := setUserAttr(&u, k, v); err != nil && !errors.Is(err, scimx.ErrInvalidPath) {
			return User{}, err
		}
	}
	return u, nil
}

// notKept are the lower-case names of the User schema's attributes that
// the app accepts and does not keep (RFC 7643 section 4.1), beside every
// attribute of the enterprise extension.
var notKept = map[string]bool{
	"nickname": true, "profileurl": true, "title": true, "usertype": true, "preferredlanguage": true,
	"locale": true, "timezone": true, "password": true, "phonenumbers": true, "ims": true, "photos": true,
	"addresses": true, "groups": true, "entitlements": true, "roles": true, "x509certificates": true,
}

// accepted reports whether path, in the schema's spelling (scimx.PatchOp),
// names an attribute the app accepts and does not keep: one of notKept,
// with or without a sub-attribute or a filter, or any of the enterprise
// extension's.
func accepted(path string) bool {
	if _, ok := cutFold(path, scimx.EnterpriseUserSchema); ok {
		return true
	}
	name := path
	if i := strings.IndexAny(path, "[."); i >= 0 {
		name = path[:i]
	}
	return notKept[strings.ToLower(name)]
}

// errPath is the error of a path the app neither keeps nor accepts: a 400
// invalidPath, rather than a success that changed nothing.
func errPath(path string) error {
	return fmt.Errorf("%w: this app does not support the path %s", scimx.ErrInvalidPath, shortQuote(path))
}

// setUserAttr sets the attribute name (any letter case) of u to v, as an
// add or a replace does. An attribute the app accepts and does not keep
// is ignored; any other it does not know is refused with an error
// wrapping scimx.ErrInvalidPath.
func setUserAttr(u *User, name string, v any) error {
	var err error
	switch {
	case strings.EqualFold(name, "userName"):
		u.UserName, err = stringValue(name, v)
	case strings.EqualFold(name, "externalId"):
		u.ExternalID, err = stringValue(name, v)
	case strings.EqualFold(name, "displayName"):
		u.DisplayName, err = stringValue(name, v)
	case strings.EqualFold(name, "active"):
		u.Active, err = boolValue(name, v)
	case strings.EqualFold(name, "name"):
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: name takes an object", scimx.ErrInvalidValue)
		}
		var n Name
		for k, sv := range m {
			if err := setNamePart(&n, k, sv); err != nil {
				return err
			}
		}
		u.Name = n
	case strings.EqualFold(name, "emails"):
		u.Emails, err = emailsValue(v)
	default:
		if sub, ok := cutFold(name, "name."); ok {
			return setNamePart(&u.Name, sub, v)
		}
		if !accepted(name) {
			return errPath(name)
		}
	}
	return err
}

// setNamePart sets one sub-attribute of a name; an unknown one is refused
// with an error wrapping scimx.ErrInvalidPath.
func setNamePart(n *Name, sub string, v any) error {
	parts := map[string]*string{
		"formatted": &n.Formatted, "familyname": &n.FamilyName, "givenname": &n.GivenName,
		"middlename": &n.MiddleName, "honorificprefix": &n.HonorificPrefix, "honorificsuffix": &n.HonorificSuffix,
	}
	p := parts[strings.ToLower(sub)]
	if p == nil {
		return errPath("name." + sub)
	}
	s, err := stringValue("name."+sub, v)
	*p = s
	return err
}

// cutFold cuts prefix from s, in any letter case.
func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

func stringValue(name string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%w: %s takes a string", scimx.ErrInvalidValue, name)
}

// boolValue reads a boolean, or the strings "True" and "False" in any
// letter case, which Entra ID sends.
func boolValue(name string, v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		switch {
		case strings.EqualFold(v, "true"):
			return true, nil
		case strings.EqualFold(v, "false"):
			return false, nil
		}
	}
	return false, fmt.Errorf("%w: %s takes a boolean", scimx.ErrInvalidValue, name)
}

func emailsValue(v any) ([]Email, error) {
	list, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		list = []any{v}
	}
	var out []Email
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: emails takes objects", scimx.ErrInvalidValue)
		}
		var e Email
		for k, sv := range m {
			var err error
			switch strings.ToLower(k) {
			case "value":
				e.Value, err = stringValue("emails.value", sv)
			case "type":
				e.Type, err = stringValue("emails.type", sv)
			case "display":
				e.Display, err = stringValue("emails.display", sv)
			case "primary":
				e.Primary, err = boolValue("emails.primary", sv)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// emailPath is the path Entra ID's default attribute mapping writes:
// emails[type eq "work"].value.
var emailPath = regexp.MustCompile(`(?i)^emails\[\s*type\s+eq\s+"([^"\\]*)"\s*\](?:\.(value|display|primary))?$`)

// applyUserOp applies one PATCH operation to u. Its path is one the SCIM
// library checked against the User schema, in the schema's spelling
// (scimx.PatchOp). Paths of attributes the app accepts and does not keep
// change nothing, as POST and PUT drop those attributes; any other path
// the app does not understand is refused with an error wrapping
// scimx.ErrInvalidPath, so that no operation is reported done that was
// not.
func applyUserOp(u *User, op scimx.PatchOp) error {
	if op.Path == "" {
		m, ok := op.Value.(map[string]any)
		if !ok || op.Op == "remove" {
			return fmt.Errorf("%w: an operation without a path takes an object of attributes", scimx.ErrInvalidValue)
		}
		for k, v := range m {
			if rest, ok := cutFold(k, scimx.UserSchema+":"); ok {
				k = rest // a key may name the attribute with the core schema's URN
			}
			if err := setPathValue(u, op.Op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if op.Op == "remove" {
		return removeUserPath(u, op.Path)
	}
	return setPathValue(u, op.Op, op.Path, op.Value)
}

// setPathValue adds or replaces the value at path.
func setPathValue(u *User, op, path string, v any) error {
	if g := emailPath.FindStringSubmatch(path); g != nil {
		return setTypedEmail(u, g[1], g[2], v)
	}
	if strings.HasPrefix(strings.ToLower(path), "emails[") {
		return fmt.Errorf("%w: this app selects addresses by type only, such as emails[type eq \"work\"].value", scimx.ErrInvalidPath)
	}
	if strings.EqualFold(path, "emails") && op == "add" {
		more, err := emailsValue(v)
		if err != nil {
			return err
		}
		for _, e := range more {
			if !containsEmail(u.Emails, e) {
				u.Emails = append(u.Emails, e)
			}
		}
		return nil
	}
	if strings.EqualFold(path, "name") && op == "add" {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: name takes an object", scimx.ErrInvalidValue)
		}
		for k, sv := range m {
			if err := setNamePart(&u.Name, k, sv); err != nil {
				return err
			}
		}
		return nil
	}
	return setUserAttr(u, path, v)
}

func containsEmail(list []Email, e Email) bool {
	for _, x := range list {
		if x.Value == e.Value && strings.EqualFold(x.Type, e.Type) {
			return true
		}
	}
	return false
}

// setTypedEmail sets the sub-attribute sub ("" for the whole address) of
// the address of that type, adding one when the user has none.
func setTypedEmail(u *User, typ, sub string, v any) error {
	i := indexOfType(u.Emails, typ)
	if i < 0 {
		u.Emails = append(u.Emails, Email{Type: typ})
		i = len(u.Emails) - 1
	}
	e := &u.Emails[i]
	var err error
	switch strings.ToLower(sub) {
	case "value":
		e.Value, err = stringValue("emails.value", v)
	case "display":
		e.Display, err = stringValue("emails.display", v)
	case "primary":
		e.Primary, err = boolValue("emails.primary", v)
	case "":
		list, lerr := emailsValue(v)
		if lerr != nil || len(list) != 1 {
			return fmt.Errorf("%w: emails[type eq %q] takes one address", scimx.ErrInvalidValue, typ)
		}
		*e = list[0]
		e.Type = typ
	}
	return err
}

func indexOfType(list []Email, typ string) int {
	for i, e := range list {
		if strings.EqualFold(e.Type, typ) {
			return i
		}
	}
	return -1
}

// removeUserPath removes the value at path. userName and active cannot be
// removed: every user has them.
func removeUserPath(u *User, path string) error {
	if g := emailPath.FindStringSubmatch(path); g != nil {
		i := indexOfType(u.Emails, g[1])
		if i < 0 {
			return nil
		}
		switch strings.ToLower(g[2]) {
		case "":
			u.Emails = append(u.Emails[:i:i], u.Emails[i+1:]...)
		case "value":
			u.Emails[i].Value = ""
		case "display":
			u.Emails[i].Display = ""
		case "primary":
			u.Emails[i].Primary = false
		}
		return nil
	}
	switch {
	case strings.EqualFold(path, "userName"), strings.EqualFold(path, "active"):
		return fmt.Errorf("%w: %s cannot be removed", scimx.ErrInvalidValue, path)
	case strings.EqualFold(path, "emails"):
		u.Emails = nil
	case strings.EqualFold(path, "name"):
		u.Name = Name{}
	case strings.HasPrefix(strings.ToLower(path), "emails["):
		return fmt.Errorf("%w: this app removes addresses by type only, such as emails[type eq \"work\"]", scimx.ErrInvalidPath)
	default:
		return setUserAttr(u, path, nil)
	}
	return nil
}
