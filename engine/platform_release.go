package engine

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

// BlobSigner signs a file's bytes as `cosign sign-blob --key` does and
// returns the .sig file's content (base64 of the signature) and the id of
// the signing key. The wiring passes bundle.SignSums, so manifests and
// bundles are signed by one piece of code.
type BlobSigner func(blob []byte) (sig []byte, keyID string, err error)

// PlatformReleaseRequest asks for a platform release.
type PlatformReleaseRequest struct {
	// Version forces the platform version ("" computes it from the components).
	Version string
	// From is the environment whose stable digests make the platform
	// ("" for the last environment).
	From      string
	Requester string
	Sign      BlobSigner
}

// PlatformRelease is what `slipway platform release` did.
type PlatformRelease struct {
	Version  string             `json:"version,omitempty"`
	Previous string             `json:"previous,omitempty"`
	Bump     platform.Bump      `json:"bump"`
	Changes  []platform.Change  `json:"changes"`
	Manifest *platform.Manifest `json:"manifest,omitempty"`
	Commit   string             `json:"commit,omitempty"`
	Tag      string             `json:"tag,omitempty"`
	Files    []string           `json:"files,omitempty"`
	// Resumed: the manifest was already committed (a run that crashed
	// before tagging or auditing); this run finished it.
	Resumed bool `json:"resumed,omitempty"`
	// Notes say which services were left out and why.
	Notes []string `json:"notes,omitempty"`
}

// platformDir is where manifests live in the GitOps repository.
const platformDir = "platform"

// platformAuditKey names a platform release in the audit log (the
// promotion-id column), so a retried release is recorded once.
func platformAuditKey(name, version string) string { return "platform/" + name + "/v" + version }

// PlatformTag is the GitOps tag of a platform version.
func PlatformTag(version string) string { return "platform-v" + version }

// manifestPaths are the files of one platform version.
func manifestPaths(version string) (yamlPath, jsonPath string) {
	base := path.Join(platformDir, "v"+version)
	return base + ".yaml", base + ".json"
}

// ReleasePlatform writes the platform manifest of what is stable in the
// last environment (or r.From): each component's release, image and
// digest. Its version follows the components (platform.Compare); when
// nothing changed since the last platform release nothing is written. The
// manifest is committed to the GitOps repository under platform/ as YAML
// and JSON with their signatures, tagged platform-vX.Y.Z, and audited.
// Re-running after a crash finds the committed manifest by its content
// and finishes the tag and the audit entry.
func (e *Engine) ReleasePlatform(ctx context.Context, r PlatformReleaseRequest) (*PlatformRelease, error) {
	name := e.Cfg.Platform.Name
	if name == "" {
		return nil, invalid("%s has no platform: block: add platform: {name: acme, key: platform.key} (see docs/platform.md)", e.Cfg.Path())
	}
	if r.Sign == nil {
		return nil, invalid("no signing key for platform manifests: set platform.key in %s or pass --key", e.Cfg.Path())
	}
	from := r.From
	if from == "" {
		from = e.Cfg.Environments[len(e.Cfg.Environments)-1].Name
	}
	if _, _, err := e.Cfg.Environment(from); err != nil {
		return nil, invalid("--from: %v", err)
	}
	if err := e.fresh(ctx, true); err != nil {
		return nil, err
	}
	branch := e.Cfg.GitOps.Branch
	tip, err := e.GitOps.RemoteBranch(ctx, branch)
	if err != nil {
		return nil, err
	}
	if tip == "" {
		return nil, invalid("branch %s is not on the GitOps remote: create it, or set gitops.branch in %s", branch, e.Cfg.Path())
	}
	published, err := e.publishedManifests(ctx, tip)
	if err != nil {
		return nil, err
	}
	comps, notes, err := e.stableComponents(ctx, from)
	if err != nil {
		return nil, err
	}
	next := &platform.Manifest{APIVersion: platform.APIVersion, Kind: platform.Kind, Name: name, Version: "0.0.0", Created: e.Now().Truncate(1e9), Components: comps, Platforms: commonPlatforms(comps)}
	var prev *platform.Manifest
	if n := len(published); n > 0 {
		prev = published[n-1].Manifest
	}
	diff := platform.Compare(prev, next)
	out := &PlatformRelease{Bump: diff.Bump, Changes: diff.Changes, Notes: notes}
	if out.Changes == nil {
		out.Changes = []platform.Change{} // JSON readers get a list
	}
	if prev != nil {
		out.Previous = prev.Version
	}
	if diff.Bump == platform.BumpNone {
		// The newest manifest already says this: finish it if a crashed run
		// left its tag or audit entry undone, else there is nothing to do.
		last := published[len(published)-1]
		done, err := e.platformFinished(ctx, last)
		if err != nil || done {
			return out, err
		}
		out.Resumed, out.Manifest, out.Version, out.Commit = true, last.Manifest, last.Manifest.Version, last.Commit
		if len(published) > 1 {
			d := platform.Compare(published[len(published)-2].Manifest, last.Manifest)
			out.Bump, out.Changes, out.Previous = d.Bump, d.Changes, d.From
		} else {
			out.Bump, out.Changes, out.Previous = platform.BumpInitial, platform.Compare(nil, last.Manifest).Changes, ""
		}
		return out, e.finishPlatform(ctx, last, r.Requester, out)
	}
	if next.Version, err = platformVersion(r.Version, out.Previous, diff.Bump); err != nil {
		return nil, err
	}
	for _, p := range published {
		if p.Manifest.Version == next.Version {
			return nil, slipway.Errorf(slipway.ECONFLICT, "platform %s %s is already released with other components (%s): pick another --version, or leave it out to compute one", name, next.Version, p.YAMLPath)
		}
	}
	out.Version, out.Manifest = next.Version, next
	pub, err := e.commitManifest(ctx, next, r.Sign)
	if err != nil {
		return nil, err
	}
	out.Commit = pub.Commit
	return out, e.finishPlatform(ctx, pub, r.Requester, out)
}

