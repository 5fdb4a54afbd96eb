package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/trust"
)

func init() {
	parentShort["platform"] = "Platform releases (signed manifests of component digests) and their rollout in waves"
	register("platform", func(g *globals) *cobra.Command {
		var r engine.PlatformReleaseRequest
		var keyPath, output string
		c := &cobra.Command{
			Use:   "release [--version X] [--from ENV] [--key FILE] [--output json]",
			Short: "Release the platform: a signed manifest of what is stable in the last environment, committed and tagged in the GitOps repository",
			Long: `Write the platform manifest of every service's release that is stable in the
last environment (or --from ENV): version, image and digest. Its version
follows the components (any major → major; a component removed → major; any
minor or a component added → minor; else patch); nothing changed → no
release (exit 0). The manifest is committed to the GitOps repository as
platform/vX.Y.Z.yaml and .json with cosign signatures (.sig) by platform.key
(or --key), tagged platform-vX.Y.Z and recorded in the audit log.
See docs/platform.md.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				r.Requester = currentUser()
				return withPlatformEngine(cmd, g, output, func(ctx context.Context, e *engine.Engine) error {
					sign, err := platformSigner(e, keyPath)
					if err != nil {
						return err
					}
					r.Sign = sign
					rel, err := e.ReleasePlatform(ctx, r)
					if err != nil {
						return err
					}
					out := cmd.OutOrStdout()
					if output == "json" {
						return printJSON(out, rel)
					}
					for _, n := range rel.Notes {
						fmt.Fprintln(out, "note: "+n)
					}
					if rel.Version == "" {
						fmt.Fprintf(out, "no platform release: no component changed since %s\n", rel.Previous)
						return nil
					}
					verb := "released"
					if rel.Resumed {
						verb = "finished the release of"
					}
					fmt.Fprintf(out, "%s platform %s %s (%s", verb, rel.Manifest.Name, rel.Version, rel.Bump)
					if rel.Previous != "" {
						fmt.Fprintf(out, " from %s", rel.Previous)
					}
					fmt.Fprintf(out, "): %d components, commit %.12s, tag %s\n", len(rel.Manifest.Components), rel.Commit, rel.Tag)
					for _, f := range rel.Files {
						fmt.Fprintln(out, "  "+f)
					}
					return nil
				})
			},
		}
		c.Flags().StringVar(&r.Version, "version", "", "platform version (default: computed from the components)")
		c.Flags().StringVar(&r.From, "from", "", "environment whose stable releases make the platform (default: the last)")
		c.Flags().StringVar(&keyPath, "key", "", "PEM private key signing the manifest (default: platform.key)")
		outputFlag(c, &output)
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var output string
		c := &cobra.Command{
			Use:   "list [--output json]",
			Short: "List the released platform versions (signatures checked)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withPlatformEngine(cmd, g, output, func(ctx context.Context, e *engine.Engine) error {
					ms, err := e.PlatformVersions(ctx)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), ms)
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "VERSION\tCOMPONENTS\tCREATED\tCOMMIT\tKEY")
					for _, m := range ms {
						fmt.Fprintf(w, "%s\t%d\t%s\t%.12s\t%.12s\n", m.Manifest.Version, len(m.Manifest.Components), m.Manifest.Created.Format("2006-01-02T15:04:05Z"), m.Commit, m.KeyID)
					}
					return w.Flush()
				})
			},
		}
		outputFlag(c, &output)
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var output string
		c := &cobra.Command{
			Use:   "show vX.Y.Z [--output yaml|json]",
			Short: "Print a released platform manifest after checking its signatures",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withPlatformEngine(cmd, g, output, func(ctx context.Context, e *engine.Engine) error {
					m, err := e.PlatformManifest(ctx, args[0])
					if err != nil {
						return err
					}
					out := cmd.OutOrStdout()
					switch output {
					case "json":
						b, err := m.Manifest.JSON()
						if err != nil {
							return err
						}
						_, err = out.Write(b)
						return err
					case "yaml":
						b, err := m.Manifest.YAML()
						if err != nil {
							return err
						}
						_, err = out.Write(b)
						return err
					}
					fmt.Fprintf(out, "platform %s %s (%s), %s, commit %.12s, signed by key %.12s\n", m.Manifest.Name, m.Manifest.Version, m.Manifest.Created.Format("2006-01-02T15:04:05Z"), m.YAMLPath, m.Commit, m.KeyID)
					w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "COMPONENT\tVERSION\tTAG\tIMAGE@DIGEST")
					for _, c := range m.Manifest.Components {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Name, c.Version, c.Tag, c.Ref())
					}
					return w.Flush()
				})
			},
		}
		c.Flags().StringVarP(&output, "output", "o", "text", "output format: text, yaml or json")
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var output string
		c := &cobra.Command{
			Use:   "diff vA vB [--output json]",
			Short: "Components added, removed and bumped between two platform versions, with their changelog sections",
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withPlatformEngine(cmd, g, output, func(ctx context.Context, e *engine.Engine) error {
					d, err := e.DiffPlatform(ctx, args[0], args[1])
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), d)
					}
					fmt.Fprint(cmd.OutOrStdout(), d.Text())
					return nil
				})
			},
		}
		outputFlag(c, &output)
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var r engine.PlatformPromoteRequest
		c := &cobra.Command{
			Use:   "promote --version X --to ENV",
			Short: "Promote every component of a platform version into ENV, in the waves of platform.rollout.steps",
			Long: `Move every component of a released platform version into ENV in waves, as
Argo CD ApplicationSet's RollingSync moves applications: platform.rollout.steps
select services by their labels (matchExpressions); a wave starts when every
service of the waves before it succeeded (gates, canary, soak); maxUpdate caps
how many of a wave's services are promoted at once (0: the wave waits for a
person). A failing wave stops the rollout and rolls its services back.
Without ` + "`slipway serve`" + ` this command drives the rollout as far as it can go; run
` + "`slipway platform resume`" + ` to continue it after gates opened.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				r.Requester = currentUser()
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					ro, err := e.PromotePlatform(ctx, r)
					if err != nil {
						return err
					}
					return printRollout(ctx, cmd.OutOrStdout(), e, ro.ID, "", "text")
				})
			},
		}
		c.Flags().StringVar(&r.Version, "version", "", "platform version (vX.Y.Z)")
		c.Flags().StringVar(&r.Env, "to", "", "target environment")
		c.MarkFlagRequired("version")
		c.MarkFlagRequired("to")
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var env, id, output string
		c := &cobra.Command{
			Use:   "status [--env ENV] [--rollout ID] [--output json]",
			Short: "Show a platform rollout's waves and what each waits on",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withPlatformEngine(cmd, g, output, func(ctx context.Context, e *engine.Engine) error {
					return printRollout(ctx, cmd.OutOrStdout(), e, id, env, output)
				})
			},
		}
		c.Flags().StringVar(&env, "env", "", "the newest rollout into this environment")
		c.Flags().StringVar(&id, "rollout", "", "rollout id (r-N)")
		outputFlag(c, &output)
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var env, reason string
		c := &cobra.Command{
			Use:   "pause [--env ENV] [--reason TEXT]",
			Short: "Start nothing new in the platform rollout (promotions under way finish)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					ro, err := e.PauseRollout(ctx, env, currentUser(), reason)
					if err != nil {
						return err
					}
					return printRollout(ctx, cmd.OutOrStdout(), e, ro.ID, "", "text")
				})
			},
		}
		c.Flags().StringVar(&env, "env", "", "environment of the rollout (needed when several run)")
		c.Flags().StringVar(&reason, "reason", "", "why (shown in status)")
		return c
	})
	register("platform", func(g *globals) *cobra.Command {
		var env string
		c := &cobra.Command{
			Use:   "resume [--env ENV]",
			Short: "Continue the platform rollout: after a pause, at a maxUpdate 0 wave, or once gates opened",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					ro, err := e.ResumeRollout(ctx, env, currentUser())
					if err != nil {
						return err
					}
					return printRollout(ctx, cmd.OutOrStdout(), e, ro.ID, "", "text")
				})
			},
		}
		c.Flags().StringVar(&env, "env", "", "environment of the rollout (needed when several run)")
		return c
	})
}

