package github

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	gh "github.com/google/go-github/v93/github"

	"github.com/slipway/slipway"
)

var (
	_ slipway.ReleaseHost       = (*Forge)(nil)
	_ slipway.PullRequestEditor = (*Forge)(nil)
)

// FindRelease reads the GitHub Release of tag (GET
// /repos/{owner}/{repo}/releases/tags/{tag}; GitHub answers 404 for a tag
// without a release, and for a draft).
func (f *Forge) FindRelease(ctx context.Context, tag string) (*slipway.ForgeRelease, error) {
	r, _, err := f.client.Repositories.GetReleaseByTag(ctx, f.owner, f.repo, url.PathEscape(tag))
	if err != nil {
		return nil, f.wrap(err, "read the release of tag %s", tag)
	}
	return releaseOf(r), nil
}

// CreateRelease publishes the release of an already pushed tag. GitHub's
// 422 "already_exists" on tag_name is ECONFLICT: the page exists (our own
// earlier, timed-out attempt): find it and update it.
func (f *Forge) CreateRelease(ctx context.Context, in *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	req := gh.CreateReleaseRequest{TagName: in.Tag, Name: gh.Ptr(in.Name), Body: gh.Ptr(in.Notes), Draft: gh.Ptr(false), Prerelease: gh.Ptr(in.Prerelease)}
	if in.Commit != "" {
		req.TargetCommitish = gh.Ptr(in.Commit)
	}
	r, _, err := f.client.Repositories.CreateRelease(ctx, f.owner, f.repo, req)
	if err != nil {
		if alreadyReleased(err) {
			return nil, slipway.Errorf(slipway.ECONFLICT, "github: tag %s already has a release in %s", in.Tag, f.slug())
		}
		return nil, f.wrap(err, "create the release of tag %s", in.Tag)
	}
	return releaseOf(r), nil
}

// UpdateRelease replaces the name, notes and prerelease flag of release
// in.ID (PATCH /repos/{owner}/{repo}/releases/{id}).
func (f *Forge) UpdateRelease(ctx context.Context, in *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	if in.ID == 0 {
		return nil, slipway.Errorf(slipway.EINVALID, "github: update the release of %s: no release id (find it first)", in.Tag)
	}
	r, _, err := f.client.Repositories.UpdateRelease(ctx, f.owner, f.repo, in.ID, gh.UpdateReleaseRequest{
		Name: gh.Ptr(in.Name), Body: gh.Ptr(in.Notes), Prerelease: gh.Ptr(in.Prerelease),
	})
	if err != nil {
		return nil, f.wrap(err, "update the release of tag %s", in.Tag)
	}
	return releaseOf(r), nil
}

// alreadyReleased recognises GitHub's answer to a second release of a tag:
// 422 Validation Failed with {"resource":"Release","code":"already_exists","field":"tag_name"}.
func alreadyReleased(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" && e.Field == "tag_name" {
			return true
		}
	}
	return false
}

func releaseOf(r *gh.RepositoryRelease) *slipway.ForgeRelease {
	return &slipway.ForgeRelease{ID: r.ID, Tag: r.TagName, Commit: r.TargetCommitish, Name: r.GetName(), Notes: r.GetBody(), Prerelease: r.Prerelease, URL: r.HTMLURL}
}

// EditPullRequest replaces the title and description of an open pull
// request.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	pr, err := f.Get(ctx, number)
	if err != nil {
		return err
	}
	if pr.State != slipway.PROpen {
		return slipway.Errorf(slipway.ECONFLICT, "github: pull request #%d is %s: it cannot be edited", number, pr.State)
	}
	if pr.Title == title && pr.Body == body {
		return nil
	}
	if _, _, err := f.client.PullRequests.Edit(ctx, f.owner, f.repo, number, &gh.PullRequest{Title: gh.Ptr(title), Body: gh.Ptr(body)}); err != nil {
		return f.wrap(err, "edit pull request #%d", number)
	}
	return nil
}

// Relabel adds the labels pull request number lacks (GitHub creates
// unknown ones) and removes those of remove it has; a label already gone
// (404 "Label does not exist") counts as removed.
func (f *Forge) Relabel(ctx context.Context, number int, add, remove []string) error {
	issue, _, err := f.client.Issues.Get(ctx, f.owner, f.repo, number)
	if err != nil {
		return f.wrap(err, "read the labels of pull request #%d", number)
	}
	var missing []string
	for _, l := range add {
		if !hasLabel(issue.Labels, l) {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		if _, _, err := f.client.Issues.AddLabelsToIssue(ctx, f.owner, f.repo, number, missing); err != nil {
			return f.wrap(err, "label pull request #%d", number)
		}
	}
	for _, l := range remove {
		if !hasLabel(issue.Labels, l) {
			continue
		}
		_, err := f.client.Issues.RemoveLabelForIssue(ctx, f.owner, f.repo, number, url.PathEscape(l))
		if status, _ := statusOf(err); err != nil && status != http.StatusNotFound {
			return f.wrap(err, "remove label %q from pull request #%d", l, number)
		}
	}
	return nil
}
