package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/versioning"
)

// HotfixRequest asks for the maintenance branch of a service's release.
type HotfixRequest struct {
	Service string
	// From is the release to fix: its tag (v1.2.3, api/v1.2.3) or version.
	From string
	// Branch overrides the name app.hotfixBranch gives (it must still be a
	// maintenance branch name whose line holds From, e.g. 1.2.x).
	Branch string
	User   string
}

// Hotfix is a maintenance branch, made now or found.
type Hotfix struct {
	Service string `json:"service"`
	Branch  string `json:"branch"`
	// From is the release tag it starts from, Commit that tag's commit.
	From   string `json:"from"`
	Commit string `json:"commit"`
	// Line is the release line it serves ("1.2.x").
	Line string `json:"line"`
	// Tip is where the local branch points.
	Tip    string `json:"tip"`
	Remote string `json:"remote"`
	// Created and Pushed report what this call did (both false on a repeat).
	Created bool `json:"created"`
	Pushed  bool `json:"pushed"`
}

// StartHotfix creates the maintenance branch of a release in the app
// repository, from the release tag, and pushes it to the app remote. It is
// idempotent: a branch (local or on the remote) at the tag or ahead of it
// is kept; one that does not contain the tag is an error naming it, and
// nothing changes.
func (e *Engine) StartHotfix(ctx context.Context, r HotfixRequest) (*Hotfix, error) {
	svc, err := e.Cfg.Service(r.Service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	repo := git.Open(e.Cfg.Resolve(e.Cfg.App.Repo))
	tag, v, commit, err := e.releaseTag(ctx, repo, svc, r.From)
	if err != nil {
		return nil, err
	}
	pattern, err := versioning.ParseBranchPattern(e.Cfg.App.HotfixBranch)
	if err != nil {
		return nil, invalid("%s: app.hotfixBranch: %v", e.Cfg.Path(), err)
	}
	name := r.Branch
	if name == "" {
		name = pattern.Name(svc.Name, v)
	}
	if err := git.CheckBranch(name); err != nil {
		return nil, invalid("--branch: %v", err)
	}
	line, ok := pattern.Line(name, svc.Name)
	switch {
	case !ok:
		return nil, invalid("%q is not a maintenance branch name of %s: use %s or semantic-release's %d.%d.x / %d.x", name, svc.Name, pattern.Name(svc.Name, v), v.Major(), v.Minor(), v.Major())
	case !line.Contains(v):
		return nil, invalid("branch %s serves the %s line, which does not hold %s: name the branch after %s's line (%s)", name, line.Spec, tag, tag, pattern.Name(svc.Name, v))
	}
	remote := e.Cfg.App.Remote
	if ok, err := repo.HasRemote(ctx, remote); err != nil {
		return nil, err
	} else if !ok {
		return nil, invalid("the app repository %s has no remote %q to push %s to: add it (`git remote add %s URL`) or set app.remote in %s", repo.Dir, remote, name, remote, e.Cfg.Path())
	}
	h := &Hotfix{Service: svc.Name, Branch: name, From: tag, Commit: commit, Line: line.Spec, Remote: remote}

	// Check both sides before changing either.
	remoteTip, err := repo.RemoteBranchSHA(ctx, remote, name)
	if err != nil {
		return nil, unreachable("app remote "+remote, err)
	}
	if remoteTip != "" {
		if err := repo.FetchBranch(ctx, remote, name); err != nil {
			return nil, unreachable("app remote "+remote, err)
		}
		if err := holds(ctx, repo, remoteTip, commit, name+" on "+remote, tag); err != nil {
			return nil, err
		}
	}
	localRef := "refs/heads/" + name
	local, err := repo.RefSHA(ctx, localRef)
	if err != nil {
		return nil, err
	}
	if local != "" {
		if err := holds(ctx, repo, local, commit, name, tag); err != nil {
			return nil, err
		}
	}

	if local == "" {
		local = commit
		if remoteTip != "" {
			local = remoteTip // someone started it already: follow their work
		}
		if err := repo.UpdateRef(ctx, localRef, local, "", "slipway hotfix start from "+tag); err != nil {
			return nil, slipway.Errorf(slipway.ECONFLICT, "create branch %s: %v (it appeared meanwhile: run the command again)", name, err)
		}
		h.Created = true
	}
	if remoteTip == "" {
		if err := repo.PushBranch(ctx, remote, local, name); err != nil {
			if errors.Is(err, git.ErrRejected) {
				return h, slipway.Errorf(slipway.ECONFLICT, "push %s to %s: %v (the branch appeared there meanwhile: run the command again)", name, remote, err)
			}
			return h, unreachable("app remote "+remote, err)
		}
		h.Pushed = true
	}
	if h.Created {
		// Developers who check it out get the remote as its upstream.
		repo.Run(ctx, "branch", "--quiet", "--set-upstream-to="+remote+"/"+name, name)
	}
	h.Tip = local
	what := "exists already"
	switch {
	case h.Created && h.Pushed:
		what = "created from " + tag + " and pushed to " + remote
	case h.Created:
		what = "created locally from " + remote + "'s branch"
	case h.Pushed:
		what = "pushed to " + remote
	}
	e.emit("hotfix", name, "hotfix branch %s of %s (%s line, from %s at %s) %s; builds from it release as %s patches", name, svc.Name, line.Spec, tag, short(commit), what, line.Spec)
	return h, nil
}

// releaseTag resolves a release of the service named by a tag or version.
func (e *Engine) releaseTag(ctx context.Context, repo *git.Repo, svc *config.Service, from string) (tag string, v *semver.Version, commit string, err error) {
	format, err := versioning.ParseTagFormat(svc.TagFormat, svc.Name)
	if err != nil {
		return "", nil, "", invalid("%v", err)
	}
	from = strings.TrimSpace(from)
	if from == "" {
		return "", nil, "", invalid("say which release to fix: --from %s", format.Tag(semver.MustParse("1.2.3")))
	}
	v, ok := format.Version(from)
	if ok {
		tag = from
	} else if pv, err := semver.StrictNewVersion(strings.TrimPrefix(from, "v")); err == nil {
		v, tag = pv, format.Tag(pv)
	} else {
		return "", nil, "", invalid("--from %q is not a release of %s: give its tag (%s) or its version (1.2.3)", from, svc.Name, format.Tag(semver.MustParse("1.2.3")))
	}
	if v.Prerelease() != "" {
		return "", nil, "", invalid("--from %s is a prerelease: a hotfix starts from a stable release", tag)
	}
	if commit, err = repo.RefSHA(ctx, "refs/tags/"+tag); err != nil {
		return "", nil, "", err
	}
	if commit == "" {
		return "", nil, "", slipway.Errorf(slipway.ENOTFOUND, "no release tag %s of %s in %s: list the releases with `git -C %s tag -l`", tag, svc.Name, repo.Dir, repo.Dir)
	}
	return tag, v, commit, nil
}

// holds checks that a branch tip contains the release commit.
func holds(ctx context.Context, repo *git.Repo, tip, commit, branch, tag string) error {
	ok, err := repo.IsAncestor(ctx, commit, tip)
	if err != nil {
		return err
	}
	if !ok {
		return slipway.Errorf(slipway.ECONFLICT, "branch %s exists at %s, which does not contain %s (%s): it is not that release's maintenance branch. Pass --branch with another name, or delete the branch if it was made by mistake", branch, short(tip), tag, short(commit))
	}
	return nil
}

// maxExpedite bounds the written reason of an expedited promotion.
const maxExpedite = 1000

// expediteReason folds the reason into one line and refuses a blank or
// overlong one (it lands in commits, pull requests and the audit log).
func expediteReason(reason string) (string, error) {
	if reason == "" {
		return "", nil
	}
	folded := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' && r != '\n' || r == 0x7f {
			return ' '
		}
		return r
	}, reason)), " ")
	switch {
	case folded == "":
		return "", invalid("--expedite needs a written reason (e.g. --expedite \"INC-42: checkout fails for every customer\"): it is audited")
	case len(folded) > maxExpedite:
		return "", invalid("the --expedite reason is %d characters: keep it under %d and link the incident", len(folded), maxExpedite)
	}
	return folded, nil
}