// withPlatformEngine is withEngine whose timeline goes to stderr when the
// output is JSON, so stdout holds one JSON document.
func withPlatformEngine(cmd *cobra.Command, g *globals, output string, fn func(ctx context.Context, e *engine.Engine) error) error {
	timeline := cmd.OutOrStdout()
	if output == "json" {
		timeline = cmd.ErrOrStderr()
	}
	ctx := cmd.Context()
	e, err := openEngine(ctx, g, timeline)
	if err != nil {
		return err
	}
	defer e.Close()
	return userError(fn(ctx, e))
}

// platformSigner signs manifests with --key or platform.key, the way
// bundles sign SHA256SUMS (bundle.SignSums: cosign's sign-blob format).
func platformSigner(e *engine.Engine, keyPath string) (engine.BlobSigner, error) {
	if keyPath == "" {
		keyPath = e.Cfg.Resolve(e.Cfg.Platform.Key)
	}
	if keyPath == "" {
		return nil, &exitError{code: 2, err: fmt.Errorf("no key signs platform manifests: set platform.key in %s or pass --key FILE (`slipway keys generate` makes one)", e.Cfg.Path())}
	}
	signer, err := trust.LoadPrivateKey(keyPath)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return func(blob []byte) ([]byte, string, error) {
		s, err := bundle.SignSums(signer, blob)
		return s.Sig, s.KeyID, err
	}, nil
}

// printRollout prints the status of rollout id (or of the newest into env).
func printRollout(ctx context.Context, out io.Writer, e *engine.Engine, id, env, output string) error {
	rep, err := e.RolloutStatus(ctx, id, env)
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSON(out, rep)
	}
	fmt.Fprint(out, rep.Text())
	return nil
}
