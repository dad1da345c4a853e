package scimx

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// serviceProviderConfig answers GET /ServiceProviderConfig (RFC 7643,
// section 5) with what the service supports, in place of the elimity
// server's document, which says ETags are unsupported, advertises bulk
// limits although bulk is not served, and names no scheme of its own.
func serviceProviderConfig(auth Authenticator, next http.Handler) http.Handler {
	doc := configDocument(auth)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimPrefix(r.URL.Path, "/v2") != "/ServiceProviderConfig" {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet {
			writeError(w, http.StatusNotFound, "", "Specified endpoint does not exist.")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/scim+json")
		h.Set("Content-Length", strconv.Itoa(len(doc)))
		_, _ = w.Write(doc)
	})
}

type supported struct {
	Supported bool `json:"supported"`
}

type authenticationScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Primary     bool   `json:"primary,omitempty"`
}

// configDocument renders the ServiceProviderConfig of a service that
// authenticates with auth.
func configDocument(auth Authenticator) []byte {
	schemes := []authenticationScheme{}
	if d, ok := auth.(describer); ok {
		s := d.scheme()
		s.Primary = true
		schemes = append(schemes, s)
	}
	doc := struct {
		Schemas []string  `json:"schemas"`
		Patch   supported `json:"patch"`
		Bulk    struct {
			Supported      bool `json:"supported"`
			MaxOperations  int  `json:"maxOperations"`
			MaxPayloadSize int  `json:"maxPayloadSize"`
		} `json:"bulk"`
		Filter struct {
			Supported  bool `json:"supported"`
			MaxResults int  `json:"maxResults"`
		} `json:"filter"`
		ChangePassword        supported              `json:"changePassword"`
		Sort                  supported              `json:"sort"`
		ETag                  supported              `json:"etag"`
		AuthenticationSchemes []authenticationScheme `json:"authenticationSchemes"`
	}{
		Schemas:               []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		Patch:                 supported{true},
		ETag:                  supported{true},
		AuthenticationSchemes: schemes,
	}
	doc.Filter.Supported, doc.Filter.MaxResults = true, maxResults
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // a fixed document of plain types always encodes
	}
	return b
}

// describer is an authenticator that says, for the ServiceProviderConfig
// document, which scheme it authenticates with.
type describer interface{ scheme() authenticationScheme }

func (bearerTokens) scheme() authenticationScheme {
	return authenticationScheme{Type: "oauthbearertoken", Name: "OAuth Bearer Token",
		Description: "Authentication with a bearer token in the Authorization header (RFC 6750)."}
}

func (basicAuth) scheme() authenticationScheme {
	return authenticationScheme{Type: "httpbasic", Name: "HTTP Basic",
		Description: "Authentication with a user name and password (RFC 7617)."}
}

func (a headerTokens) scheme() authenticationScheme {
	return authenticationScheme{Type: "apikey", Name: "API key",
		Description: "Authentication with a token as the whole value of the " + a.name + " header."}
}
