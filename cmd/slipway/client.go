package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
)

// Client mode: with --server URL (or SLIPWAY_SERVER) the CLI talks to
// `slipway serve`'s REST API with a token (SLIPWAY_TOKEN, or the one
// `slipway login` saved) and never opens the store. The server
// authenticates the token and records who acted; the answers and exit
// statuses are the local commands'.

// client calls one server's API.
type client struct {
	base  string
	token string
	http  *http.Client
}

// newClient resolves the server and its token.
func newClient(g *globals) (*client, error) {
	base := strings.TrimRight(g.server, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &exitError{code: 2, err: fmt.Errorf("--server %q: give the server's URL, e.g. https://slipway.example.com", g.server)}
	}
	tok := strings.TrimSpace(os.Getenv("SLIPWAY_TOKEN"))
	if tok == "" {
		creds, _ := loadCredentials()
		tok = creds.Servers[base].Token
	}
	return &client{base: base, token: tok, http: &http.Client{Timeout: 10 * time.Minute}}, nil
}

// do sends a request and decodes a JSON answer into out (nil: ignored).
// Error answers become *slipway.Error with the server's code, so exit
// statuses are the local commands'.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return slipway.Errorf(slipway.EINTERNAL, "server %s: %v", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return slipway.Errorf(slipway.EINTERNAL, "server %s: %v", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		var e api.ErrorBody
		if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
			return slipway.Errorf(slipway.EINTERNAL, "server %s answered %s: %.200s", c.base, resp.Status, data)
		}
		msg := e.Error.Message
		if e.Error.Code == api.CodeUnauthenticated {
			msg += fmt.Sprintf(" (log in with `slipway login --server %s`, or set SLIPWAY_TOKEN)", c.base)
		}
		return &slipway.Error{Code: e.Error.Code, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return slipway.Errorf(slipway.EINTERNAL, "server %s: unexpected answer to %s %s: %v", c.base, method, path, err)
	}
	return nil
}

// remote is a command's client-mode body.
type remote func(cmd *cobra.Command, args []string, c *client) error

// remotes are the commands that work with --server, by command path.
var remotes = map[string]remote{}

func registerRemote(path string, r remote) { remotes[path] = r }

// installClientMode makes every command with a remote body use it when a
// server is set. The others that open the store refuse (withEngine).
func installClientMode(root *cobra.Command, g *globals) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if r, ok := remotes[path]; ok && c.RunE != nil {
			local := c.RunE
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if g.server == "" {
					return local(cmd, args)
				}
				cl, err := newClient(g)
				if err != nil {
					return err
				}
				return userError(r(cmd, args, cl))
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// errNoRemote refuses a store command in client mode.
func errNoRemote(cmd *cobra.Command) error {
	return &exitError{code: 2, err: fmt.Errorf("`%s` is not available with --server yet: run it where the store is (without --server and SLIPWAY_SERVER)", cmd.CommandPath())}
}

// credentials is the file `slipway login` writes: a token per server.
type credentials struct {
	Servers map[string]savedLogin `json:"servers"`
}

type savedLogin struct {
	User    string `json:"user"`
	Token   string `json:"token"`
	TokenID string `json:"tokenId"`
}

// credentialsPath is $SLIPWAY_CREDENTIALS, else slipway/credentials.json
// under the user's configuration directory.
func credentialsPath() (string, error) {
	if p := os.Getenv("SLIPWAY_CREDENTIALS"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory for the credentials file: set SLIPWAY_CREDENTIALS or SLIPWAY_TOKEN: %w", err)
	}
	return filepath.Join(dir, "slipway", "credentials.json"), nil
}

func loadCredentials() (credentials, error) {
	c := credentials{Servers: map[string]savedLogin{}}
	p, err := credentialsPath()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w (delete it and log in again)", p, err)
	}
	if c.Servers == nil {
		c.Servers = map[string]savedLogin{}
	}
	return c, nil
}

// saveCredentials writes the file readable by its owner only.
func saveCredentials(c credentials) error {
	p, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// localActor marks what the CLI does on the store directly: the local
// operator, named by SLIPWAY_USER or git (nothing proves it; environments
// that require authenticated approvals refuse its approvals).
func localActor(ctx context.Context) context.Context {
	return slipway.WithActor(ctx, &slipway.Actor{Name: currentUser(), Kind: slipway.ActorLocal, Via: "local"})
}
