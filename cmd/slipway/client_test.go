package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api/apitest"
)

// clientCLI runs the CLI in this process with a token ("" for none) and
// returns its output and error.
func clientCLI(t *testing.T, token string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("SLIPWAY_TOKEN", token)
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// cliCase is one command in client mode: its arguments once the state it
// needs exists, the right user, and the wrong one (a viewer for changes, a
// CI token for reads; "" where every authenticated caller may).
type cliCase struct {
	args         []string
	right, wrong string
	want         string // in the right user's output
}

// TestClientModeEveryCommand runs every client-mode command against a
// server with no token (refused: unauthenticated), the wrong token
// (refused: may not) and the right one (done, same output as locally). The
// store is never opened: --config and --state name nothing.
func TestClientModeEveryCommand(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	nowhere := filepath.Join(t.TempDir(), "nowhere")
	base := []string{"--server", w.Server.URL, "--config", filepath.Join(nowhere, "slipway.yaml"), "--state", nowhere}
	sys := slipway.WithActor(context.Background(), slipway.System)
	ciToken := w.CIToken("api")
	tok := func(u string) string {
		if u == "ci" {
			return ciToken
		}
		return w.Token(u)
	}
	cases := map[string]func() cliCase{
		"promote": func() cliCase {
			w.Settle("web")
			return cliCase{[]string{"promote", "--service", "web", "--to", "prod", "--build", w.Released("web").ID}, apitest.Alice, apitest.Victor, ": waiting ("}
		},
		"approve": func() cliCase {
			return cliCase{[]string{"approve", "--promotion", w.Waiting("api").ID, "--comment", "ok"}, apitest.Bob, apitest.Victor, ": review-open ("}
		},
		"reject": func() cliCase {
			return cliCase{[]string{"reject", "--promotion", w.Waiting("web").ID}, apitest.Carol, apitest.Victor, ": waiting ("}
		},
		"why": func() cliCase {
			w.Released("web")
			return cliCase{[]string{"why", "--service", "web", "--to", "prod"}, apitest.Victor, "ci", "approvals"}
		},
		"promotions": func() cliCase { return cliCase{[]string{"promotions", "--all"}, apitest.Victor, "ci", "ID"} },
		"verify report": func() cliCase {
			b := w.Released("api")
			return cliCase{[]string{"verify", "report", "--service", "api", "--env", "dev", "--check", "e2e", "--status", "passed", "--digest", b.Digest}, apitest.Alice, apitest.Victor, "recorded e2e passed"}
		},
		"verify run": func() cliCase {
			w.Released("web")
			return cliCase{[]string{"verify", "run", "--service", "web", "--env", "dev", "--check", "smoke"}, apitest.Alice, apitest.Victor, "check smoke passed"}
		},
		"build register": func() cliCase {
			ref, sha := w.Image("api")
			return cliCase{[]string{"build", "register", "--service", "api", "--commit", sha, "--image", ref.String()}, apitest.Alice, apitest.Victor, "build api-"}
		},
		"build list": func() cliCase { return cliCase{[]string{"build", "list"}, apitest.Victor, "ci", "SERVICE"} },
		"release": func() cliCase {
			w.Commit(apitest.Alice, "fix: a fix", "fix.txt", "x")
			ref, sha := w.Image("web")
			b, _, err := w.Engine.RegisterBuild(sys, "web", sha, ref.String())
			if err != nil {
				t.Fatal(err)
			}
			return cliCase{[]string{"release", "--service", "web", "--build", b.ID}, apitest.Alice, apitest.Victor, "web web/v"}
		},
		"rollback": func() cliCase {
			w.Released("web")
			return cliCase{[]string{"rollback", "--service", "web", "--env", "dev", "--reason", "errors"}, apitest.Oscar, apitest.Victor, "digest held"}
		},
		"hold release": func() cliCase {
			b := w.Released("api")
			if _, err := w.Engine.Rollback(sys, "api", "dev", "slipway", "held"); err != nil {
				t.Fatal(err)
			}
			return cliCase{[]string{"hold", "release", "--service", "api", "--digest", b.Digest}, apitest.Oscar, apitest.Victor, "released"}
		},
		"hold list": func() cliCase { return cliCase{[]string{"hold", "list", "--all"}, apitest.Victor, "ci", "DIGEST"} },
		"canary promote": func() cliCase {
			return cliCase{[]string{"canary", "promote", "--promotion", w.Paused("api").ID, "--reason", "fine"}, apitest.Oscar, apitest.Victor, ": succeeded ("}
		},
		"canary abort": func() cliCase {
			return cliCase{[]string{"canary", "abort", "--promotion", w.Paused("web").ID, "--reason", "latency"}, apitest.Oscar, apitest.Victor, ": aborted ("}
		},
		"override": func() cliCase {
			return cliCase{[]string{"override", "--promotion", w.Waiting("api").ID, "--reason", "INC-3: checkout is down and this fixes it"}, apitest.Oscar, apitest.Victor, "promotion p-"}
		},
		"stop on": func() cliCase {
			return cliCase{[]string{"stop", "on", "--env", "prod", "--reason", "incident"}, apitest.Oscar, apitest.Victor, ""}
		},
		"stop lift": func() cliCase {
			if err := w.Engine.StopLine(sys, "dev", "slipway", "test"); err != nil {
				t.Fatal(err)
			}
			return cliCase{[]string{"stop", "lift", "--env", "dev"}, apitest.Oscar, apitest.Victor, ""}
		},
		"stop list": func() cliCase { return cliCase{[]string{"stop", "list"}, apitest.Victor, "ci", "ENV"} },
		"pr merge": func() cliCase {
			return cliCase{[]string{"pr", "merge", strconv.Itoa(w.ReviewOpen("web").PR)}, apitest.Alice, apitest.Victor, ""}
		},
		"audit list":   func() cliCase { return cliCase{[]string{"audit", "list"}, apitest.Victor, "ci", "SEQ"} },
		"audit verify": func() cliCase { return cliCase{[]string{"audit", "verify"}, apitest.Victor, "ci", "audit chain ok"} },
		"token list":   func() cliCase { return cliCase{[]string{"token", "list"}, apitest.Victor, "", "ID"} },
		"token create": func() cliCase {
			return cliCase{[]string{"token", "create", "--name", "laptop"}, apitest.Victor, "ci", "slw_"}
		},
		"whoami": func() cliCase {
			return cliCase{[]string{"whoami"}, apitest.Victor, "", "victor@example.com (user, authenticated by token)"}
		},
	}
	for path := range remotes {
		if cases[path] == nil {
			t.Errorf("client-mode command %q has no case", path)
		}
	}
	for name, prepare := range cases {
		c := prepare()
		args := append(append([]string{}, base...), c.args...)
		out, err := clientCLI(t, "", args...)
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "slipway login") {
			t.Errorf("%s without a token: %v %s", name, err, out)
		}
		if c.wrong != "" {
			out, err = clientCLI(t, tok(c.wrong), args...)
			if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "may not") {
				t.Errorf("%s as %s: %v %s", name, c.wrong, err, out)
			}
		}
		out, err = clientCLI(t, tok(c.right), args...)
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("%s as %s: %v\n%s", name, c.right, err, out)
		}
		stops, _ := w.Engine.Store.Gates.Stops(sys)
		for _, st := range stops { // the next case starts with the line running
			w.Engine.LiftStop(sys, st.Env, "slipway")
		}
	}
	if _, err := os.Stat(nowhere); err == nil {
		t.Error("client mode created the state directory: it opened the store")
	}
}