// expedited records an expedited promotion in the audit log and announces
// it: who skipped which environments' rule, checks and soak, and why. The
// target environment's approvals, windows and canary still apply.
func (e *Engine) expedited(ctx context.Context, p *slipway.Promotion, b *slipway.Build, idx int) error {
	var skipped []string
	for _, env := range e.Cfg.Environments[:idx] {
		ok, err := e.succeededIn(ctx, b, env.Name)
		if err != nil {
			return err
		}
		if !ok {
			skipped = append(skipped, env.Name)
		}
	}
	skips := "skips nothing (already green before " + p.Env + ")"
	if len(skipped) > 0 {
		skips = "skips " + strings.Join(skipped, ", ")
		if g := e.Cfg.Environments[idx].Gates; len(g.Verifications) > 0 || g.Soak.Duration > 0 {
			skips += fmt.Sprintf(" and %s's required checks and soak", p.Env)
		}
	}
	verdict := fmt.Sprintf("expedited by %s: %s; %s; %s's approvals, windows and canary still apply", p.Requester, p.Expedited, skips, p.Env)
	prior, err := e.Store.Audit.AuditOf(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, x := range prior {
		if x.Kind == "expedited" {
			return nil
		}
	}
	entry := &slipway.AuditEntry{At: e.Now(), Kind: "expedited", Service: p.Service, Env: p.Env, Digest: p.Digest, KeyID: b.KeyID,
		Approvers: []string{p.Requester}, Verdict: verdict, PromotionID: p.ID}
	if err := e.Store.Audit.AppendAudit(ctx, entry); err != nil {
		return err
	}
	e.notify(ctx, p.Env, slipway.Notice{Event: slipway.NoticeExpedited, Service: p.Service, Env: p.Env, Promotion: p.ID, Release: p.Release, Digest: p.Digest}, "EXPEDITED: %s of %s %s to %s %s", p.ID, p.Service, releaseOrDigest(p), p.Env, verdict)
	return nil
}
