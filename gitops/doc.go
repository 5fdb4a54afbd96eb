// Package gitops edits pins: the values in a GitOps repository that hold
// the image an environment runs for a service.
//
// A pin has a kind, each a small type registered by name (Kinds): yaml (a
// path to one scalar in any file), kustomize (an images: entry), helm (the
// image block of a values file) and argocd (an Application's Helm
// parameters or valuesObject). A kind turns its options and the promotion's
// Target into the scalars to write; all kinds share one edit routine.
//
// An edit changes only the bytes of those scalars. Comments, key order,
// indentation, quoting, blank lines, document separators, anchors, CRLF
// line endings and the presence or absence of a trailing newline all
// survive, because each new value is spliced into the original bytes
// rather than re-encoded: a re-encoded file produces a noisy diff that
// reviewers of a promotion pull request would have to read line by line.
//
// The flow of one edit is: parse the path (ParsePath), parse the file into
// yaml.v3 nodes, locate the one scalar the path names, render the new value
// in the scalar's own quoting style, splice it over the scalar's original
// bytes, and re-parse the result to prove that the target now holds the
// value and that nothing else in the document changed. A PinSet (one
// service's pins in one environment) applies every pin to a map of files
// in memory and reads them all back before returning, so one promotion is
// one commit or nothing. Any doubt is an error, never a guess: a pin that
// cannot be edited safely must stop a promotion.
//
// ReadFile and WriteFile move pin files between a checkout and memory
// without following links or leaving the checkout.
//
// The configuration and path syntax are documented in docs/pins.md.
package gitops
