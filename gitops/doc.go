// Package gitops edits pins: the one YAML scalar in a GitOps repository that
// holds the image digest an environment runs for a service.
//
// An edit changes only the bytes of that scalar. Comments, key order,
// indentation, quoting, blank lines, document separators, CRLF line endings
// and the presence or absence of a trailing newline all survive, because the
// new value is spliced into the original bytes rather than re-encoded: a
// re-encoded file produces a noisy diff that reviewers of a promotion pull
// request would have to read line by line.
//
// The flow of an edit is: parse the path (ParsePath), parse the file into
// yaml.v3 nodes, locate the one scalar the path names, render the new value in
// the scalar's own quoting style, splice it over the scalar's original bytes,
// and re-parse the result to prove that the target now holds the value and
// that nothing else in the document changed. Any doubt is an error, never a
// guess: a pin that cannot be edited safely must stop a promotion.
//
// The path syntax is documented in docs/pins.md and on ParsePath.
package gitops
