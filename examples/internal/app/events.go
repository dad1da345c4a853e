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
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/groupsync/groupsync/scimx"
)

// Event is one event of a tenant's change feed (R17), as GET /admin/events
// lists it and a [Webhook] posts it:
//
//	{"seq":1,"id":"…","group":"…","name":"…","kind":"created","added":["…"],"removed":[],"actor":"source","version":1,"at":"…"}
//
// kind is one of created, associated, renamed, members, externalId, type
// and deleted (scimx.Kind); actor is source (a SCIM request) or app (the
// admin API). oldName is there on a rename, externalId when the group has
// one, type (the group's app-local type) when it has one, and tenant only
// in a webhook's body, which may carry any tenant's events.
type Event = scimx.FeedEvent

// eventOf is the Event of a feed event, as /admin/events shows it: the
// tenant left out (it is the caller's), the time in UTC.
func eventOf(e scimx.FeedEvent) Event {
	e.Tenant, e.At = "", e.At.UTC()
	return e
}

// Events is the answer of GET /admin/events: a page of the feed and the
// cursor of the next.
type Events struct {
	// Events are the events after the request's after, in order.
	Events []Event `json:"events"`
	// Next is the after of the next request: the last Seq returned, or
	// the request's after when there is none.
	Next int64 `json:"next"`
}

// The page sizes of GET /admin/events.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// events serves GET /admin/events?after=SEQ&limit=N: the tenant's events
// after SEQ (default 0, the start), at most N (1 to 1,000, default 100).
// A parameter given twice, or one it does not know, is a 400; an after
// whose next events a retention deleted (-retention) is a 410 Gone, with
// a JSON error naming the oldest kept seq: the reader has missed changes
// and reconciles from /admin/groups before it reads on.
func (a *admin) events(w http.ResponseWriter, r *http.Request) {
	tenant, _ := scimx.TenantFrom(r.Context())
	q := r.URL.Query()
	after, limit := int64(0), defaultEventLimit
	var err error
	for k, vs := range q {
		if err == nil && len(vs) > 1 {
			err = fmt.Errorf("%w: %s is given %d times; give it once", errBadRequest, shortQuote(k), len(vs))
		}
	}
	if v := q.Get("after"); err == nil && (v != "" || q.Has("after")) {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			err = fmt.Errorf("%w: after must be a sequence number, 0 or more", errBadRequest)
		}
	}
	if v := q.Get("limit"); err == nil && (v != "" || q.Has("limit")) {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxEventLimit {
			err = fmt.Errorf("%w: limit must be a number from 1 to %d", errBadRequest, maxEventLimit)
		}
	}
	for k := range q {
		if err == nil && k != "after" && k != "limit" {
			err = fmt.Errorf("%w: unknown parameter %s; /admin/events takes after and limit", errBadRequest, shortQuote(k))
		}
	}
	if err != nil {
		reply(w, 0, nil, err)
		return
	}
	evs, err := a.dir.Events(r.Context(), tenant, after, limit)
	out := Events{Events: make([]Event, 0, len(evs)), Next: after}
	for _, e := range evs {
		out.Events = append(out.Events, eventOf(e))
		out.Next = e.Seq
	}
	reply(w, http.StatusOK, out, err)
}

// Webhook delivers the change feed of every tenant to a URL, as a JSON
// POST of each [Event] (with its tenant), through a scimx.Consumer: every
// event at least once, in order per tenant, retried with backoff until the
// receiver answers 2xx, from a cursor kept in the groups' store under the
// name "webhook", so that a restarted process resumes where the last one
// stopped. The receiver deduplicates by the event's id.
//
// Redirects are never followed: a 3xx answer is a failed delivery,
// retried like a 5xx, and logged with its Location. (Go's HTTP client
// turns a POST into a GET on 301, 302 and 303 and would report the GET's
// 2xx, marking the event delivered though the receiver never got it.)
// Point URL at the receiver's final address.
type Webhook struct {
	// URL receives the POSTs; an absolute http or https URL.
	URL string
	// Store holds the feed and the cursor.
	Store scimx.Store
	// Tenants are the tenants whose events to deliver.
	Tenants []string
	// Client sends the POSTs; nil means one that gives each 10 seconds.
	// Its CheckRedirect is not used: the Webhook sends through a copy
	// that follows no redirect.
	Client *http.Client
	// MaxBackoff bounds the wait between retries of a failed delivery;
	// zero means a minute.
	MaxBackoff time.Duration
	// Retention, when positive, deletes the events older than that which
	// every cursor of the tenant has passed (scimx.Consumer.Retention),
	// for instance 30 days; zero keeps every event.
	Retention time.Duration
	// Logger receives failed deliveries; nil discards them.
	Logger *slog.Logger

	once     sync.Once
	err      error
	consumer *scimx.Consumer
}

// errWebhook is wrapped by the error of a Webhook set up wrong.
var errWebhook = errors.New("webhook")

// check validates w and makes its consumer, once: the fields are read
// by the first call of Check, Run or Wake.
func (w *Webhook) check() error {
	w.once.Do(func() { w.err = w.setUp() })
	return w.err
}

func (w *Webhook) setUp() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an absolute http or https URL", errWebhook, w.URL)
	}
	if w.Store == nil || len(w.Tenants) == 0 {
		return fmt.Errorf("%w: needs a store and tenants", errWebhook)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if w.Client != nil {
		c := *w.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tenants := slices.Clone(w.Tenants)
	slices.Sort(tenants)
	tenants = slices.Compact(tenants)
	w.consumer = &scimx.Consumer{
		Store:      w.Store,
		Name:       "webhook",
		Tenants:    func(context.Context) ([]string, error) { return tenants, nil },
		Handle:     func(ctx context.Context, e scimx.FeedEvent) error { return w.post(ctx, client, e) },
		MaxBackoff: w.MaxBackoff,
		Retention:  w.Retention,
		Logger:     w.Logger,
	}
	if w.MaxBackoff > 0 && w.MaxBackoff < time.Second {
		w.consumer.MinBackoff = w.MaxBackoff // else the default, a second
	}
	return nil
}

// post delivers one event.
func (w *Webhook) post(ctx context.Context, client *http.Client, fe scimx.FeedEvent) error {
	fe.At = fe.At.UTC()
	body, err := json.Marshal(fe)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "groupsync-example-webhook")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // reuse the connection
	res.Body.Close()
	if res.StatusCode >= 300 && res.StatusCode <= 399 {
		return fmt.Errorf("the webhook answered %d, a redirect to %s, which is not followed: point -webhook at the final URL", res.StatusCode, shortQuote(res.Header.Get("Location")))
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("the webhook answered %d", res.StatusCode)
	}
	return nil
}

// Run delivers events until ctx ends, then returns ctx's error. It
// returns the error of [Webhook.Check] at once when w is set up wrong.
func (w *Webhook) Run(ctx context.Context) error {
	if err := w.check(); err != nil {
		return err
	}
	return w.consumer.Run(ctx)
}

// Wake makes a running Run look for new events now, for instance from
// [Config.OnChange]; it never blocks.
func (w *Webhook) Wake() {
	if w.check() == nil {
		w.consumer.Wake()
	}
}

// Check reports whether w is set up right: it returns an error for a URL
// that is not an absolute http or https URL, or for no store or no
// tenants. The fields are read once, by the first call of Check, Run or
// Wake; later changes to them have no effect.
func (w *Webhook) Check() error { return w.check() }