// platformVersion decides the version of a new platform release.
func platformVersion(forced, prev string, bump platform.Bump) (string, error) {
	if forced == "" {
		return platform.Next(prev, bump)
	}
	forced = strings.TrimPrefix(forced, "v")
	v, err := semver.StrictNewVersion(forced)
	if err != nil {
		return "", invalid("--version %q is not a SemVer version such as 1.4.0", forced)
	}
	if prev != "" {
		if p, err := semver.StrictNewVersion(prev); err == nil && !v.GreaterThan(p) {
			return "", invalid("--version %s is not above the last platform release %s: pick a higher version", forced, prev)
		}
	}
	return v.String(), nil
}

// stableComponents lists, for every service, the release that runs in env
// (the newest succeeded promotion there), checked against the pins in Git.
// Services that never ran there are left out (with a note); one running an
// unreleased build, or whose Git pin disagrees, is refused.
func (e *Engine) stableComponents(ctx context.Context, envName string) ([]platform.Component, []string, error) {
	env, _, _ := e.Cfg.Environment(envName)
	tip, err := e.GitOps.RemoteBranch(ctx, e.Cfg.Branch(env))
	if err != nil {
		return nil, nil, err
	}
	var comps []platform.Component
	var notes []string
	var errs []error
	for _, svc := range e.Cfg.Services {
		cur, err := e.Store.Promotions.Current(ctx, svc.Name, envName)
		if err != nil {
			return nil, nil, err
		}
		if cur == nil {
			notes = append(notes, fmt.Sprintf("%s is left out: nothing of it runs in %s", svc.Name, envName))
			continue
		}
		b, err := e.Store.Builds.Build(ctx, cur.BuildID)
		if err != nil {
			return nil, nil, err
		}
		rel, err := e.Store.Releases.ReleaseOfBuild(ctx, b.ID)
		if err != nil {
			return nil, nil, err
		}
		if rel == nil {
			errs = append(errs, fmt.Errorf("%s runs build %s in %s, which has no release: release it (`slipway release --service %s --build %s`) before a platform release", svc.Name, b.ID, envName, svc.Name, b.ID))
			continue
		}
		if tip != "" {
			pins, err := e.pinsFor(env, svc.Name, nil, "")
			if err != nil {
				return nil, nil, err
			}
			if d, err := pins.digestAt(ctx, e.GitOps, tip); err != nil {
				return nil, nil, err
			} else if d != b.Digest {
				errs = append(errs, fmt.Errorf("%s: Git pins %s in %s but the store says %s (%s) is stable there: run `slipway reconcile` and look at the branch", svc.Name, orNone(d), envName, digestShort(b.Digest), rel.Tag))
				continue
			}
		}
		comps = append(comps, platform.Component{
			Name: svc.Name, Version: rel.Version, Tag: rel.Tag, Image: b.Image, Digest: b.Digest,
			Platforms: slices.Clone(b.Platforms), Labels: svc.Labels, Notes: rel.Notes,
		})
	}
	if len(errs) > 0 {
		return nil, nil, slipway.Errorf(slipway.ECONFLICT, "no platform release: %v", errors.Join(errs...))
	}
	if len(comps) == 0 {
		return nil, nil, slipway.Errorf(slipway.ENOTFOUND, "no platform release: no service runs in %s yet", envName)
	}
	return comps, notes, nil
}

