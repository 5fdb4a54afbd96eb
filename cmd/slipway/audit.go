package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/tlog"
)

func init() {
	register("audit", func(g *globals) *cobra.Command {
		var checkpoint, key string
		c := &cobra.Command{
			Use:   "verify [--checkpoint FILE] [--key KEY]",
			Short: "Check the audit offline: the hash chain, and every transparency-log leaf against its signed tree, a saved checkpoint, Git and the store",
			Long: `Check the audit offline. Both must pass:

  the hash chain of the audit entries in the store;
  the transparency log: its signed checkpoint, every leaf's inclusion, its
  tiles, its consistency with a checkpoint saved earlier (--checkpoint), and
  each leaf against Git (the pin commit is on a branch of the GitOps remote
  and sets the digest, or reverts it for an abort or rollback; a merge
  brought in the reviewed pull-request head) and the store (its promotion and its audit
  entry); and every audit entry must have its leaf.

It exits 1 naming the first bad leaf or entry and why. Without --key the
log's own log.pub is trusted, which proves only that the log is
self-consistent: pin the key ` + "`slipway audit key`" + ` printed when the log was trusted.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				opts, err := verifyOptions(checkpoint, key)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				roomToVerify()
				var failed error // a verification that fails is exit 1, whatever its cause
				err = withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					rep, err := e.VerifyLog(ctx, opts)
					if err != nil {
						failed = err
						return nil
					}
					printLogReport(cmd.OutOrStdout(), rep, checkpoint)
					return nil
				})
				if failed != nil {
					return &exitError{code: 1, err: failed}
				}
				return err
			},
		}
		c.Flags().StringVar(&checkpoint, "checkpoint", "", "a checkpoint saved earlier with `slipway audit checkpoint > FILE`: the log must extend it")
		c.Flags().StringVar(&key, "key", "", "the log's verifier key, as `slipway audit key` printed it (or a file holding it)")
		return c
	})
	register("audit", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "checkpoint",
			Short: "Print the transparency log's signed checkpoint (save it: `slipway audit checkpoint > FILE`)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				cp, err := tlog.ReadCheckpoint(app.TlogDir(g.stateDir))
				if errors.Is(err, fs.ErrNotExist) || errors.Is(err, tlog.ErrNoLog) {
					return &exitError{code: 1, err: fmt.Errorf("no transparency log in %s yet: the first prod change creates it (or `slipway audit key`)", app.TlogDir(g.stateDir))}
				}
				if err != nil {
					return &exitError{code: 1, err: err}
				}
				_, err = cmd.OutOrStdout().Write(cp)
				return err
			},
		}
	})
	register("audit", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "key",
			Short: "Print the transparency log's verifier key (creating the log on first use); keep it outside this machine",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				k, err := app.LogKey(g.stateDir)
				if err != nil {
					return &exitError{code: 1, err: err}
				}
				fmt.Fprintln(cmd.OutOrStdout(), k)
				return nil
			},
		}
	})
	register("audit", func(g *globals) *cobra.Command {
		var service, release, output string
		c := &cobra.Command{
			Use:   "show --service S --release V",
			Short: "Print the chain of one release: build, signature, SBOM, approvals, pin commit, pull request, analysis, log leaf",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					ch, err := e.ReleaseChain(ctx, service, release)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), ch)
					}
					fmt.Fprint(cmd.OutOrStdout(), ch.Text())
					return nil
				})
			},
		}
		c.Flags().StringVar(&service, "service", "", "service name")
		c.Flags().StringVar(&release, "release", "", "release tag (v1.2.3) or version")
		c.MarkFlagRequired("service")
		c.MarkFlagRequired("release")
		outputFlag(c, &output)
		return c
	})
	register("audit", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "sync",
			Short: "Append the transparency-log leaf of every audit entry that lacks one (an append cut short by a crash)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					n, err := e.SyncAuditLog(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%d leaves appended\n", n)
					return nil
				})
			},
		}
	})
	register("audit", func(g *globals) *cobra.Command {
		var output string
		c := &cobra.Command{
			Use:   "list",
			Short: "Print the audit log",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withEngine(cmd, g, func(ctx context.Context, e *engine.Engine) error {
					es, err := e.Store.Audit.AuditEntries(ctx)
					if err != nil {
						return err
					}
					if output == "json" {
						return printJSON(cmd.OutOrStdout(), es)
					}
					return printAudit(cmd.OutOrStdout(), es)
				})
			},
		}
		outputFlag(c, &output)
		return c
	})
}

// roomToVerify lifts the CLI's 64 MiB soft memory limit (tuneGC) for a
// verification, which holds the whole log, the store's audit and the pin
// files at once (~600 MB live for 100k leaves): under the limit it would
// collect garbage without end. It keeps GOGC at 400 (5–12% less CPU than
// 100 over 100k leaves, bench/auditverify) under a soft limit of
// 4 GiB, past which the collector works harder instead of the heap
// growing. GOMEMLIMIT and GOGC in the environment still win.
func roomToVerify() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(4 << 30)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// verifyOptions reads --checkpoint and --key (the key text, or a file).
func verifyOptions(checkpoint, key string) (engine.VerifyLogOptions, error) {
	var o engine.VerifyLogOptions
	if checkpoint != "" {
		b, err := os.ReadFile(checkpoint)
		if err != nil {
			return o, fmt.Errorf("--checkpoint: %w (save one with `slipway audit checkpoint > FILE`)", err)
		}
		o.Checkpoint, o.CheckpointName = b, checkpoint
	}
	if st, err := os.Stat(key); key != "" && err == nil && st.Mode().IsRegular() {
		b, err := os.ReadFile(key)
		if err != nil {
			return o, fmt.Errorf("--key: %w", err)
		}
		key = string(b)
	}
	o.PublicKey = strings.TrimSpace(key)
	return o, nil
}

func printLogReport(out io.Writer, rep *engine.LogReport, checkpoint string) {
	fmt.Fprintf(out, "audit chain ok: %d entries\n", rep.ChainEntries)
	if rep.Size == 0 && rep.Origin == "" {
		fmt.Fprintln(out, "transparency log: nothing recorded yet")
		return
	}
	fmt.Fprintf(out, "transparency log ok: %d leaves included in the tree the checkpoint signs (root %x)\n", rep.Size, rep.Root)
	if rep.Pinned {
		fmt.Fprintf(out, "  signed by the pinned key %s\n", rep.PublicKey)
	} else {
		fmt.Fprintf(out, "  signed by %s, read from the log's directory: pin it with --key to detect a replaced key\n", rep.PublicKey)
	}
	if checkpoint != "" {
		fmt.Fprintf(out, "  consistent with %s (%d leaves): nothing recorded then was changed or deleted\n", checkpoint, rep.SavedSize)
	} else {
		fmt.Fprintln(out, "  no saved checkpoint given (--checkpoint): a log and a store truncated together, the log re-signed with its key, would pass")
	}
	fmt.Fprintf(out, "  Git: %d pin commits on the GitOps remote set or revert their digests\n", rep.PinCommits)
	if rep.FetchError != nil {
		fmt.Fprintf(out, "  (the remote was unreachable: checked against the clone as last fetched: %v)\n", rep.FetchError)
	}
	fmt.Fprintf(out, "  store: %d audit entries match their leaves\n", rep.Entries)
}
