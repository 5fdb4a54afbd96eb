package forgetest

import (
	"os/exec"
	"strings"
	"time"

	"github.com/slipway/slipway"
)

// Release is a release page of the World's repository.
type Release struct {
	ID         int
	Tag        string
	Commit     string
	Name       string
	Body       string
	Prerelease bool
	Author     string
	Created    time.Time
	Updated    time.Time
}

// ReleaseByTag returns the page of tag, or nil.
func (s *State) ReleaseByTag(tag string) *Release {
	for _, r := range s.Releases {
		if r.Tag == tag {
			return r
		}
	}
	return nil
}

// ReleaseByID returns the page with id, or nil.
func (s *State) ReleaseByID(id int) *Release {
	for _, r := range s.Releases {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// CreateRelease records a page, as the forge's create endpoint does after
// its checks.
func (s *State) CreateRelease(tag, commit, name, body string, pre bool, author string) *Release {
	at := s.Tick()
	r := &Release{ID: 7000 + s.next(), Tag: tag, Commit: commit, Name: name, Body: body, Prerelease: pre, Author: author, Created: at, Updated: at}
	s.Releases = append(s.Releases, r)
	return r
}

// RemoveLabels takes names off pr (case-insensitive, as the forges match).
func (s *State) RemoveLabels(pr *PR, names ...string) {
	var keep []string
	for _, l := range pr.Labels {
		drop := false
		for _, n := range names {
			drop = drop || strings.EqualFold(l, n)
		}
		if !drop {
			keep = append(keep, l)
		}
	}
	pr.Labels = keep
}

// ReleasePages returns copies of the release pages, oldest first.
func (w *World) ReleasePages() []Release {
	var out []Release
	w.Update(func(s *State) {
		for _, r := range s.Releases {
			out = append(out, *r)
		}
	})
	return out
}

// MergeWith records that a person merged pull request n into its base as
// commit sha (made with real git in the repository State.Git names).
func (w *World) MergeWith(n int, user, sha string) {
	w.Update(func(s *State) {
		pr := s.MustPR(n)
		s.Branches[pr.Base] = sha
		pr.State, pr.MergeSHA, pr.MergedBy = slipway.PRMerged, sha, user
		pr.Updated = s.Tick()
		pr.ClosedAt = pr.Updated
	})
}

// SyncGit reads the branches of the bare repository s.Git into Branches;
// open pull requests follow their branch's new tip, as a forge sees a push.
// Without Git it does nothing.
func (s *State) SyncGit() {
	if s.Git == "" {
		return
	}
	out, err := exec.Command("git", "-C", s.Git, "for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/heads").Output()
	if err != nil {
		return
	}
	branches := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, sha, ok := strings.Cut(line, " "); ok {
			branches[name] = sha
		}
	}
	s.Branches = branches
	for _, pr := range s.PRs {
		if sha := branches[pr.Branch]; pr.State == slipway.PROpen && sha != "" && sha != pr.HeadSHA {
			at := s.Tick()
			pr.HeadSHA, pr.Updated = sha, at
			pr.Versions = append(pr.Versions, Version{ID: s.next(), SHA: sha, At: at})
		}
	}
}
