package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/versioning"
)

// ReleaseWhy says where a service's next release stands: its mode, the
// release pull request and what it waits on, the latest release.
type ReleaseWhy struct {
	Service string `json:"service"`
	Mode    string `json:"mode"`
	// State is open (a release pull request waits to be merged), waiting
	// (merged; the tag waits for the build of the merge commit), idle.
	State string   `json:"state"`
	Lines []string `json:"lines"`
}

// Text renders the report for `slipway why --release`.
func (w *ReleaseWhy) Text() string {
	return fmt.Sprintf("%s releases by %s\n  %s\n", w.Service, w.Mode, strings.Join(w.Lines, "\n  "))
}

// Why explains what the next release of service waits on. It changes
// nothing (it reads the forge and the remote-tracking refs as they are).
func (r *Releaser) Why(ctx context.Context, service string) (*ReleaseWhy, error) {
	svc, err := r.Cfg.Service(service)
	if err != nil {
		return nil, invalid("%v", err)
	}
	w := &ReleaseWhy{Service: svc.Name, Mode: r.Cfg.ReleaseOf(svc).Mode, State: "idle"}
	if w.Mode == config.ReleasePullRequest {
		w.Mode = "pull request (release.mode: pull-request)"
		if err := r.whyPR(ctx, svc, w); err != nil {
			return nil, err
		}
	} else {
		w.Mode = "tag (release.mode: tag)"
		w.Lines = append(w.Lines, fmt.Sprintf("next: slipway release --service %s --build ID tags a registered build", svc.Name))
	}
	rels, err := r.Store.Releases.Releases(ctx, svc.Name)
	if err != nil {
		return nil, err
	}
	if len(rels) > 0 {
		w.Lines = append(w.Lines, fmt.Sprintf("latest: %s (build %s, commit %s, %s)", rels[0].Tag, rels[0].BuildID, short(rels[0].Commit), rels[0].Created.Format("2006-01-02 15:04Z")))
	} else {
		w.Lines = append(w.Lines, "latest: none released yet")
	}
	return w, nil
}

func (r *Releaser) whyPR(ctx context.Context, svc *config.Service, w *ReleaseWhy) error {
	groups, err := r.prGroups([]string{svc.Name})
	if err != nil {
		return err
	}
	if r.Forge == nil {
		w.Lines = append(w.Lines, "no app forge is configured (app.forge): release pull requests cannot be kept")
		return nil
	}
	for _, g := range groups {
		pr, err := r.Forge.Find(ctx, g.branch)
		if slipway.ErrorCode(err) == slipway.ENOTFOUND {
			w.Lines = append(w.Lines, fmt.Sprintf("no release pull request on %s yet: slipway release --service %s opens one when something is releasable", g.branch, svc.Name))
			continue
		}
		if err != nil {
			return forgeError(err)
		}
		switch {
		case pr.State == slipway.PROpen:
			w.State = "open"
			w.Lines = append(w.Lines, fmt.Sprintf("open: pull request #%d %q (%s at %s): merge it to release", pr.Number, pr.Title, g.branch, short(pr.HeadSHA)))
		case pr.State == slipway.PRMerged && hasLabel(pr.Labels, versioning.LabelPending):
			for _, m := range g.members {
				if m.svc.Name != svc.Name {
					continue
				}
				mr, err := r.mergedSection(ctx, m, pr)
				if err != nil || mr == nil {
					return err
				}
				builds, err := r.buildsAt(ctx, svc.Name, pr.MergeSHA)
				if err != nil {
					return err
				}
				if len(builds) == 0 {
					w.State = "waiting"
					w.Lines = append(w.Lines, "waiting: "+WaitingRelease{Service: svc.Name, Version: mr.version, PR: pr.Number, MergeSHA: pr.MergeSHA}.String())
				} else {
					w.State = "waiting"
					w.Lines = append(w.Lines, fmt.Sprintf("ready: pull request #%d merged as %s and build %s of it is registered: slipway release --service %s tags %s", pr.Number, short(pr.MergeSHA), builds[0].ID, svc.Name, mr.version))
				}
			}
		default:
			w.Lines = append(w.Lines, fmt.Sprintf("last release pull request: #%d, %s; slipway release --service %s opens the next one when something is releasable", pr.Number, pr.State, svc.Name))
		}
	}
	return nil
}
