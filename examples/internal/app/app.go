// Package app is the demo app the examples share: a SCIM 2.0 service built
// with scimx, serving Groups and a minimal durable Users resource (so that
// a real Okta or Entra ID tenant can connect to it), plus a small JSON
// admin API under /admin that stands in for the app's own UI (where groups
// are created by hand, moved to another type, or edited) and exposes the
// change feed of R17 (/admin/events). [Webhook] delivers that feed to a URL.
package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/groupsync/groupsync/group"
	"github.com/groupsync/groupsync/origin"
	"github.com/groupsync/groupsync/scimx"
)

// Config configures the app.
type Config struct {
	// Tokens maps bearer tokens to tenants.
	Tokens map[string]string
	// Store holds the groups; nil means a new in-memory store.
	Store scimx.Store
	// BaseURL, when set, makes SCIM locations absolute; it ends in /scim/v2.
	BaseURL string
	// Users holds the users of /scim/v2/Users; nil means new in-memory
	// ones.
	Users Users
	// StrictMembers makes the member resolver refuse member values that
	// are neither users nor groups of the tenant, naming them, in SCIM
	// requests (a SCIM 400) and in the admin API's (a JSON 400); the
	// request then changes nothing. Without it any member value is
	// accepted, so that curl and clients that push members without
	// provisioning users keep working.
	StrictMembers bool
	// OnChange, when set, is called after every committed change of a
	// group, by SCIM or by the admin API: best effort (see
	// scimx.ServerOptions.OnChange), for instance to wake a [Webhook].
	OnChange func(ctx context.Context, e scimx.Event)
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
}

// New returns the app's HTTP handler: SCIM under /scim/v2 and the admin API
// under /admin, both behind the same bearer tokens and tenants, which are
// checked before any body is read (R18). Serve it with the settings of
// [scimx.NewHTTPServer]. The two prefixes are routed before any
// http.ServeMux, which would answer a path with dot segments, such as
// /scim/v2/Groups/.., with a redirect before authentication; the SCIM
// service answers it with a SCIM 404, the admin API with a 404 of its own.
func New(cfg Config) (http.Handler, error) {
	store := cfg.Store
	if store == nil {
		store = &scimx.MemStore{}
	}
	users := cfg.Users
	if users == nil {
		users = NewMemUsers()
	}
	auth := scimx.BearerTokens(cfg.Tokens)
	// The admin API stands in for the app's UI, which may give two groups
	// one name (SPEC.md, "Names on the target").
	dir := &scimx.Directory{Store: store, AllowDuplicateNames: true, OnChange: cfg.OnChange, Logger: cfg.Logger}
	opts := scimx.ServerOptions{Auth: auth, BaseURL: cfg.BaseURL, Logger: cfg.Logger, OnChange: cfg.OnChange,
		Resources: []scimx.ResourceType{usersType(users, dir)}}
	if cfg.StrictMembers {
		opts.Members = users.Unknown
		dir.UnknownMembers = users.Unknown
	}
	scim, err := scimx.NewServer(store, opts)
	if err != nil {
		return nil, err
	}
	a := &admin{store: store, dir: dir}
	api := http.NewServeMux()
	api.HandleFunc("GET /admin/events", a.events)
	api.HandleFunc("GET /admin/groups", a.list)
	api.HandleFunc("GET /admin/groups/{id}", a.get)
	api.HandleFunc("POST /admin/groups", a.create)
	api.HandleFunc("PATCH /admin/groups/{id}", a.patch)
	api.HandleFunc("DELETE /admin/groups/{id}", a.delete)
	admin := adminAuth(auth, scimx.LimitBody(0, canonical(api)))
	root := scimx.Mount("/scim", scim, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/admin/") {
			writeError(w, http.StatusNotFound, errors.New("no such endpoint"))
			return
		}
		admin.ServeHTTP(w, r)
	}))
	return scimx.Recover(cfg.Logger, root), nil
}

// adminAuth answers the admin API's 401 in its own error format, before
// the body is read. A refusal of a request with a body closes the
// connection without reading the body, which net/http would otherwise
// read first, however slowly it arrives.
func adminAuth(auth scimx.Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, ok := auth.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
			if r.ContentLength != 0 {
				w.Header().Set("Connection", "close")
			}
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token"))
			if r.ContentLength != 0 {
				_ = http.NewResponseController(w).SetReadDeadline(time.Now()) // leave the body unread
			}
			return
		}
		next.ServeHTTP(w, r.WithContext(scimx.WithTenant(r.Context(), tenant)))
	})
}

