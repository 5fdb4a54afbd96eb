package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

func init() {
	parentShort["bundle"] = "Self-host bundles: build, publish and verify"
	register("", func(g *globals) *cobra.Command {
		var manifestPath, platformVersion, appDir, keyPath, outDir, push, previous string
		var imageKeys, requirePlatforms []string
		var insecure bool
		c := &cobra.Command{
			Use:   "bundle (--manifest FILE | --platform vX.Y.Z) --app DIR --key FILE --out DIR [--push oci://REGISTRY/REPOSITORY]",
			Short: "Build (and publish) the signed self-host bundle of a platform release",
			Long: `Build the self-host bundle of a platform release into --out: the Helm chart
and the Compose bundle filled from the app repository's skeletons
(deploy/chart/, deploy/compose/), the verified multi-arch image list, release
notes, an upgrade guide, migration notes, SHA256SUMS and its signature by
--key. See docs/bundle.md. --platform vX.Y.Z reads the manifest that
` + "`slipway platform release`" + ` committed to the GitOps repository, after checking
its signatures (docs/platform.md).

Component images must be signed (index and every platform image) by the
keys of their service in slipway.yaml, or by --image-key, or else by the
public half of --key.

With --push oci://REGISTRY/REPOSITORY the chart goes to
REGISTRY/REPOSITORY/<chart>:<version> (helm pull/install oci://…) and the
bundle to REGISTRY/REPOSITORY:v<version>, both signed with --key.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx := cmd.Context()
				out := cmd.OutOrStdout()
				m, err := bundleManifest(cmd, g, manifestPath, platformVersion)
				if err != nil {
					return err
				}
				signer, ownPolicy, cfg, reg, err := signingSetup(g, keyPath, insecure)
				if err != nil {
					return err
				}
				imagePolicy, err := imagePolicyFor(cfg, imageKeys, ownPolicy)
				if err != nil {
					return err
				}
				var target bundle.Target
				if push != "" {
					if target, err = bundle.ParseTarget(push); err != nil {
						return err
					}
				}
				opts := bundle.Options{
					Manifest: m, AppDir: appDir, OutDir: outDir, Signer: signer,
					ImagePolicy: imagePolicy, RequirePlatforms: requirePlatforms,
					PushTarget: push, Registry: reg,
					Log: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn})),
				}
				if previous != "" {
					prev, cleanup, err := openPrevious(ctx, previous, ownPolicy, reg)
					if err != nil {
						return err
					}
					defer cleanup()
					opts.Previous = prev
				}
				var prevManifest *platform.Manifest
				if opts.Previous != nil {
					prevManifest = opts.Previous.Manifest
				}
				commits, skipped, err := bundle.CollectCommits(ctx, appDir, m, prevManifest, servicePaths(cfg))
				if err != nil {
					return err
				}
				opts.Commits = commits
				for _, s := range skipped {
					fmt.Fprintln(cmd.ErrOrStderr(), "note: "+s)
				}
				res, err := bundle.Build(ctx, opts)
				if err != nil {
					return err
				}
				printResult(out, m, res)
				if push != "" {
					pushed, err := bundle.Push(ctx, res.Dir, target, bundle.PushOptions{Keys: ownPolicy, Signer: signer, Registry: reg})
					if err != nil {
						return err
					}
					printPushed(out, pushed)
				}
				fmt.Fprintf(out, "verify with     slipway bundle verify %s --key <public key of %s>\n", res.Dir, keyPath)
				return nil
			},
		}
		c.Flags().StringVar(&manifestPath, "manifest", "", "platform manifest (YAML or JSON)")
		c.Flags().StringVar(&platformVersion, "platform", "", "platform version released with `slipway platform release` (read from the GitOps repository)")
		c.Flags().StringVar(&appDir, "app", ".", "app repository holding deploy/chart, deploy/compose, deploy/upgrade-stops.yaml and migrations/")
		c.Flags().StringVar(&keyPath, "key", "", "PEM private key that signs SHA256SUMS (slipway keys generate)")
		c.Flags().StringVar(&outDir, "out", "", "bundle directory to create")
		c.Flags().StringVar(&push, "push", "", "publish to oci://REGISTRY/REPOSITORY")
		c.Flags().StringVar(&previous, "previous", "", "bundle of the version installations upgrade from (DIR or oci://REGISTRY/REPOSITORY:vX.Y.Z), for the upgrade guide")
		c.Flags().StringArrayVar(&imageKeys, "image-key", nil, "public key the component images must be signed with (repeatable; default: the services' keys in slipway.yaml)")
		c.Flags().StringArrayVar(&requirePlatforms, "require-platform", nil, "os/arch every component image must provide, besides the manifest's platforms (repeatable)")
		c.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to registries (loopback registries always are)")
		c.MarkFlagsMutuallyExclusive("manifest", "platform")
		c.MarkFlagsOneRequired("manifest", "platform")
		for _, f := range []string{"key", "out"} {
			_ = c.MarkFlagRequired(f)
		}
		return c
	})
	register("bundle", func(g *globals) *cobra.Command {
		var keyPath string
		var insecure bool
		c := &cobra.Command{
			Use:   "push DIR oci://REGISTRY/REPOSITORY --key FILE",
			Short: "Publish a bundle directory (again): the chart and the bundle artifact",
			Long: `Publish a bundle built earlier, e.g. after a failed --push. The bundle is
verified first with the public half of --key, which also signs the pushed
manifests. A tag that already holds the same content is left alone; one that
holds other content is refused.`,
			Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				signer, keys, _, reg, err := signingSetup(g, keyPath, insecure)
				if err != nil {
					return err
				}
				target, err := bundle.ParseTarget(args[1])
				if err != nil {
					return err
				}
				pushed, err := bundle.Push(cmd.Context(), args[0], target, bundle.PushOptions{Keys: keys, Signer: signer, Registry: reg})
				if err != nil {
					return err
				}
				printPushed(cmd.OutOrStdout(), pushed)
				return nil
			},
		}
		c.Flags().StringVar(&keyPath, "key", "", "PEM private key the bundle was signed with")
		c.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to registries (loopback registries always are)")
		_ = c.MarkFlagRequired("key")
		return c
	})
	register("bundle", func(g *globals) *cobra.Command {
		var keyPaths, imageKeys []string
		var offline, insecure bool
		c := &cobra.Command{
			Use:   "verify DIR|oci://REGISTRY/REPOSITORY:vX.Y.Z --key FILE.pub",
			Short: "Check a bundle's checksums, its signature and every image signature",
			Long: `Check a bundle directory or a pushed bundle: SHA256SUMS.sig (and
SHA256SUMS.sigstore.json) verify SHA256SUMS with --key, every file matches
SHA256SUMS and none is missing or added; then, unless --offline, every
component image (index and platform images) is in its registry and signed
by the service's keys (slipway.yaml), --image-key, or else --key.
A failure names the file or image that cannot be trusted.`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				keys, err := trust.LoadPolicy(keyPaths...)
				if err != nil {
					return fmt.Errorf("--key: %w", err)
				}
				cfg, err := optionalConfig(g.configPath)
				if err != nil {
					return err
				}
				opts := bundle.VerifyOptions{Keys: keys, Offline: offline, Registry: oci.Options{Insecure: insecure || (cfg != nil && cfg.Registry.Insecure)}}
				if !offline {
					if opts.ImagePolicy, err = imagePolicyFor(cfg, imageKeys, keys); err != nil {
						return err
					}
				}
				var v *bundle.Verified
				if strings.HasPrefix(args[0], "oci://") {
					v, err = bundle.VerifyRef(cmd.Context(), args[0], opts)
				} else {
					v, err = bundle.VerifyDir(cmd.Context(), args[0], opts)
				}
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "bundle %s %s ok: %d files match SHA256SUMS (%s), signed by key %.12s\n", v.Manifest.Name, v.Manifest.Version, v.Files, v.Digest, v.KeyID)
				if offline {
					fmt.Fprintln(out, "images not checked (--offline)")
					return nil
				}
				for _, img := range v.Images {
					fmt.Fprintf(out, "image %s %s: index and %d platform images signed (%s)\n", img.Component, img.Ref(), len(img.Platforms), platformNames(img))
				}
				return nil
			},
		}
		c.Flags().StringArrayVar(&keyPaths, "key", nil, "public key of the bundle signer (repeatable)")
		c.Flags().StringArrayVar(&imageKeys, "image-key", nil, "public key the component images must be signed with (repeatable; default: the services' keys in slipway.yaml, else --key)")
		c.Flags().BoolVar(&offline, "offline", false, "check only the files and the bundle signature (no network)")
		c.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP to registries (loopback registries always are)")
		_ = c.MarkFlagRequired("key")
		return c
	})
}

// bundleManifest is --manifest FILE, or --platform vX.Y.Z read (and its
// signatures checked) from the GitOps repository of slipway.yaml.
func bundleManifest(cmd *cobra.Command, g *globals, path, version string) (*platform.Manifest, error) {
	if version == "" {
		return loadManifest(path)
	}
	e, err := openEngine(cmd.Context(), g, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	defer e.Close()
	m, err := e.PlatformManifest(cmd.Context(), version)
	if err != nil {
		return nil, userError(fmt.Errorf("--platform: %w", err))
	}
	return m.Manifest, nil
}

func loadManifest(path string) (*platform.Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--manifest: %w", err)
	}
	return platform.Parse(data, path)
}

// signingSetup loads the signing key, the policy of its public half,
// slipway.yaml when present, and the registry options.
func signingSetup(g *globals, keyPath string, insecure bool) (crypto.Signer, trust.Policy, *config.Config, oci.Options, error) {
	signer, err := trust.LoadPrivateKey(keyPath)
	if err != nil {
		return nil, trust.Policy{}, nil, oci.Options{}, err
	}
	own, err := signerPolicy(signer, keyPath)
	if err != nil {
		return nil, trust.Policy{}, nil, oci.Options{}, err
	}
	cfg, err := optionalConfig(g.configPath)
	if err != nil {
		return nil, trust.Policy{}, nil, oci.Options{}, err
	}
	return signer, own, cfg, oci.Options{Insecure: insecure || (cfg != nil && cfg.Registry.Insecure)}, nil
}

// signerPolicy trusts the public half of the signing key.
func signerPolicy(signer crypto.Signer, keyPath string) (trust.Policy, error) {
	pub, err := trust.NewPublicKey(signer.Public(), keyPath+" (public half)")
	if err != nil {
		return trust.Policy{}, err
	}
	return trust.Policy{Keys: []trust.PublicKey{pub}}, nil
}

// optionalConfig loads slipway.yaml when it exists.
func optionalConfig(path string) (*config.Config, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return config.Load(path)
}

// imagePolicyFor decides which keys each component's images must be
// signed with: --image-key for all; else the service's keys from
// slipway.yaml; else fallback.
func imagePolicyFor(cfg *config.Config, imageKeys []string, fallback trust.Policy) (func(string) (trust.Policy, error), error) {
	if len(imageKeys) > 0 {
		p, err := trust.LoadPolicy(imageKeys...)
		if err != nil {
			return nil, fmt.Errorf("--image-key: %w", err)
		}
		return func(string) (trust.Policy, error) { return p, nil }, nil
	}
	if cfg == nil {
		return func(string) (trust.Policy, error) { return fallback, nil }, nil
	}
	return func(component string) (trust.Policy, error) {
		s, err := cfg.Service(component)
		if err != nil {
			return trust.Policy{}, fmt.Errorf("%w: or pass --image-key", err)
		}
		// The service's whole trust policy: keys, keyless identities and
		// its trusted root, as intake verifies them.
		sp, err := trust.ForService(cfg, s)
		if err != nil {
			return trust.Policy{}, err
		}
		return sp.Signers, nil
	}, nil
}

// servicePaths are the services' source paths, to attribute commits.
func servicePaths(cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	if cfg == nil {
		return out
	}
	for _, s := range cfg.Services {
		if len(s.Paths) > 0 {
			out[s.Name] = s.Paths
		}
	}
	return out
}

// openPrevious opens the previous bundle, pulling it first when it is an
// oci:// reference.
func openPrevious(ctx context.Context, src string, keys trust.Policy, reg oci.Options) (*bundle.Previous, func(), error) {
	dir, cleanup := src, func() {}
	if strings.HasPrefix(src, "oci://") {
		tmp, err := os.MkdirTemp("", "slipway-previous-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		if err := bundle.Pull(ctx, src, tmp, reg); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("--previous: %w", err)
		}
		dir = tmp
	}
	p, err := bundle.OpenPrevious(ctx, dir, keys)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("--previous %s: %w", src, err)
	}
	return p, cleanup, nil
}

func printResult(out io.Writer, m *platform.Manifest, res *bundle.Result) {
	fmt.Fprintf(out, "bundle %s %s written to %s\n", m.Name, m.Version, res.Dir)
	fmt.Fprintf(out, "  %d files in SHA256SUMS (%s), signed by key %.12s\n", len(res.Sums), res.Digest, res.KeyID)
	platforms := 0
	for _, img := range res.Images {
		platforms += len(img.Platforms)
	}
	fmt.Fprintf(out, "  %d component images verified (%d platform images)\n", len(res.Images), platforms)
	if res.Chart != "" {
		fmt.Fprintf(out, "  chart %s\n", res.Chart)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(out, "  skipped: %s\n", s)
	}
}

func printPushed(out io.Writer, pushed *bundle.Pushed) {
	fmt.Fprintf(out, "pushed bundle   oci://%s\n", pushed.Bundle)
	if pushed.Chart != "" {
		fmt.Fprintf(out, "pushed chart    %s --version %s (manifest %s)\n", pushed.Chart, pushed.ChartVersion, pushed.ChartDigest)
	}
}

func platformNames(img bundle.Image) string {
	var names []string
	for _, p := range img.Platforms {
		names = append(names, p.Platform)
	}
	return strings.Join(names, ", ")
}
