package auth

import (
	"strings"
	"testing"

	"github.com/slipway/slipway"
)

var testConfig = Config{Roles: []Grant{
	{Role: "viewer", Members: []string{"everyone"}},
	{Role: "releaser", Members: []string{"alice@example.com"}, Environments: []string{"dev", "staging"}},
	{Role: "approver", Members: []string{"sre"}, Environments: []string{"prod"}},
	{Role: "approver", Members: []string{"erin@example.com"}, Services: []string{"web"}},
	{Permissions: []Permission{Rollback, HoldRelease}, Members: []string{"oncall"}, Services: []string{"api"}},
	{Role: "admin", Members: []string{"root@example.com"}},
}}

var testGroups = map[string][]string{
	"everyone": {"alice@example.com", "bob@example.com", "carol@example.com", "erin@example.com"},
	"sre":      {"bob@example.com", "carol@example.com"},
}

func user(name string, groups ...string) *slipway.Actor {
	return &slipway.Actor{Name: name, Kind: slipway.ActorUser, Via: "token", Groups: groups}
}

// TestPolicy is the table of who may do what where: roles, scopes by
// environment and service, separate permissions, groups from slipway.yaml
// and from the identity provider, CI tokens and the local operator.
func TestPolicy(t *testing.T) {
	p := NewPolicy(testConfig, testGroups, []string{"dave@example.com"})
	ci := &slipway.Actor{Name: "ci/api", Kind: slipway.ActorCI, Via: "token", Service: "api"}
	for _, c := range []struct {
		who   *slipway.Actor
		perm  Permission
		scope Scope
		ok    bool
	}{
		{user("bob@example.com"), Read, Scope{}, true},                                              // viewer through the group everyone
		{user("mallory@example.com"), Read, Scope{}, false},                                         // in no group, no grant
		{user("alice@example.com"), Promote, Scope{"api", "staging"}, true},                         // releaser in staging
		{user("alice@example.com"), Promote, Scope{"api", "prod"}, false},                           // not in prod
		{user("ALICE@example.com"), Promote, Scope{"api", "dev"}, true},                             // names compare as identities
		{user("Alice <alice@example.com>"), Promote, Scope{"api", "dev"}, true},                     //
		{user("alice@example.com"), Approve, Scope{"api", "staging"}, false},                        // a releaser does not approve
		{user("alice@example.com"), Expedite, Scope{"api", "staging"}, false},                       // expedite is separate
		{user("alice@example.com"), Stop, Scope{All, "dev"}, true},                                  // stop dev for every service
		{user("alice@example.com"), Stop, Scope{All, All}, false},                                   // stopping everything needs an unlimited grant
		{user("bob@example.com"), Approve, Scope{"api", "prod"}, true},                              // approver in prod through sre
		{user("bob@example.com"), Approve, Scope{"api", "staging"}, false},                          //
		{user("bob@example.com"), Rollback, Scope{"api", "prod"}, false},                            // rollback is separate
		{user("zed@example.com", "oncall"), Rollback, Scope{"api", "prod"}, true},                   // a group the IdP vouches for
		{user("zed@example.com", "oncall"), HoldRelease, Scope{"api", ""}, true},                    // no environment dimension
		{user("zed@example.com", "oncall"), Rollback, Scope{"web", "prod"}, false},                  // other service
		{user("zed@example.com", "oncall"), Approve, Scope{"api", "prod"}, false},                   // only what was granted
		{user("erin@example.com"), Approve, Scope{"web", "prod"}, true},                             //
		{user("erin@example.com"), Approve, Scope{"api", "prod"}, false},                            //
		{user("dave@example.com"), Override, Scope{"api", "prod"}, true},                            // permissions.override still counts
		{user("dave@example.com"), Promote, Scope{"api", "prod"}, false},                            // and grants nothing else
		{user("root@example.com"), CanaryDecide, Scope{"web", "prod"}, true},                        // admin
		{user("root@example.com"), Admin, Scope{All, All}, true},                                    //
		{ci, RegisterBuild, Scope{"api", ""}, true},                                                 // CI: its service
		{ci, Verify, Scope{"api", "staging"}, true},                                                 //
		{ci, RegisterBuild, Scope{"web", ""}, false},                                                // not another's
		{ci, Promote, Scope{"api", "dev"}, false},                                                   // nothing else
		{ci, Read, Scope{}, false},                                                                  //
		{&slipway.Actor{Name: "x", Kind: slipway.ActorLocal}, Rollback, Scope{"api", "prod"}, true}, // local mode is single-operator
		{slipway.System, Promote, Scope{"api", "prod"}, true},                                       //
		{nil, Promote, Scope{"api", "prod"}, true},                                                  // trusted code in the process
		{&slipway.Actor{Name: "x", Kind: "martian"}, Read, Scope{}, false},                          //
	} {
		err := p.Check(c.who, c.perm, c.scope)
		if (err == nil) != c.ok {
			t.Errorf("%+v %s %s: err %v, want allowed=%v", c.who, c.perm, c.scope, err, c.ok)
		}
		if err != nil && slipway.ErrorCode(err) != slipway.EFORBIDDEN {
			t.Errorf("refusal code %s", slipway.ErrorCode(err))
		}
	}
	err := p.Check(user("alice@example.com"), Promote, Scope{"api", "prod"})
	for _, want := range []string{"alice@example.com", "promote", "api in prod", "auth.roles"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
}

func TestAllowedLists(t *testing.T) {
	p := NewPolicy(testConfig, testGroups, nil)
	got := strings.Join(p.Allowed(user("bob@example.com")), "\n")
	for _, want := range []string{"read", "approve environments=prod", "stop environments=prod"} {
		if !strings.Contains(got, want) {
			t.Errorf("bob's grants\n%s\nlack %q", got, want)
		}
	}
	if got := p.Allowed(&slipway.Actor{Name: "ci/api", Kind: slipway.ActorCI, Service: "api"}); strings.Join(got, ",") != "build services=api,verify services=api" {
		t.Errorf("CI grants %v", got)
	}
}

func TestConfigCheck(t *testing.T) {
	c := Config{SessionTTL: "5s", Roles: []Grant{
		{Role: "owner", Members: []string{"a"}},
		{Members: []string{"a"}},
		{Role: "viewer"},
		{Role: "viewer", Members: []string{"a"}, Permissions: []Permission{"deploy"}, Services: []string{"nope"}, Environments: []string{"qa"}},
	}, OIDC: &OIDCConfig{Issuer: "http://idp.example.com"}}
	var got []string
	for _, p := range c.Check([]string{"api"}, []string{"dev", "prod"}, nil) {
		got = append(got, p.Field+": "+p.Message)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`sessionTTL: "5s"`, `roles[0].role: "owner" is not a role`, "roles[1].role: grants nothing",
		"roles[2].members: nobody", `roles[3].permissions: "deploy" is not a permission`, `roles[3].services: service "nope"`,
		`roles[3].environments: environment "qa"`, "oidc.issuer",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems\n%s\nlack %q", all, want)
		}
	}
	if len(testConfig.Check([]string{"api", "web"}, []string{"dev", "staging", "prod"}, testGroups)) != 0 {
		t.Error("the test configuration is valid")
	}
}
