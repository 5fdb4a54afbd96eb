package slipway

import "context"

// Actor is who performs a request: a person or a CI job the server
// authenticated (session, API token, signed webhook), the operator of a
// local CLI, or Slipway itself. The server puts it in the request's context
// (WithActor); the engine reads it there to check permissions and to record
// who acted, so no method signature has to carry it.
type Actor struct {
	// Name is the identity recorded with what the actor does: a user's
	// login (an email, as approvals compare it), "ci/<token name>" for a CI
	// token, "slipway" for the system. Set by authentication, never by the
	// request.
	Name string
	// Kind says how far the name can be trusted and which rules apply.
	Kind string
	// Via is how the name was proven: password, oidc, token, hmac, local, system.
	Via string
	// Groups are groups an identity provider vouches for (an OIDC groups
	// claim), in addition to slipway.yaml's groups:.
	Groups []string
	// Service is the only service a CI token or a build hook may act for.
	Service string
	// TokenID names the API token used, for logs ("" otherwise).
	TokenID string
}

// Actor kinds.
const (
	// ActorUser is a person the server authenticated (a session or a
	// personal API token): roles in slipway.yaml decide what they may do.
	ActorUser = "user"
	// ActorCI is a CI token or a signed build hook: it may register builds
	// and report verifications of its one service, nothing else.
	ActorCI = "ci"
	// ActorLocal is the CLI working on the store directly (no server): the
	// name comes from SLIPWAY_USER or git, so nothing is proven. Local mode
	// is single-operator: whoever can open the store can do anything, except
	// approve where requireAuthenticatedApprovals asks for the server.
	ActorLocal = "local"
	// ActorSystem is Slipway's own automatic work (promotion into an
	// automatic environment, the controller's reconcile).
	ActorSystem = "system"
)

// System is the actor of Slipway's automatic actions.
var System = &Actor{Name: "slipway", Kind: ActorSystem, Via: "system"}

// Authenticated reports whether the server proved the actor's identity.
func (a *Actor) Authenticated() bool {
	return a != nil && (a.Kind == ActorUser || a.Kind == ActorCI)
}

type actorKey struct{}

// WithActor returns ctx carrying a as the actor of what is done with it.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, or nil. A nil actor is trusted
// Go code in the same process (tests, a program embedding the engine): the
// user names it passes are taken as given.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}