// commonPlatforms are the platforms every component provides (none when a
// component is a single-platform image).
func commonPlatforms(comps []platform.Component) []string {
	var common []string
	for i, c := range comps {
		if len(c.Platforms) == 0 {
			return nil
		}
		if i == 0 {
			common = slices.Clone(c.Platforms)
			continue
		}
		common = slices.DeleteFunc(common, func(p string) bool { return !slices.Contains(c.Platforms, p) })
	}
	slices.Sort(common)
	return common
}

// PublishedManifest is a platform manifest found in the GitOps repository,
// its signatures checked.
type PublishedManifest struct {
	Manifest *platform.Manifest `json:"manifest"`
	YAMLPath string             `json:"yaml"`
	JSONPath string             `json:"json"`
	// Commit is the commit that added the manifest (on the GitOps branch).
	Commit string `json:"commit"`
	// KeyID is the key whose signature verified.
	KeyID string `json:"keyId"`
	// SHA256 is the digest of the YAML file.
	SHA256 string `json:"sha256"`
}

// platformPolicy is the key that verifies platform manifests: publicKey, or
// the public half of key.
func (e *Engine) platformPolicy() (trust.Policy, error) {
	p := e.Cfg.Platform
	switch {
	case p.PublicKey != "":
		pol, err := trust.LoadPolicy(e.Cfg.Resolve(p.PublicKey))
		if err != nil {
			return trust.Policy{}, invalid("platform.publicKey: %v", err)
		}
		return pol, nil
	case p.Key != "":
		signer, err := trust.LoadPrivateKey(e.Cfg.Resolve(p.Key))
		if err != nil {
			return trust.Policy{}, invalid("platform.key: %v", err)
		}
		pub, err := trust.NewPublicKey(signer.Public(), p.Key+" (public half)")
		if err != nil {
			return trust.Policy{}, invalid("platform.key: %v", err)
		}
		return trust.Policy{Keys: []trust.PublicKey{pub}}, nil
	}
	return trust.Policy{}, invalid("%s: platform.publicKey (or platform.key) is needed to verify platform manifests", e.Cfg.Path())
}

