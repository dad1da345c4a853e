// Package scimx is what an app imports to accept group pushes over SCIM 2.0:
// [NewServer] serves the Groups resource of a github.com/elimity-com/scim
// server that keeps the rules of the specification (SPEC.md in the module:
// R2, R4, R5, R7, R16) for every real client, Okta, Microsoft Entra ID,
// JumpCloud, authentik and OneLogin (WIRE.md), behind the middleware any
// app needs: [Authenticate] with [BearerTokens], [BasicAuth] or
// [HeaderTokens], [LimitBody], [Recover] and [LogRequests].
//
// Bad input is refused whole, within stated limits (R18): [Limits] bound
// what one request may ask for and are checked before the SCIM library
// parses anything, bodies must be strict JSON ([CheckJSON]), and
// [NewHTTPServer] gives the http.Server settings to serve with. SECURITY.md
// in the module says what the library promises and what the app must do.
//
// Groups live in a [Store], scoped to the tenant of each request's
// credentials; [MemStore] keeps them in memory, package scimx/sqlstore in
// SQLite or PostgreSQL, and package scimx/scimxtest checks any Store and
// serves the app in-process for tests.
//
// scimx and its subpackages are the only packages of the module that
// import the SCIM server library. The identity provider's side, the SCIM
// client that pushes groups, is package scimx/scimclient.
package scimx
