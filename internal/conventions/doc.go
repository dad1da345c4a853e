// Package conventions holds no code: its tests check the repository's own
// conventions, the ones no compiler checks, so that `go test ./...` fails
// when one is broken:
//
//   - every rule of SPEC.md has a heading of its own, is named by a test,
//     and has a row in the README's rule table, whose tests exist;
//   - nothing in the repository points outside it;
//   - dependencies point inward: origin imports only the standard library,
//     the app's side (scimx) imports nothing of the push side (sync), the
//     SCIM client nothing of the SCIM server library, and only packages
//     under scimx/ import that library;
//   - every exported name of every package has a doc comment.
package conventions
