package scimx

import (
	"encoding/json"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// subject is what a filter is evaluated against: one group in a
// transaction. Its members are read only when a filter needs more than a
// membership test, and then once.
type subject struct {
	tx      Tx
	rec     Record
	members memberCache
}

func (s *subject) hasMember(m string) (bool, error) { return s.tx.HasMember(s.rec.ID, m) }

func (s *subject) allMembers() ([]string, error) { return s.members.get(s.tx, s.rec.ID) }

// memberCache holds the members of one group, read once, when first needed.
type memberCache struct {
	ids  []string
	read bool
}

// get returns the members of the group of id, reading them on the first
// call.
func (c *memberCache) get(tx Tx, id string) ([]string, error) {
	if !c.read {
		r, err := tx.Group(id, true)
		if err != nil {
			return nil, err
		}
		c.ids, c.read = r.Members.Slice(), true
	}
	return c.ids, nil
}

// matches evaluates e against s. Attributes are compared as their schema
// says: id, externalId, displayName and member values byte for byte, the
// extension's groupType and origin without case. A filter on anything else,
// or comparing a value of the wrong type, matches nothing; it never panics.
func matches(e filter.Expression, s *subject) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := matches(e.Left, s)
		if err != nil {
			return false, err
		}
		if e.Operator == filter.AND && !l || e.Operator == filter.OR && l {
			return l, nil
		}
		return matches(e.Right, s)
	case *filter.NotExpression:
		ok, err := matches(e.Expression, s)
		return !ok, err
	case *filter.AttributeExpression:
		return matchAttribute(e, s)
	case *filter.ValuePath:
		if !strings.EqualFold(e.AttributePath.AttributeName, "members") || !coreURI(e.AttributePath) {
			return false, nil
		}
		return matchMembers(e.ValueFilter, s)
	}
	return false, nil
}

func matchAttribute(e *filter.AttributeExpression, s *subject) (bool, error) {
	p := e.AttributePath
	name := strings.ToLower(p.AttributeName)
	if p.URIPrefix != nil && strings.EqualFold(*p.URIPrefix, ExtensionSchema) {
		if p.SubAttribute != nil {
			return false, nil
		}
		switch name {
		case "grouptype":
			return compareString(s.rec.Type, e, false), nil
		case "origin":
			return compareString(s.rec.Origin.String(), e, false), nil
		}
		return false, nil
	}
	if !coreURI(p) {
		return false, nil
	}
	if p.SubAttribute != nil {
		sub := strings.ToLower(*p.SubAttribute)
		switch {
		case name == "members" && sub == "value":
			// members.value eq "u" is members[value eq "u"].
			return matchMembers(&filter.AttributeExpression{
				AttributePath: filter.AttributePath{AttributeName: "value"},
				Operator:      e.Operator, CompareValue: e.CompareValue,
			}, s)
		case name == "meta":
			return matchMeta(sub, e, s), nil
		}
		return false, nil
	}
	switch name {
	case "id":
		return compareString(s.rec.ID, e, true), nil
	case "externalid":
		return compareString(s.rec.ExternalID, e, true), nil
	case "displayname":
		return compareString(s.rec.Name, e, true), nil
	case "members":
		// members eq "u" (Entra's membership probe) compares the member
		// values; members pr asks for any member.
		if e.Operator == filter.PR {
			ms, err := s.allMembers()
			return len(ms) > 0, err
		}
		return matchMembers(&filter.AttributeExpression{
			AttributePath: filter.AttributePath{AttributeName: "value"},
			Operator:      e.Operator, CompareValue: e.CompareValue,
		}, s)
	}
	return false, nil
}

// matchMembers reports whether some member satisfies f, a filter on the
// member sub-attributes value and type. An equality on value is a single
// membership test.
func matchMembers(f filter.Expression, s *subject) (bool, error) {
	if v, ok := valueEquals(f); ok {
		return s.hasMember(v)
	}
	ms, err := s.allMembers()
	if err != nil {
		return false, err
	}
	groups, err := s.tx.GroupIDs(ms)
	if err != nil {
		return false, err
	}
	isGroup := make(map[string]bool, len(groups))
	for _, g := range groups {
		isGroup[g] = true
	}
	for _, m := range ms {
		typ := "User"
		if isGroup[m] {
			typ = "Group"
		}
		if matchMember(f, m, typ) {
			return true, nil
		}
	}
	return false, nil
}

// valueEquals reports whether f is value eq "v", and v.
func valueEquals(f filter.Expression) (string, bool) {
	a, ok := f.(*filter.AttributeExpression)
	if !ok || a.Operator != filter.EQ || a.AttributePath.SubAttribute != nil || a.AttributePath.URIPrefix != nil ||
		!strings.EqualFold(a.AttributePath.AttributeName, "value") {
		return "", false
	}
	return stringValue(a)
}

