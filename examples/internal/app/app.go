// Package app is the demo app the examples share: a SCIM 2.0 Groups service
// built with scimx, plus a small JSON admin API under /admin that stands in
// for the app's own UI (where groups are created by hand, moved to another
// type, or edited).
package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

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
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
}

// New returns the app's HTTP handler: SCIM under /scim/v2 and the admin API
// under /admin, both behind the same bearer tokens and tenants.
func New(cfg Config) (http.Handler, error) {
	store := cfg.Store
	if store == nil {
		store = &scimx.MemStore{}
	}
	auth := scimx.BearerTokens(cfg.Tokens)
	scim, err := scimx.NewServer(store, scimx.ServerOptions{Auth: auth, BaseURL: cfg.BaseURL, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	a := &admin{store: store}
	api := http.NewServeMux()
	api.HandleFunc("GET /admin/groups", a.list)
	api.HandleFunc("GET /admin/groups/{id}", a.get)
	api.HandleFunc("POST /admin/groups", a.create)
	api.HandleFunc("PATCH /admin/groups/{id}", a.patch)
	api.HandleFunc("DELETE /admin/groups/{id}", a.delete)
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", scim))
	mux.Handle("/admin/", scimx.LimitBody(0, adminAuth(auth, api)))
	return scimx.Recover(cfg.Logger, mux), nil
}

// adminAuth answers the admin API's 401 in its own error format.
func adminAuth(auth scimx.Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, ok := auth.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token"))
			return
		}
		next.ServeHTTP(w, r.WithContext(scimx.WithTenant(r.Context(), tenant)))
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
		err = a.store.Update(r.Context(), tenant, func(tx scimx.Tx) error {
			ng := group.Group{Name: *e.DisplayName, Origin: origin.Target, Type: scimx.DefaultType}
			if e.Type != nil {
				ng.Type = *e.Type
			}
			if e.Members != nil {
				ng.Members = group.NewMembers(*e.Members...)
			}
			if err := ng.Validate(); err != nil {
				return err
			}
			rec, err := tx.Create(ng)
			g = view(rec)
			return err
		})
	}
	reply(w, http.StatusCreated, g, err)
}

// patch edits a group by hand, as the app's UI does: no origin rule applies.
func (a *admin) patch(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	id := r.PathValue("id")
	e, err := decode(r)
	var g Group
	if err == nil {
		err = a.store.Update(r.Context(), tenant, func(tx scimx.Tx) error {
			cur, err := tx.Group(id, true)
			if err != nil {
				return err
			}
			c := scimx.Change{Name: e.DisplayName, Type: e.Type}
			if e.DisplayName != nil {
				if err := group.ValidateName(*e.DisplayName); err != nil {
					return err
				}
			}
			if e.Members != nil {
				c.Add, c.Remove = cur.Members.Diff(group.NewMembers(*e.Members...))
			}
			if _, err := tx.Change(id, c); err != nil {
				return err
			}
			rec, err := tx.Group(id, true)
			g = view(rec)
			return err
		})
	}
	reply(w, http.StatusOK, g, err)
}

func (a *admin) delete(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	err := a.store.Update(r.Context(), tenant, func(tx scimx.Tx) error {
		return tx.Delete(r.PathValue("id"))
	})
	reply(w, http.StatusNoContent, nil, err)
}

func decode(r *http.Request) (edit, error) {
	var e edit
	dec := json.NewDecoder(r.Body)
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
			writeError(w, http.StatusNotFound, err)
		case errors.Is(err, group.ErrInvalid), errors.Is(err, errBadRequest):
			writeError(w, http.StatusBadRequest, err)
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
