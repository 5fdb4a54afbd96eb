package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
)

// withAuth runs fn with the authentication service over the store (local
// mode: the operator bootstraps users and tokens where the store is).
func withAuth(cmd *cobra.Command, g *globals, fn func(ctx context.Context, s *auth.Service) error) error {
	if g.server != "" {
		return errNoRemote(cmd)
	}
	cfg, err := config.Load(g.configPath)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	st, err := app.OpenStore(cmd.Context(), g.store, g.stateDir)
	if err != nil {
		return userError(err)
	}
	defer st.Close()
	return userError(fn(localActor(cmd.Context()), &auth.Service{Store: st, Policy: cfg.AccessPolicy(), TTL: cfg.Auth.TTL()}))
}

func init() {
	parentShort["token"] = "API tokens: create (shown once), list, revoke"
	register("token", func(g *globals) *cobra.Command {
		var r api.TokenRequest
		var ci bool
		var ttl time.Duration
		c := &cobra.Command{
			Use:   "create --name NAME [--ci --service S] [--owner USER] [--ttl 2160h]",
			Short: "Create an API token and print its secret (shown once; Slipway keeps only its hash)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if ci {
					r.Kind = slipway.TokenCI
				}
				r.TTL = ttl.String()
				if ttl == 0 {
					r.TTL = "0"
				}
				var nt api.NewToken
				err := tokenCall(cmd, g, func(c *client) error { return c.do(cmd.Context(), "POST", "/api/v1/tokens", r, &nt) },
					func(ctx context.Context, s *auth.Service) error {
						secret, t, err := s.CreateToken(ctx, auth.TokenRequest{Name: r.Name, Kind: r.Kind, Owner: r.Owner, Service: r.Service, TTL: ttl})
						if err == nil {
							nt = api.NewToken{Token: api.Token{ID: t.ID, Name: t.Name, Kind: t.Kind, Owner: t.Owner, Service: t.Service, Expires: t.Expires}, Secret: secret}
						}
						return err
					})
				if err != nil {
					return err
				}
				printNewToken(cmd.OutOrStdout(), nt)
				return nil
			},
		}
		c.Flags().StringVar(&r.Name, "name", "", "what the token is for (e.g. laptop, api CI)")
		c.Flags().BoolVar(&ci, "ci", false, "a CI token: registers builds and reports verifications of --service only")
		c.Flags().StringVar(&r.Service, "service", "", "the CI token's service")
		c.Flags().StringVar(&r.Owner, "owner", "", "whose personal token (default: you; others need the admin role)")
		c.Flags().DurationVar(&ttl, "ttl", 90*24*time.Hour, "lifetime; 0 for a token that never expires")
		c.MarkFlagRequired("name")
		return c
	})
	register("token", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "list",
			Short: "List API tokens (yours; everyone's with the admin role or in local mode)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				var ts []api.Token
				err := tokenCall(cmd, g, func(c *client) error { return c.do(cmd.Context(), "GET", "/api/v1/tokens", nil, &ts) },
					func(ctx context.Context, s *auth.Service) error {
						all, err := s.Tokens(ctx)
						for _, t := range all {
							ts = append(ts, api.Token{ID: t.ID, Name: t.Name, Kind: t.Kind, Owner: t.Owner, Service: t.Service, Created: t.Created, Expires: t.Expires, LastUsed: t.LastUsed, Revoked: t.Revoked})
						}
						return err
					})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tKIND\tOWNER/SERVICE\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
				for _, t := range ts {
					who := t.Owner
					if t.Kind == slipway.TokenCI {
						who = t.Service
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Kind, who, t.Created.Format(time.RFC3339), when(t.Expires, "never"), when(t.LastUsed, "-"), when(t.Revoked, "-"))
				}
				return w.Flush()
			},
		}
	})
	register("token", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "revoke ID",
			Short: "Revoke an API token (yours; anyone's with the admin role or in local mode)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				err := tokenCall(cmd, g, func(c *client) error {
					return c.do(cmd.Context(), "DELETE", "/api/v1/tokens/"+url.PathEscape(args[0]), nil, nil)
				},
					func(ctx context.Context, s *auth.Service) error { return s.RevokeToken(ctx, args[0]) })
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
				}
				return err
			},
		}
	})
}

// tokenCall runs remote with a server, local on the store otherwise.
func tokenCall(cmd *cobra.Command, g *globals, remote func(*client) error, local func(context.Context, *auth.Service) error) error {
	if g.server == "" {
		return withAuth(cmd, g, local)
	}
	c, err := newClient(g)
	if err != nil {
		return err
	}
	return userError(remote(c))
}

func printNewToken(out io.Writer, nt api.NewToken) {
	fmt.Fprintf(out, "%s\n\ntoken %s (%s): copy it now, it is not shown again", nt.Secret, nt.Token.ID, nt.Token.Name)
	if nt.Token.Expires != nil {
		fmt.Fprintf(out, "; it expires %s", nt.Token.Expires.Format(time.RFC3339))
	}
	fmt.Fprintln(out)
}

func when(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.RFC3339)
}