// stringValue returns the compare value of e as a string. The filter parser
// strips a string's quotes but leaves its JSON escapes (RFC 7644 section
// 3.4.2.2 makes it a JSON string), so they are decoded here: "R\u0026D"
// is R&D.
//
// A value no attribute can hold (a control character, more than maxValue
// bytes) matches nothing, and is never sent to a store.
func stringValue(e *filter.AttributeExpression) (string, bool) {
	v, ok := e.CompareValue.(string)
	if ok && strings.ContainsRune(v, '\\') {
		var s string
		if err := json.Unmarshal([]byte(`"`+v+`"`), &s); err != nil {
			return "", false
		}
		v = s
	}
	if !ok || checkValue("", v) != nil {
		return "", false
	}
	return v, true
}

// matchMember evaluates a member sub-filter against one member.
func matchMember(f filter.Expression, value, typ string) bool {
	switch f := f.(type) {
	case *filter.LogicalExpression:
		l := matchMember(f.Left, value, typ)
		if f.Operator == filter.AND && !l || f.Operator == filter.OR && l {
			return l
		}
		return matchMember(f.Right, value, typ)
	case *filter.NotExpression:
		return !matchMember(f.Expression, value, typ)
	case *filter.AttributeExpression:
		if f.AttributePath.SubAttribute != nil || f.AttributePath.URIPrefix != nil {
			return false // no sub-attribute of a member has either
		}
		switch strings.ToLower(f.AttributePath.AttributeName) {
		case "value":
			return compareString(value, f, true)
		case "type":
			return compareString(typ, f, false)
		}
	}
	return false
}

func matchMeta(sub string, e *filter.AttributeExpression, s *subject) bool {
	switch sub {
	case "resourcetype":
		return compareString("Group", e, true)
	case "version":
		return compareString(etag(s.rec.Version), e, true)
	case "created":
		return compareTime(s.rec.Created, e)
	case "lastmodified":
		return compareTime(s.rec.Modified, e)
	}
	return false
}

// coreURI reports whether p has no URI prefix or the core Group schema's.
func coreURI(p filter.AttributePath) bool {
	return p.URIPrefix == nil || strings.EqualFold(*p.URIPrefix, GroupSchema)
}

// compareString applies e's operator to the attribute value v. An empty v
// is an attribute without a value (a group without an externalId): only
// "not pr" holds for it, and no comparison, ne included (RFC 7644 section
// 3.4.2.2 compares values, and it has none).
func compareString(v string, e *filter.AttributeExpression, caseExact bool) bool {
	if e.Operator == filter.PR || v == "" {
		return v != "" && e.Operator == filter.PR
	}
	want, ok := stringValue(e)
	if !ok {
		return false
	}
	if !caseExact {
		v, want = strings.ToLower(v), strings.ToLower(want)
	}
	switch e.Operator {
	case filter.EQ:
		return v == want
	case filter.NE:
		return v != want
	case filter.CO:
		return strings.Contains(v, want)
	case filter.SW:
		return strings.HasPrefix(v, want)
	case filter.EW:
		return strings.HasSuffix(v, want)
	case filter.GT:
		return v > want
	case filter.GE:
		return v >= want
	case filter.LT:
		return v < want
	case filter.LE:
		return v <= want
	}
	return false
}

func compareTime(v time.Time, e *filter.AttributeExpression) bool {
	if e.Operator == filter.PR {
		return !v.IsZero()
	}
	s, ok := stringValue(e)
	if !ok {
		return false
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return false
	}
	v = v.Truncate(time.Second) // as the response shows it
	switch e.Operator {
	case filter.EQ:
		return v.Equal(want)
	case filter.NE:
		return !v.Equal(want)
	case filter.GT:
		return v.After(want)
	case filter.GE:
		return !v.Before(want)
	case filter.LT:
		return v.Before(want)
	case filter.LE:
		return !v.After(want)
	}
	return false
}

// candidates returns the groups a filter can match, using the displayName
// and externalId indexes and the id where the filter pins one by equality;
// ok is false when the filter needs a scan of every group.
func candidates(tx Tx, e filter.Expression) (recs []Record, ok bool, err error) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		v, isString := stringValue(e)
		if e.Operator != filter.EQ || !isString || e.AttributePath.SubAttribute != nil || !coreURI(e.AttributePath) {
			return nil, false, nil
		}
		switch strings.ToLower(e.AttributePath.AttributeName) {
		case "displayname":
			recs, err = tx.Lookup(DisplayName, v)
			return recs, true, err
		case "externalid":
			recs, err = tx.Lookup(ExternalID, v)
			return recs, true, err
		case "id":
			r, err := tx.Group(v, false)
			if err != nil {
				return nil, true, ignoreNotFound(err)
			}
			return []Record{r}, true, nil
		}
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			if recs, ok, err := candidates(tx, e.Left); ok || err != nil {
				return recs, ok, err
			}
			return candidates(tx, e.Right)
		}
		l, lok, err := candidates(tx, e.Left)
		if !lok || err != nil {
			return nil, false, err
		}
		r, rok, err := candidates(tx, e.Right)
		if !rok || err != nil {
			return nil, false, err
		}
		return union(l, r), true, nil
	}
	return nil, false, nil
}

// union merges two id-sorted record lists without duplicates.
func union(a, b []Record) []Record {
	out := make([]Record, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].ID < b[j].ID:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].ID < a[i].ID:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
