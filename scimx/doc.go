// Package scimx plugs the group push policy into SCIM 2.0.
//
// On the target side, [NewHandler] returns the Groups resource of a
// github.com/elimity-com/scim server that enforces the rules of the
// specification (R2, R4, R5, R7, R16) for every real client: Okta, Microsoft
// Entra ID, JumpCloud, authentik, OneLogin. [NewServer] wraps it, with the
// middleware any app needs ([Authenticate], [LimitBody], [Recover],
// [LogRequests]), into one http.Handler. Groups live in a [Store]; [MemStore]
// keeps them in memory.
//
// scimx is the only package of the module that imports the SCIM library.
package scimx
