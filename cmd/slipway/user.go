package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slipway/slipway/auth"
)

// readPassword reads a password from stdin (--password-stdin: the first
// line) or, on a terminal, from a prompt that does not echo.
func readPassword(cmd *cobra.Command, fromStdin bool, prompt string) (string, error) {
	in := cmd.InOrStdin()
	if fromStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", &exitError{code: 2, err: errors.New("no terminal to ask the password on: pass --password-stdin and send it on standard input")}
	}
	fmt.Fprint(cmd.ErrOrStderr(), prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	return string(b), err
}

func init() {
	parentShort["user"] = "Local users of the server (password login); roles are granted in slipway.yaml (auth.roles)"
	register("user", func(g *globals) *cobra.Command {
		var stdin bool
		c := &cobra.Command{
			Use:   "add NAME [--password-stdin]",
			Short: "Create a local user with a password (stored as an argon2id hash)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				pw, err := readPassword(cmd, stdin, "password for "+args[0]+": ")
				if err != nil {
					return err
				}
				return withAuth(cmd, g, func(ctx context.Context, s *auth.Service) error {
					u, err := s.AddUser(ctx, args[0], pw)
					if err == nil {
						fmt.Fprintf(cmd.OutOrStdout(), "user %s created; grant roles under auth.roles in slipway.yaml\n", u.Name)
					}
					return err
				})
			},
		}
		c.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
		return c
	})
	register("user", func(g *globals) *cobra.Command {
		var stdin bool
		c := &cobra.Command{
			Use:   "passwd NAME [--password-stdin]",
			Short: "Change a user's password (their sessions end)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				pw, err := readPassword(cmd, stdin, "new password for "+args[0]+": ")
				if err != nil {
					return err
				}
				return withAuth(cmd, g, func(ctx context.Context, s *auth.Service) error {
					err := s.SetPassword(ctx, args[0], pw)
					if err == nil {
						fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed; their sessions ended\n", args[0])
					}
					return err
				})
			},
		}
		c.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
		return c
	})
	for _, disable := range []bool{true, false} {
		register("user", func(g *globals) *cobra.Command {
			use, short, done := "disable NAME", "Disable a user: no login, sessions end, personal tokens stop working", "disabled"
			if !disable {
				use, short, done = "enable NAME", "Enable a disabled user", "enabled"
			}
			return &cobra.Command{
				Use:   use,
				Short: short,
				Args:  cobra.ExactArgs(1),
				RunE: func(cmd *cobra.Command, args []string) error {
					return withAuth(cmd, g, func(ctx context.Context, s *auth.Service) error {
						err := s.SetDisabled(ctx, args[0], disable)
						if err == nil {
							fmt.Fprintf(cmd.OutOrStdout(), "user %s %s\n", args[0], done)
						}
						return err
					})
				},
			}
		})
	}
	register("user", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "list",
			Short: "List local users",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withAuth(cmd, g, func(ctx context.Context, s *auth.Service) error {
					us, err := s.Store.Users.Users(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "NAME\tDISABLED\tCREATED\tUPDATED")
					for _, u := range us {
						fmt.Fprintf(w, "%s\t%v\t%s\t%s\n", u.Name, u.Disabled, u.Created.Format(time.RFC3339), u.Updated.Format(time.RFC3339))
					}
					return w.Flush()
				})
			},
		}
	})
}
