// Package article holds the reference help article, "push groups from Okta
// to 15Five", once, for the examples that retell it: its steps, the checks
// each step makes against what the library must do (SPEC.md), and the
// printing they share.
//
// [Run] walks the steps: SCIM connected, push a new group, move it to
// another group type, associate an Okta group with an existing 15Five group,
// a name that does not match exactly, a group created in 15Five that is
// read-only in Okta, a force sync, and the troubleshooting table. Okta is a
// [groupsync.Applier] with a [groupsync.MemStore], which Run builds; the
// program supplies 15Five twice: as its admin reaches it (an [App]: the
// Manage groups page and what a person does there by hand) and as Okta
// reaches it (a [groupsync.Target]). examples/plan supplies both in memory;
// examples/walkthrough supplies the demo app over HTTP, and adds through
// [Config]'s hooks what only HTTP shows: a connection test with a wrong
// token, and the SCIM writes of every push.
//
// Every claim Run prints is checked; Run returns a [*StepError] naming the step
// when the library departs from the article.
//
// This package imports the library's sync package as groupsync, beside the
// standard library's.
package article