// canonical answers a path that http.ServeMux would redirect (dot
// segments, doubled slashes) with a 404, so that the admin API's mux never
// redirects.
func canonical(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; path.Clean(p) != p && path.Clean(p)+"/" != p {
			writeError(w, http.StatusNotFound, errors.New("no such endpoint"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Group is a group as the admin API shows it.
type Group struct {
	// ID, DisplayName, ExternalID and Members are the group's SCIM
	// attributes; Members are sorted.
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	ExternalID  string   `json:"externalId"`
	Members     []string `json:"members"`
	// Type is the app's group type, which a push never changes.
	Type string `json:"type"`
	// Origin is "source" for a group a push created, "target" for one
	// made in the app.
	Origin string `json:"origin"`
}

func view(r scimx.Record) Group {
	return Group{ID: r.ID, DisplayName: r.Name, ExternalID: r.ExternalID, Members: r.Members.Slice(),
		Type: r.Type, Origin: r.Origin.String()}
}

// edit is the body of POST and PATCH: absent fields are left alone.
type edit struct {
	DisplayName *string   `json:"displayName"`
	Members     *[]string `json:"members"`
	Type        *string   `json:"type"`
}

type admin struct {
	store scimx.Store
	dir   *scimx.Directory
}

func (a *admin) list(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	out := []Group{}
	err := a.store.View(r.Context(), tenant, func(tx scimx.Tx) error {
		recs, err := tx.Groups()
		for _, rec := range recs {
			full, err := tx.Group(rec.ID, true)
			if err != nil {
				return err
			}
			out = append(out, view(full))
		}
		return err
	})
	reply(w, http.StatusOK, out, err)
}

func (a *admin) get(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	var g Group
	err := a.store.View(r.Context(), tenant, func(tx scimx.Tx) error {
		rec, err := tx.Group(r.PathValue("id"), true)
		g = view(rec)
		return err
	})
	reply(w, http.StatusOK, g, err)
}

// create makes an app-created group (origin target).
func (a *admin) create(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	e, err := decode(r)
	if err == nil && e.DisplayName == nil {
		err = fmt.Errorf("%w: displayName is required", group.ErrInvalid)
	}
	var g Group
	if err == nil {
		ng := group.Group{Name: *e.DisplayName, Origin: origin.Target}
		if e.Type != nil {
			ng.Type = *e.Type
		}
		if e.Members != nil {
			ng.Members = group.NewMembers(*e.Members...)
		}
		var rec scimx.Record
		rec, err = a.dir.Create(r.Context(), tenant, ng)
		g = view(rec)
	}
	reply(w, http.StatusCreated, g, err)
}

// patch edits a group by hand, as the app's UI does: no origin rule
// applies. The edit is one transaction of the Directory, which writes its
// event (actor app); the answer reads the group after it.
func (a *admin) patch(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	id := r.PathValue("id")
	e, err := decode(r)
	var g Group
	if err == nil {
		_, err = a.dir.Edit(r.Context(), tenant, id, scimx.Edit{Name: e.DisplayName, Type: e.Type, Members: e.Members})
	}
	if err == nil {
		var rec scimx.Record
		rec, err = a.dir.Group(r.Context(), tenant, id, true)
		g = view(rec)
	}
	reply(w, http.StatusOK, g, err)
}

func (a *admin) delete(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	reply(w, http.StatusNoContent, nil, a.dir.Delete(r.Context(), tenant, r.PathValue("id")))
}

// decode reads the body of POST and PATCH: strict JSON ([scimx.CheckJSON]:
// no invalid UTF-8, no key twice in any letter case), with known fields
// only.
func decode(r *http.Request) (edit, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return edit{}, fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	if err := scimx.CheckJSON(body, 0); err != nil {
		return edit{}, fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	var e edit
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return edit{}, fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	if e.Members != nil && slices.Contains(*e.Members, "") {
		return edit{}, fmt.Errorf("%w: empty member id", group.ErrInvalid)
	}
	return e, nil
}

var errBadRequest = errors.New("bad request")

func reply(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		switch {
		case errors.Is(err, scimx.ErrNotFound):
			writeError(w, http.StatusNotFound, errors.New("no group has that id")) // never echo the id
		case errors.Is(err, group.ErrInvalid), errors.Is(err, scimx.ErrInvalidValue), errors.Is(err, errBadRequest),
			errors.Is(err, scimx.ErrUnknownMembers):
			writeError(w, http.StatusBadRequest, err)
		case errors.Is(err, scimx.ErrConflict):
			writeError(w, http.StatusConflict, err)
		case errors.Is(err, scimx.ErrPruned):
			writeError(w, http.StatusGone, err)
		default:
			writeError(w, http.StatusInternalServerError, errors.New("internal error"))
		}
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