// Commands without a client mode refuse rather than open a store.
func TestClientModeRefusesStoreCommands(t *testing.T) {
	_, err := clientCLI(t, "", "--server", "https://slipway.example.com", "--state", t.TempDir(), "reconcile")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "not available with --server") {
		t.Fatalf("reconcile with --server: %v", err)
	}
	_, err = clientCLI(t, "", "--server", "https://slipway.example.com", "user", "list")
	if err == nil || !strings.Contains(err.Error(), "not available with --server") {
		t.Fatalf("user list with --server: %v", err)
	}
}

// slipway login exchanges a password for a token and saves it (0600);
// later commands use it; logout revokes it.
func TestLoginSavesAToken(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	creds := filepath.Join(t.TempDir(), "credentials.json")
	t.Setenv("SLIPWAY_CREDENTIALS", creds)
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(apitest.Password + "\n"))
	root.SetArgs([]string{"--server", w.Server.URL, "login", "--username", apitest.Bob, "--password-stdin"})
	t.Setenv("SLIPWAY_TOKEN", "")
	if err := root.Execute(); err != nil {
		t.Fatalf("login: %v %s", err, out.String())
	}
	fi, err := os.Stat(creds)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file %v %v", fi, err)
	}
	if out, err := clientCLI(t, "", "--server", w.Server.URL, "whoami"); err != nil || !strings.Contains(out, apitest.Bob) {
		t.Fatalf("whoami after login: %v %s", err, out)
	}
	if out, err := clientCLI(t, "", "--server", w.Server.URL, "logout"); err != nil || !strings.Contains(out, "logged out") {
		t.Fatalf("logout: %v %s", err, out)
	}
	if _, err := clientCLI(t, "", "--server", w.Server.URL, "whoami"); err == nil {
		t.Fatal("whoami after logout")
	}
	ts, _ := w.Engine.Store.Tokens.Tokens(context.Background(), apitest.Bob)
	if len(ts) != 1 || ts[0].Revoked == nil {
		t.Fatalf("logout revokes the token on the server: %+v", ts)
	}
}

// Local mode: the operator bootstraps users and tokens on the store, and
// its approvals into the last environment are refused.
func TestLocalModeTokensUsersAndApprovals(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	p := w.Waiting("api")
	local := []string{"--config", filepath.Join(w.Dir, "slipway.yaml"), "--state", filepath.Join(w.Dir, ".slipway")}
	w.Engine.Close() // the CLI opens the store itself
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetIn(strings.NewReader("a long enough password\n"))
	root.SetArgs(append(local, "user", "add", "dana@example.com", "--password-stdin"))
	if err := root.Execute(); err != nil {
		t.Fatal(err, out.String())
	}
	out2, err := clientCLI(t, "", append(local, "token", "create", "--name", "api ci", "--ci", "--service", "api", "--ttl", "0")...)
	if err != nil || !strings.Contains(out2, "slw_") || !strings.Contains(out2, "not shown again") {
		t.Fatalf("token create: %v %s", err, out2)
	}
	t.Setenv("SLIPWAY_USER", apitest.Bob)
	out3, err := clientCLI(t, "", append(local, "approve", "--promotion", p.ID)...)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "prod requires authenticated approvals") || !strings.Contains(err.Error(), "slipway login --server") {
		t.Fatalf("a local approval of prod: %v %s", err, out3)
	}
}
