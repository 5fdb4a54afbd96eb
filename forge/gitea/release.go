package gitea

import (
	"context"
	"net/http"
	"strings"

	gt "code.gitea.io/sdk/gitea"

	"github.com/slipway/slipway"
)

var (
	_ slipway.ReleaseHost       = (*Forge)(nil)
	_ slipway.PullRequestEditor = (*Forge)(nil)
)

// FindRelease reads the release of tag (GET
// /repos/{owner}/{repo}/releases/tags/{tag}; 404 when the tag has none).
func (f *Forge) FindRelease(ctx context.Context, tag string) (*slipway.ForgeRelease, error) {
	r, resp, err := f.api(ctx).GetReleaseByTag(f.owner, f.repo, tag)
	if err != nil {
		return nil, f.wrap(err, resp, "read the release of tag %s", tag)
	}
	return releaseOf(r), nil
}

// CreateRelease publishes the release of an already pushed tag. Gitea
// answers 409 when the tag already has a release: ECONFLICT.
func (f *Forge) CreateRelease(ctx context.Context, in *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	r, resp, err := f.api(ctx).CreateRelease(f.owner, f.repo, gt.CreateReleaseOption{
		TagName: in.Tag, Target: in.Commit, Title: in.Name, Note: in.Notes, IsPrerelease: in.Prerelease,
	})
	if err != nil {
		if status(resp) == http.StatusConflict {
			return nil, slipway.Errorf(slipway.ECONFLICT, "gitea: tag %s already has a release in %s", in.Tag, f.slug())
		}
		return nil, f.wrap(err, resp, "create the release of tag %s", in.Tag)
	}
	return releaseOf(r), nil
}

// UpdateRelease replaces the name, notes and prerelease flag of release
// in.ID (PATCH /repos/{owner}/{repo}/releases/{id}).
func (f *Forge) UpdateRelease(ctx context.Context, in *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	if in.ID == 0 {
		return nil, slipway.Errorf(slipway.EINVALID, "gitea: update the release of %s: no release id (find it first)", in.Tag)
	}
	pre := in.Prerelease
	r, resp, err := f.api(ctx).EditRelease(f.owner, f.repo, in.ID, gt.EditReleaseOption{Title: in.Name, Note: in.Notes, IsPrerelease: &pre})
	if err != nil {
		return nil, f.wrap(err, resp, "update the release of tag %s", in.Tag)
	}
	return releaseOf(r), nil
}

func releaseOf(r *gt.Release) *slipway.ForgeRelease {
	return &slipway.ForgeRelease{ID: r.ID, Tag: r.TagName, Commit: r.Target, Name: r.Title, Notes: r.Note, Prerelease: r.IsPrerelease, URL: r.HTMLURL}
}

// EditPullRequest replaces the title and description of an open pull
// request.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	pr, err := f.Get(ctx, number)
	if err != nil {
		return err
	}
	if pr.State != slipway.PROpen {
		return slipway.Errorf(slipway.ECONFLICT, "gitea: pull request #%d is %s: it cannot be edited", number, pr.State)
	}
	if pr.Title == title && pr.Body == body {
		return nil
	}
	if _, resp, err := f.api(ctx).EditPullRequest(f.owner, f.repo, int64(number), gt.EditPullRequestOption{Title: title, Body: &body}); err != nil {
		return f.wrap(err, resp, "edit pull request #%d", number)
	}
	return nil
}

// Relabel adds labels by ID (creating unknown ones, as Gitea labels by ID
// only) and deletes the ones of remove the pull request has.
func (f *Forge) Relabel(ctx context.Context, number int, add, remove []string) error {
	p, resp, err := f.api(ctx).GetPullRequest(f.owner, f.repo, int64(number))
	if err != nil {
		return f.wrap(err, resp, "read the labels of pull request #%d", number)
	}
	ids, err := f.labelIDs(ctx, add)
	if err != nil {
		return err
	}
	if err := f.ensureLabels(ctx, p, ids); err != nil {
		return err
	}
	for _, name := range remove {
		for _, l := range p.Labels {
			if l == nil || !strings.EqualFold(l.Name, name) {
				continue
			}
			if resp, err := f.api(ctx).DeleteIssueLabel(f.owner, f.repo, p.Index, l.ID); err != nil && status(resp) != http.StatusNotFound {
				return f.wrap(err, resp, "remove label %q from pull request #%d", name, number)
			}
		}
	}
	return nil
}
