package scimxtest

import (
	"crypto/rand"
	"fmt"
	"net/http"
)

// usersCheck is the name of the check of the Users reads Okta and Entra ID
// make when an admin connects them to the app.
const usersCheck = "Okta and Entra ID connect: the Users reads"

// checkUsers sends the reads of /Users that Okta and Entra ID make when
// provisioning is set up (WIRE.md), which a group-push-only app must
// answer too: Okta saves the app's provisioning settings only after an
// authenticated GET /Users?startIndex=1&count=2 answered a 200
// ListResponse (empty is fine), and Entra ID's Test Connection filters on
// a userName no one has, with + or %20 for the spaces, and passes on a 200
// ListResponse with no user. Without credentials, or with wrong ones, each
// read must answer 401, which both show as bad credentials. An endpoint
// that serves no /Users fails: real Okta and Entra ID cannot be connected
// to it.
func checkUsers(p *probe) {
	const oktaRead = "/Users?startIndex=1&count=2"
	p.who = "Okta"
	const saved = "provisioning cannot be saved"
	pg, ok := p.list(p.do("GET", oktaRead, "", okta...), saved, "GET "+oktaRead)
	if ok {
		switch {
		case pg.hasPerPage && pg.perPage > 2:
			p.failf(saved, "GET %s answered itemsPerPage %d, more than the count of 2", oktaRead, pg.perPage)
		case len(pg.resources) > 2:
			p.failf(saved, "GET %s answered %d users, more than the count of 2", oktaRead, len(pg.resources))
		}
		if len(pg.resources) > pg.total {
			p.failf(saved, "GET %s answered %d users but totalResults %d", oktaRead, len(pg.resources), pg.total)
		}
	}
	// Where the read itself fails, the refusals would only say it again.
	const oktaOpen = "provisioning is saved with a wrong token, and anyone can read the app's users"
	if ok {
		p.refused(p.send(nil, "GET", oktaRead, "", okta...), oktaOpen, "GET "+oktaRead+" without credentials", http.StatusUnauthorized)
		p.refused(p.send(Bearer("gsck-wrong-token"), "GET", oktaRead, "", okta...), oktaOpen, "GET "+oktaRead+" with a wrong bearer token", http.StatusUnauthorized)
	}

	p.who = Entra
	const test = "Test Connection fails"
	const entraOpen = "Test Connection passes with a wrong token, and anyone can read the app's users"
	for _, space := range []string{"+", "%20"} {
		// The failure lines name the request without its random userName,
		// so that they read the same from one run to the next.
		what := "GET /Users?filter=userName" + space + "eq" + space + "%22<random uuid>%22"
		path := "/Users?filter=userName" + space + "eq" + space + "%22" + randomUUID() + "%22"
		pg, ok := p.list(p.do("GET", path, ""), test, what)
		if !ok {
			continue
		}
		if pg.total != 0 || len(pg.resources) != 0 {
			p.failf(test, "%s answered totalResults %d and %d users, want 0 and none: no one has that userName", what, pg.total, len(pg.resources))
		}
		p.refused(p.send(nil, "GET", path, ""), entraOpen, what+" without credentials", http.StatusUnauthorized)
		p.refused(p.send(Bearer("gsck-wrong-token"), "GET", path, ""), entraOpen, what+" with a wrong bearer token", http.StatusUnauthorized)
	}
}

// randomUUID returns a random (version 4) UUID, as Entra ID's Test
// Connection sends one for a userName no one has.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
