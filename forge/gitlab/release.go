package gitlab

import (
	"context"
	"net/http"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/slipway/slipway"
)

var (
	_ slipway.ReleaseHost       = (*Forge)(nil)
	_ slipway.PullRequestEditor = (*Forge)(nil)
)

// FindRelease reads the release of tag (GET
// /projects/:id/releases/:tag_name; 404 when the tag has none).
func (f *Forge) FindRelease(ctx context.Context, tag string) (*slipway.ForgeRelease, error) {
	r, _, err := f.client.Releases.GetRelease(f.pid, tag, gl.WithContext(ctx))
	if err != nil {
		return nil, f.wrap(err, "read the release of tag %s", tag)
	}
	return releaseOf(r), nil
}

// CreateRelease publishes the release of an already pushed tag (ref names
// its commit, which GitLab uses only when the tag is missing). GitLab's
// 409 "Release already exists" is ECONFLICT. GitLab releases have no
// prerelease flag: the version's prerelease part in the name says it.
func (f *Forge) CreateRelease(ctx context.Context, in *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	opt := &gl.CreateReleaseOptions{TagName: gl.Ptr(in.Tag), Name: gl.Ptr(in.Name), Description: gl.Ptr(in.Notes)}
	if in.Commit != "" {
		opt.Ref = gl.Ptr(in.Commit)
	}
	r, _, err := f.client.Releases.CreateRelease(f.pid, opt, gl.WithContext(ctx))
	if err != nil {
		if status, _ := statusOf(err); status == http.StatusConflict {
			return nil, slipway.Errorf(slipway.ECONFLICT, "gitlab: tag %s already has a release in %s", in.Tag, f.pid)
		}
		return nil, f.wrap(err, "create the release of tag %s", in.Tag)
	}
	return releaseOf(r), nil
}

// UpdateRelease replaces the name and notes of the release of in.Tag (PUT
// /projects/:id/releases/:tag_name).
func (f *Forge) UpdateRelease(ctx context.Context, in *slipway.ForgeRelease) (*slipway.ForgeRelease, error) {
	r, _, err := f.client.Releases.UpdateRelease(f.pid, in.Tag, &gl.UpdateReleaseOptions{Name: gl.Ptr(in.Name), Description: gl.Ptr(in.Notes)}, gl.WithContext(ctx))
	if err != nil {
		return nil, f.wrap(err, "update the release of tag %s", in.Tag)
	}
	return releaseOf(r), nil
}

func releaseOf(r *gl.Release) *slipway.ForgeRelease {
	return &slipway.ForgeRelease{Tag: r.TagName, Commit: r.Commit.ID, Name: r.Name, Notes: r.Description, URL: r.Links.Self}
}

// EditPullRequest replaces the title and description of an open merge
// request.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	pr, err := f.Get(ctx, number)
	if err != nil {
		return err
	}
	if pr.State != slipway.PROpen {
		return slipway.Errorf(slipway.ECONFLICT, "gitlab: merge request !%d is %s: it cannot be edited", number, pr.State)
	}
	if pr.Title == title && pr.Body == body {
		return nil
	}
	opt := &gl.UpdateMergeRequestOptions{Title: gl.Ptr(title), Description: gl.Ptr(body)}
	if _, _, err := f.client.MergeRequests.UpdateMergeRequest(f.pid, int64(number), opt, gl.WithContext(ctx)); err != nil {
		return f.wrap(err, "edit merge request !%d", number)
	}
	return nil
}

// Relabel adds and removes labels in one update (add_labels,
// remove_labels), sending only what changes.
func (f *Forge) Relabel(ctx context.Context, number int, add, remove []string) error {
	pr, err := f.Get(ctx, number)
	if err != nil {
		return err
	}
	var opt gl.UpdateMergeRequestOptions
	var adding, removing []string
	for _, l := range add {
		if !containsFold(pr.Labels, l) {
			adding = append(adding, l)
		}
	}
	for _, l := range remove {
		if containsFold(pr.Labels, l) {
			removing = append(removing, l)
		}
	}
	if len(adding) == 0 && len(removing) == 0 {
		return nil
	}
	if len(adding) > 0 {
		opt.AddLabels = gl.Ptr(gl.LabelOptions(adding))
	}
	if len(removing) > 0 {
		opt.RemoveLabels = gl.Ptr(gl.LabelOptions(removing))
	}
	if _, _, err := f.client.MergeRequests.UpdateMergeRequest(f.pid, int64(number), &opt, gl.WithContext(ctx)); err != nil {
		return f.wrap(err, "relabel merge request !%d", number)
	}
	return nil
}
