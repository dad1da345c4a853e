package scimx

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elimity-com/scim"

	"github.com/groupsync/groupsync/internal/benchpair"
)

// BenchmarkChecksLargePost measures what R18's checks cost the largest
// request real clients send: a POST of 200,000 members (20,000 with
// -short), through the service of NewServer over real HTTP, taking turns
// in one loop with the same POST through the same service without the
// checks of guard and checkBody (the baseline: authentication, the body
// limit and the SCIM library, as before R18). The result line reports the
// time and bytes with the checks as multiples of those without
// (x-baseline-time, x-baseline-bytes); it fails above 1.25×.
//
//	go test ./scimx -run '^$' -bench ChecksLargePost -count 6
//	go test ./scimx -run '^$' -bench ChecksLargePost -short
func BenchmarkChecksLargePost(b *testing.B) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf(`{"value":"00u%017d","display":"user%d@example.com"}`, i, i)
	}
	body := `{"schemas":["` + GroupSchema + `"],"displayName":"Everyone","members":[` + strings.Join(members, ",") + `]}`
	b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
		auth := BearerTokens(map[string]string{"t": "a"})
		checked, err := NewServer(&MemStore{}, ServerOptions{Auth: auth})
		if err != nil {
			b.Fatal(err)
		}
		unchecked := uncheckedServer(b, &MemStore{}, ServerOptions{Auth: auth})
		post := func(h http.Handler) func() {
			ts := httptest.NewServer(h)
			b.Cleanup(ts.Close)
			return func() {
				req, _ := http.NewRequest("POST", ts.URL+"/Groups", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer t")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					b.Fatalf("POST of %d members: status %d", n, res.StatusCode)
				}
			}
		}
		p := benchpair.Run(b, post(unchecked), post(checked), benchpair.Options{})
		t, by := p.Report(b, "unchecked", "checked")
		for _, r := range []struct {
			what  string
			ratio float64
		}{{"time", t}, {"bytes", by}} {
			if r.ratio > 1.25 {
				b.Errorf("R18's checks cost %.2f× the %s of the POST without them, want at most 1.25×", r.ratio, r.what)
			}
		}
	})
}

// uncheckedServer is NewServer's service without the checks of R18 (guard
// and checkBody): the baseline of BenchmarkChecksLargePost.
func uncheckedServer(b *testing.B, store Store, opts ServerOptions) http.Handler {
	h := newHandler(store, opts)
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: maxResults},
		ResourceTypes:         []scim.ResourceType{h.resourceType()},
	})
	if err != nil {
		b.Fatal(err)
	}
	var next http.Handler = fixResponses(srv)
	next = serviceProviderConfig(opts.Auth, next)
	next = LimitBody(opts.MaxBody, next)
	next = Authenticate(opts.Auth, next)
	return Recover(nil, next)
}
