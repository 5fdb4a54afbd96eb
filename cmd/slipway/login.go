package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/auth"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var username string
		var passwordStdin, tokenStdin bool
		c := &cobra.Command{
			Use:   "login --server URL [--username NAME] [--password-stdin | --token-stdin]",
			Short: "Log in to a Slipway server: saves a personal API token for later commands (credentials file, mode 0600)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if g.server == "" {
					return &exitError{code: 2, err: errors.New("which server? pass --server URL (or set SLIPWAY_SERVER)")}
				}
				c, err := newClient(g)
				if err != nil {
					return err
				}
				var saved savedLogin
				if tokenStdin {
					tok, err := readPassword(cmd, true, "")
					if err != nil {
						return err
					}
					if _, err := auth.ParseToken(tok); err != nil {
						return userError(err)
					}
					c.token = strings.TrimSpace(tok)
					var me api.Me
					if err := c.do(cmd.Context(), "GET", "/api/v1/me", nil, &me); err != nil {
						return userError(err)
					}
					saved = savedLogin{User: me.Name, Token: c.token}
				} else {
					if username == "" {
						return &exitError{code: 2, err: errors.New("pass --username (or --token-stdin with a token from `slipway token create`)")}
					}
					pw, err := readPassword(cmd, passwordStdin, "password for "+username+": ")
					if err != nil {
						return err
					}
					host, _ := os.Hostname()
					var nt api.NewToken
					if err := c.do(cmd.Context(), "POST", "/auth/token", api.CLITokenRequest{Username: username, Password: pw, Name: "slipway login on " + host}, &nt); err != nil {
						return userError(err)
					}
					saved = savedLogin{User: nt.Token.Owner, Token: nt.Secret, TokenID: nt.Token.ID}
				}
				creds, err := loadCredentials()
				if err != nil {
					return err
				}
				creds.Servers[c.base] = saved
				if err := saveCredentials(creds); err != nil {
					return err
				}
				p, _ := credentialsPath()
				fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s as %s (token saved in %s)\n", c.base, saved.User, p)
				return nil
			},
		}
		c.Flags().StringVar(&username, "username", "", "your user name on the server")
		c.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
		c.Flags().BoolVar(&tokenStdin, "token-stdin", false, "save an existing API token read from standard input instead")
		c.MarkFlagsMutuallyExclusive("password-stdin", "token-stdin")
		return c
	})
	register("", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "logout --server URL",
			Short: "Revoke the token `slipway login` saved for a server and forget it",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := newClient(g)
				if err != nil {
					return err
				}
				creds, err := loadCredentials()
				if err != nil {
					return err
				}
				saved, ok := creds.Servers[c.base]
				if !ok {
					fmt.Fprintf(cmd.OutOrStdout(), "not logged in to %s\n", c.base)
					return nil
				}
				c.token = saved.Token
				if saved.TokenID != "" {
					if err := c.do(cmd.Context(), "DELETE", "/api/v1/tokens/"+saved.TokenID, nil, nil); err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "warning: the token could not be revoked on the server (%v); forgetting it here anyway\n", err)
					}
				}
				delete(creds.Servers, c.base)
				if err := saveCredentials(creds); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "logged out of %s\n", c.base)
				return nil
			},
		}
	})
	register("", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "whoami",
			Short: "Who Slipway takes you for, and what you may do",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				out := cmd.OutOrStdout()
				if g.server == "" {
					fmt.Fprintf(out, "%s (local mode: named by SLIPWAY_USER or git, not authenticated; environments requiring authenticated approvals refuse approvals from here)\n", currentUser())
					return nil
				}
				c, err := newClient(g)
				if err != nil {
					return err
				}
				var me api.Me
				if err := c.do(cmd.Context(), "GET", "/api/v1/me", nil, &me); err != nil {
					return userError(err)
				}
				fmt.Fprintf(out, "%s (%s, authenticated by %s) on %s\n", me.Name, me.Kind, me.Via, c.base)
				for _, p := range me.Permissions {
					fmt.Fprintf(out, "  %s\n", p)
				}
				return nil
			},
		}
	})
}
