package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// adminAPI does, through the demo app's admin API (examples/internal/app),
// what only the app can do: the hooks of scimxtest.Endpoint.
type adminAPI struct {
	base   string // such as http://127.0.0.1:8080/admin
	token  string
	client *http.Client
}

// group is a group as the admin API shows it.
type group struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// do sends a request with a JSON body (none when in is nil) and decodes
// the answer into out (when not nil); an answer other than want is an
// error.
func (a *adminAPI) do(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("admin API: %s %s answered %d: %.200s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("admin API: %s %s: %w", method, path, err)
		}
	}
	return nil
}

func (a *adminAPI) create(ctx context.Context, name string, members []string) (string, error) {
	if members == nil {
		members = []string{}
	}
	var g group
	err := a.do(ctx, "POST", "/groups", map[string]any{"displayName": name, "members": members}, &g, http.StatusCreated)
	return g.ID, err
}

func (a *adminAPI) delete(ctx context.Context, id string) error {
	return a.do(ctx, "DELETE", "/groups/"+url.PathEscape(id), nil, nil, http.StatusNoContent)
}

func (a *adminAPI) setType(ctx context.Context, id, typ string) error {
	return a.do(ctx, "PATCH", "/groups/"+url.PathEscape(id), map[string]any{"type": typ}, nil, http.StatusOK)
}

func (a *adminAPI) groupType(ctx context.Context, id string) (string, error) {
	var g group
	err := a.do(ctx, "GET", "/groups/"+url.PathEscape(id), nil, &g, http.StatusOK)
	return g.Type, err
}
