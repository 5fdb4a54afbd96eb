package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
)

const withAccess = valid + `
auth:
  roles:
    - {role: approver, members: [sre], environments: [prod]}
    - {role: releaser, members: [alice], services: [api]}
    - {permissions: [rollback, hold-release], members: [bob]}
  sessionTTL: 8h
notifications:
  - {name: releases, type: slack, urlEnv: SLACK_URL, environments: [prod], events: [approval-needed, rollback-done]}
  - {name: audit-sink, type: webhook, url: "https://hooks.example.com/slipway", secretFile: secrets/hook}
hooks:
  build:
    secretFile: secrets/build
    services: {api: {env: API_BUILD_KEY}}
`

func TestAccessSections(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(withAccess))
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.TTL().Hours() != 8 || len(c.Auth.Roles) != 3 || c.Auth.Roles[2].Permissions[0] != auth.Rollback {
		t.Errorf("auth: %+v", c.Auth)
	}
	if c.Notifications[1].SecretFile != "/x/secrets/hook" || c.Hooks.Build.SecretFile != "/x/secrets/build" {
		t.Errorf("secret paths are relative to slipway.yaml: %+v %+v", c.Notifications[1], c.Hooks.Build)
	}
	n := c.Notifications[0]
	if !n.Wants(slipway.Notice{Event: slipway.NoticeRollback, Env: "prod"}) || n.Wants(slipway.Notice{Event: slipway.NoticeRollback, Env: "dev"}) || n.Wants(slipway.Notice{Event: slipway.NoticeBreakGlass, Env: "prod"}) {
		t.Error("a receiver takes its environments and events only")
	}
	if !c.Notifications[1].Wants(slipway.Notice{Event: slipway.NoticeStop}) {
		t.Error("no filters: every notice")
	}
	dev, prod := c.Environments[0], c.Environments[1]
	if dev.RequireAuthenticatedApprovals() || !prod.RequireAuthenticatedApprovals() {
		t.Error("authenticated approvals default to the last environment only")
	}
	off, err := Parse("/x/slipway.yaml", []byte(strings.Replace(valid, "    promotion: pull-request\n", "    promotion: pull-request\n    requireAuthenticatedApprovals: false\n", 1)))
	if err != nil || off.Environments[1].RequireAuthenticatedApprovals() {
		t.Fatalf("an explicit false is kept: %v", err)
	}
	p := c.AccessPolicy()
	if p.Check(&slipway.Actor{Name: "bob", Kind: slipway.ActorUser}, auth.Approve, auth.Scope{Service: "api", Env: "prod"}) != nil {
		t.Error("bob approves prod through the sre group")
	}
	t.Setenv("API_BUILD_KEY", "api-key\n")
	if k, err := c.Hooks.Build.Key("api"); err != nil || string(k) != "api-key" {
		t.Errorf("api's own key: %q %v", k, err)
	}
}

func TestAccessErrorsNameTheLine(t *testing.T) {
	bad := valid + `
auth:
  roles:
    - {role: superuser, members: [alice]}
    - {role: viewer, members: [alice], environments: [qa]}
notifications:
  - {name: Slack!, type: teams, url: "ftp://x", urlEnv: X, events: [deployed], environments: [qa]}
  - {name: ok, type: webhook}
hooks:
  build:
    secretEnv: A
    secretFile: b
    services: {nope: {}}
`
	_, err := Parse("/x/slipway.yaml", []byte(bad))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`slipway.yaml:22: auth.roles[0].role: "superuser" is not a role`,
		`slipway.yaml:23: auth.roles[1].environments: environment "qa"`,
		`notifications[0].name: "Slack!"`, `notifications[0].type: "teams"`, "notifications[0].url: give exactly one",
		`notifications[0].events: "deployed" is not an event`, `notifications[0].environments: unknown environment "qa"`,
		"notifications[1].url: give exactly one", "hooks.build: give secretEnv or secretFile, not both",
		`hooks.build.services.nope: unknown service "nope"`, "hooks.build.services.nope: give env or file",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// The schema's enums follow the code's lists.
func TestSchemaAccessEnums(t *testing.T) {
	var schema struct {
		Properties struct {
			Auth struct {
				Properties struct {
					Roles struct {
						Items struct {
							Properties struct {
								Role        struct{ Enum []string } `json:"role"`
								Permissions struct {
									Items struct{ Enum []string } `json:"items"`
								} `json:"permissions"`
							} `json:"properties"`
						} `json:"items"`
					} `json:"roles"`
				} `json:"properties"`
			} `json:"auth"`
			Notifications struct {
				Items struct {
					Properties struct {
						Events struct {
							Items struct{ Enum []string } `json:"items"`
						} `json:"events"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"notifications"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	r := schema.Properties.Auth.Properties.Roles.Items.Properties
	var roles, perms []string
	for k := range auth.Roles {
		roles = append(roles, k)
	}
	for _, p := range auth.Roles["admin"] {
		perms = append(perms, string(p))
	}
	slices.Sort(roles)
	for _, c := range []struct {
		name       string
		got, wants []string
	}{
		{"roles", sorted(r.Role.Enum), roles},
		{"permissions", sorted(r.Permissions.Items.Enum), sorted(perms)},
		{"events", sorted(schema.Properties.Notifications.Items.Properties.Events.Items.Enum), sorted(slipway.NoticeEvents)},
	} {
		if strings.Join(c.got, ",") != strings.Join(c.wants, ",") {
			t.Errorf("schema %s %v, code %v", c.name, c.got, c.wants)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestReadSecret(t *testing.T) {
	f := filepath.Join(t.TempDir(), "s")
	os.WriteFile(f, []byte("file-secret\r\n"), 0o600)
	if b, err := ReadSecret("", f); err != nil || string(b) != "file-secret" {
		t.Errorf("file: %q %v", b, err)
	}
	if _, err := ReadSecret("SLIPWAY_TEST_UNSET_VAR", ""); err == nil || !strings.Contains(err.Error(), "SLIPWAY_TEST_UNSET_VAR is not set") {
		t.Errorf("unset env: %v", err)
	}
	if _, err := ReadSecret("", ""); err == nil {
		t.Error("nothing configured")
	}
}
