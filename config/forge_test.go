package config

import (
	"strings"
	"testing"
)

const withForge = `
gitops:
  remote: https://github.com/acme/gitops.git
  forge:
    type: github
    repo: acme/gitops
    app:
      appID: "123456"
      installationID: 4242
      privateKeyFile: secrets/app.pem
    webhookSecretFile: secrets/webhook
services:
  - name: api
    image: ghcr.io/acme/api
    keys: [cosign.pub]
environments:
  - name: prod
    promotion: pull-request
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
`

func TestForgeBlock(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(withForge))
	if err != nil {
		t.Fatal(err)
	}
	f := c.GitOps.Forge
	if f == nil || f.Type != "github" || f.Repo != "acme/gitops" || f.App.InstallationID != 4242 || f.App.AppID != "123456" {
		t.Fatalf("forge = %+v", f)
	}
	if f.App.PrivateKeyFile != "/x/secrets/app.pem" || f.WebhookSecretFile != "/x/secrets/webhook" {
		t.Errorf("paths not resolved against the config file: %q %q", f.App.PrivateKeyFile, f.WebhookSecretFile)
	}
	if c, _ := Parse("/x/slipway.yaml", []byte(valid)); c.GitOps.Forge != nil {
		t.Error("a config without forge: got one")
	}
}

func TestForgeBlockErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct{ name, edit, want string }{
		{"no repo", strings.Replace(withForge, "    repo: acme/gitops\n", "", 1), "slipway.yaml:4: gitops.forge.repo: name the repository on github"},
		{"app without installation", strings.Replace(withForge, "      installationID: 4242\n", "", 1), "slipway.yaml:7: gitops.forge.app.installationID: write the installation's numeric ID"},
		{"bad key file field", strings.Replace(withForge, `appID: "123456"`, `appID: ""`, 1), "slipway.yaml:8: gitops.forge.app.appID"},
		{"token and app", strings.Replace(withForge, "    repo: acme/gitops\n", "    repo: acme/gitops\n    tokenEnv: GITHUB_TOKEN\n", 1), "gitops.forge.tokenEnv: set only one of tokenEnv:, tokenFile: and app:"},
		{"unknown type", strings.Replace(withForge, "type: github", "type: bitbucket", 1), "slipway.yaml:5: gitops.forge.type: \"bitbucket\" is not a forge"},
		{"misspelt field", strings.Replace(withForge, "webhookSecretFile", "webhookSecretFiel", 1), "field webhookSecretFiel not found"},
		{"token value in tokenEnv", strings.Replace(withForge, "    app:\n      appID: \"123456\"\n      installationID: 4242\n      privateKeyFile: secrets/app.pem\n", "    tokenEnv: ghp_R3alT0ken\n", 1), "never the token itself"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/x/slipway.yaml", []byte(tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
