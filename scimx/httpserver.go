package scimx

import (
	"net/http"
	"time"
)

// NewHTTPServer returns an http.Server that serves h with the settings an
// app accepting pushes should use (R18); its zero-valued http.Server would
// wait for a slow client forever and keep idle connections open
// indefinitely:
//
//   - ReadHeaderTimeout 10 s: a client that trickles its headers
//     (slowloris) is cut off;
//   - ReadTimeout 1 min for a whole request, body included, on every route
//     (the service of [NewServer] sets a tighter deadline for its own
//     bodies, [ServerOptions.BodyTimeout]); when it passes, net/http also
//     ends the request's context;
//   - WriteTimeout 2 min from the end of a request's headers to the end of
//     its answer (the service of NewServer sets its own per request, from
//     [ServerOptions.Timeout]);
//   - IdleTimeout 1 min for a kept-alive connection between requests;
//   - MaxHeaderBytes 1 MiB for a request's line and headers, set
//     explicitly: net/http answers a larger request with a plain-text 431
//     before any handler runs, so the bound stays well above what
//     [Limits] refuses, and an oversized filter is answered with a SCIM
//     error that says which limit it broke. Headers arrive within the
//     ReadHeaderTimeout.
//
// Set its Addr, or call its Serve with a listener, and serve it over TLS
// (ServeTLS, or TLS in front of it): credentials travel in every request.
// Any field may be changed before it serves.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
}