// publishedManifests reads every platform manifest at commit, oldest
// version first. Each must be signed by the platform key, in both its
// encodings, and say the version its file name says: anyone may push to
// the GitOps repository, so a file proves nothing by being there.
func (e *Engine) publishedManifests(ctx context.Context, commit string) ([]*PublishedManifest, error) {
	out, err := e.GitOps.Run(ctx, "ls-tree", "--name-only", commit, platformDir+"/")
	if err != nil {
		return nil, err
	}
	var versions []*semver.Version
	for _, f := range strings.Split(out, "\n") {
		v, ok := strings.CutSuffix(path.Base(f), ".yaml")
		if !ok || !strings.HasPrefix(v, "v") {
			continue
		}
		sv, err := semver.StrictNewVersion(v[1:])
		if err != nil {
			return nil, slipway.Errorf(slipway.ECONFLICT, "%s in the GitOps repository is not named v<SemVer>.yaml: remove it from %s/", f, platformDir)
		}
		versions = append(versions, sv)
	}
	slices.SortFunc(versions, func(a, b *semver.Version) int { return a.Compare(b) })
	if len(versions) == 0 {
		return nil, nil
	}
	pol, err := e.platformPolicy()
	if err != nil {
		return nil, err
	}
	var ms []*PublishedManifest
	for _, v := range versions {
		m, err := e.readManifest(ctx, commit, v.String(), pol)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// readManifest reads and verifies one version's files at commit.
func (e *Engine) readManifest(ctx context.Context, commit, version string, pol trust.Policy) (*PublishedManifest, error) {
	yp, jp := manifestPaths(version)
	files, err := e.GitOps.ReadFiles(ctx, commit, []string{yp, jp, yp + ".sig", jp + ".sig"}, platform.MaxManifestSize)
	if errors.Is(err, git.ErrNotFile) {
		return nil, slipway.Errorf(slipway.ECONFLICT, "platform %s: %v", version, err)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range []string{yp, jp, yp + ".sig", jp + ".sig"} {
		if _, ok := files[f]; !ok {
			return nil, slipway.Errorf(slipway.ENOTFOUND, "platform %s: %s is missing in the GitOps repository at %s", version, f, short(commit))
		}
	}
	var keyID string
	for _, f := range []string{yp, jp} {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(files[f+".sig"])))
		if err != nil {
			return nil, slipway.Errorf(slipway.EFORBIDDEN, "platform %s: %s.sig is not a base64 signature: the manifest cannot be trusted", version, f)
		}
		key, err := pol.VerifyBlob(files[f], sig)
		if err != nil {
			return nil, slipway.Errorf(slipway.EFORBIDDEN, "platform %s: %s is not signed by the platform key (%s): it was changed or planted; restore it from the tag %s or remove it", version, f, pol.Describe(), PlatformTag(version))
		}
		keyID = key.ID
	}
	m, err := platform.Parse(files[yp], yp)
	if err != nil {
		return nil, slipway.Errorf(slipway.ECONFLICT, "%v", err)
	}
	mj, err := platform.Parse(files[jp], jp)
	if err != nil {
		return nil, slipway.Errorf(slipway.ECONFLICT, "%v", err)
	}
	if a, b := mustYAML(m), mustYAML(mj); a != b {
		return nil, slipway.Errorf(slipway.ECONFLICT, "platform %s: %s and %s describe different platforms", version, yp, jp)
	}
	if m.Version != version || m.Name != e.Cfg.Platform.Name {
		return nil, slipway.Errorf(slipway.ECONFLICT, "%s holds platform %s %s, not %s %s", yp, m.Name, m.Version, e.Cfg.Platform.Name, version)
	}
	added, err := e.GitOps.Run(ctx, "log", "--format=%H", "--diff-filter=A", "-n", "1", commit, "--", yp)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(files[yp])
	return &PublishedManifest{Manifest: m, YAMLPath: yp, JSONPath: jp, Commit: added, KeyID: keyID, SHA256: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

func mustYAML(m *platform.Manifest) string {
	b, err := m.YAML()
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// commitManifest signs the manifest's two encodings and pushes them to
// the GitOps branch in one commit, rebuilding it on a moved tip. A
// manifest of this version that appears meanwhile is adopted when its
// components are these (a concurrent run of the same release), refused
// otherwise.
func (e *Engine) commitManifest(ctx context.Context, m *platform.Manifest, sign BlobSigner) (*PublishedManifest, error) {
	yb, err := m.YAML()
	if err != nil {
		return nil, err
	}
	jb, err := m.JSON()
	if err != nil {
		return nil, err
	}
	ysig, keyID, err := sign(yb)
	if err != nil {
		return nil, fmt.Errorf("sign platform manifest: %w", err)
	}
	jsig, _, err := sign(jb)
	if err != nil {
		return nil, fmt.Errorf("sign platform manifest: %w", err)
	}
	yp, jp := manifestPaths(m.Version)
	files := map[string][]byte{yp: yb, jp: jb, yp + ".sig": append(ysig, '\n'), jp + ".sig": append(jsig, '\n')}
	branch := e.Cfg.GitOps.Branch
	msg := git.CommitMessage(fmt.Sprintf("Platform %s %s", m.Name, m.Version),
		[]string{fmt.Sprintf("%d components, signed by key %s.", len(m.Components), short(keyID))},
		[][2]string{{"Slipway-Platform", m.Name + " " + m.Version}})
	for attempt := 0; ; attempt++ {
		if err := e.fresh(ctx, attempt > 0); err != nil {
			return nil, err
		}
		tip, err := e.GitOps.RemoteBranch(ctx, branch)
		if err != nil {
			return nil, err
		}
		if existing, err := e.manifestAt(ctx, tip, m.Version); err != nil {
			return nil, err
		} else if existing != nil {
			if platform.Compare(existing.Manifest, m).Bump != platform.BumpNone {
				return nil, slipway.Errorf(slipway.ECONFLICT, "platform %s %s was released meanwhile with other components (%s at %s): run the release again", m.Name, m.Version, yp, short(existing.Commit))
			}
			return existing, nil
		}
		sha, err := e.GitOps.CommitFiles(ctx, tip, files, e.identity(), e.Now(), msg)
		if err != nil {
			return nil, err
		}
		err = e.GitOps.PushCommit(ctx, sha, branch)
		if errors.Is(err, git.ErrRejected) && attempt < maxPushRetries {
			continue
		}
		if err != nil {
			return nil, unreachable("git remote", err)
		}
		e.emit("platform", short(sha), "committed platform %s %s to %s: %s, %s and their signatures", m.Name, m.Version, branch, yp, jp)
		sum := sha256.Sum256(yb)
		return &PublishedManifest{Manifest: m, YAMLPath: yp, JSONPath: jp, Commit: sha, KeyID: keyID, SHA256: "sha256:" + hex.EncodeToString(sum[:])}, nil
	}
}

// manifestAt returns the verified manifest of version at commit (nil when
// its file is absent).
func (e *Engine) manifestAt(ctx context.Context, commit, version string) (*PublishedManifest, error) {
	yp, _ := manifestPaths(version)
	if _, err := e.GitOps.ReadFile(ctx, commit, yp, platform.MaxManifestSize); err != nil {
		return nil, nil
	}
	pol, err := e.platformPolicy()
	if err != nil {
		return nil, err
	}
	return e.readManifest(ctx, commit, version, pol)
}

// platformFinished reports whether a committed manifest was also tagged
// and audited.
func (e *Engine) platformFinished(ctx context.Context, m *PublishedManifest) (bool, error) {
	tagged, err := e.remoteTag(ctx, PlatformTag(m.Manifest.Version))
	if err != nil {
		return false, err
	}
	audited, err := e.Store.Audit.AuditOf(ctx, platformAuditKey(m.Manifest.Name, m.Manifest.Version))
	return tagged == m.Commit && len(audited) > 0, err
}

// finishPlatform tags the manifest's commit and records the release in
// the audit log; both are no-ops when done before.
func (e *Engine) finishPlatform(ctx context.Context, m *PublishedManifest, requester string, out *PlatformRelease) error {
	tag := PlatformTag(m.Manifest.Version)
	if err := e.pushPlatformTag(ctx, tag, m); err != nil {
		return err
	}
	out.Tag, out.Commit = tag, m.Commit
	out.Files = []string{m.YAMLPath, m.JSONPath, m.YAMLPath + ".sig", m.JSONPath + ".sig"}
	key := platformAuditKey(m.Manifest.Name, m.Manifest.Version)
	prior, err := e.Store.Audit.AuditOf(ctx, key)
	if err != nil || len(prior) > 0 {
		return err
	}
	approvers := []string{}
	if requester != "" {
		approvers = append(approvers, requester)
	}
	entry := &slipway.AuditEntry{
		At: e.Now(), Kind: "platform-release", Service: m.Manifest.Name, Digest: m.SHA256, KeyID: m.KeyID, PinCommit: m.Commit,
		Approvers: approvers, Verdict: fmt.Sprintf("platform %s %s (%s): %d components", m.Manifest.Name, m.Manifest.Version, out.Bump, len(m.Manifest.Components)),
		PromotionID: key,
	}
	if err := e.Store.Audit.AppendAudit(ctx, entry); err != nil {
		return err
	}
	e.emit("audit", short(entry.Hash), "audit entry %d: platform-release %s %s", entry.Seq, m.Manifest.Name, m.Manifest.Version)
	return nil
}

// pushPlatformTag creates the annotated tag on the manifest's commit and
// pushes it; a tag already on the remote must name that commit.
func (e *Engine) pushPlatformTag(ctx context.Context, tag string, m *PublishedManifest) error {
	if err := git.CheckBranch(tag); err != nil {
		return invalid("tag %s: %v", tag, err)
	}
	if at, err := e.remoteTag(ctx, tag); err != nil {
		return err
	} else if at == m.Commit {
		return nil
	} else if at != "" {
		return slipway.Errorf(slipway.ECONFLICT, "tag %s on the GitOps remote points at %s, not at the commit that added %s (%s): someone moved it; delete it only if that platform was never published", tag, short(at), m.YAMLPath, short(m.Commit))
	}
	msg := fmt.Sprintf("Platform %s %s\n\nManifest: %s\nManifest-SHA256: %s\n", m.Manifest.Name, m.Manifest.Version, m.YAMLPath, m.SHA256)
	if err := e.GitOps.CreateTagAs(ctx, e.identity(), tag, m.Commit, msg); err != nil {
		if errors.Is(err, git.ErrTagElsewhere) {
			// A local tag from an abandoned run: the remote has none, so
			// Slipway's clone may drop it.
			if _, derr := e.GitOps.Run(ctx, "tag", "-d", tag); derr != nil {
				return derr
			}
			err = e.GitOps.CreateTagAs(ctx, e.identity(), tag, m.Commit, msg)
		}
		if err != nil {
			return err
		}
	}
	if _, err := e.GitOps.Run(ctx, "push", "--quiet", "origin", "refs/tags/"+tag+":refs/tags/"+tag); err != nil {
		return unreachable("git remote", fmt.Errorf("push tag %s: %w", tag, err))
	}
	e.emit("platform", tag, "tagged %s on %s", tag, short(m.Commit))
	return nil
}

// remoteTag returns the commit tag names on the GitOps remote ("" when absent).
func (e *Engine) remoteTag(ctx context.Context, tag string) (string, error) {
	out, err := e.GitOps.Run(ctx, "ls-remote", "--tags", "origin", "refs/tags/"+tag, "refs/tags/"+tag+"^{}")
	if err != nil {
		return "", unreachable("git remote", err)
	}
	commit := ""
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		if strings.HasSuffix(f[1], "^{}") || commit == "" {
			commit = f[0] // the peeled line names the commit of an annotated tag
		}
	}
	return commit, nil
}

// PlatformManifest returns the verified manifest of a platform version
// from the GitOps branch.
func (e *Engine) PlatformManifest(ctx context.Context, version string) (*PublishedManifest, error) {
	version = strings.TrimPrefix(version, "v")
	if _, err := semver.StrictNewVersion(version); err != nil {
		return nil, invalid("platform version %q is not SemVer: write it as v1.4.0", version)
	}
	if err := e.fresh(ctx, false); err != nil {
		return nil, err
	}
	tip, err := e.GitOps.RemoteBranch(ctx, e.Cfg.GitOps.Branch)
	if err != nil {
		return nil, err
	}
	m, err := e.manifestAt(ctx, tip, version)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, slipway.Errorf(slipway.ENOTFOUND, "platform %s was never released: see `slipway platform list`", version)
	}
	return m, nil
}

// PlatformVersions lists the released platform versions, oldest first.
func (e *Engine) PlatformVersions(ctx context.Context) ([]*PublishedManifest, error) {
	if err := e.fresh(ctx, false); err != nil {
		return nil, err
	}
	tip, err := e.GitOps.RemoteBranch(ctx, e.Cfg.GitOps.Branch)
	if err != nil {
		return nil, err
	}
	return e.publishedManifests(ctx, tip)
}

// DiffPlatform compares two released platform versions: components added,
// removed and bumped, each bump with the changelog sections of every
// component release between the two (from the stored releases; the
// manifest's notes when the store has none).
func (e *Engine) DiffPlatform(ctx context.Context, from, to string) (*platform.Diff, error) {
	a, err := e.PlatformManifest(ctx, from)
	if err != nil {
		return nil, err
	}
	b, err := e.PlatformManifest(ctx, to)
	if err != nil {
		return nil, err
	}
	d := platform.Compare(a.Manifest, b.Manifest)
	for i := range d.Changes {
		c := &d.Changes[i]
		if c.Kind != platform.Bumped || c.Downgrade {
			continue
		}
		secs, err := e.sectionsBetween(ctx, c.Component, c.From, c.To)
		if err != nil {
			return nil, err
		}
		if len(secs) > 0 {
			c.Sections = secs
		}
	}
	return &d, nil
}

// sectionsBetween returns the changelog sections of a service's releases
// above from and up to to, oldest first.
func (e *Engine) sectionsBetween(ctx context.Context, service, from, to string) ([]platform.Section, error) {
	lo, err1 := semver.StrictNewVersion(from)
	hi, err2 := semver.StrictNewVersion(to)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	rels, err := e.Store.Releases.Releases(ctx, service)
	if err != nil {
		return nil, err
	}
	type sec struct {
		v *semver.Version
		s platform.Section
	}
	var secs []sec
	for _, r := range rels {
		v, err := semver.StrictNewVersion(r.Version)
		if err != nil || !v.GreaterThan(lo) || v.GreaterThan(hi) || strings.TrimSpace(r.Notes) == "" {
			continue
		}
		secs = append(secs, sec{v, platform.Section{Version: r.Version, Notes: r.Notes}})
	}
	slices.SortFunc(secs, func(a, b sec) int { return a.v.Compare(b.v) })
	out := make([]platform.Section, len(secs))
	for i, s := range secs {
		out[i] = s.s
	}
	return out, nil
}
