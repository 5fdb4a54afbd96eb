// Package forgetest is the contract every hosted forge adapter must meet,
// and the in-memory repository its fake server is built on.
//
// No GitHub, GitLab or Gitea server runs in Slipway's tests, so each
// adapter's tests start an httptest server that plays that forge's real
// REST API (paths, methods, headers, JSON bodies, pagination and error
// bodies as the forge documents them) over a World: the branches and pull
// requests of one repository. The contract suite (Run) drives the adapter
// through a full promotion and every failure Slipway must report, while it
// changes the World behind the adapter's back the way people and the forge
// itself do (a force-push, a review, a person closing the pull request).
package forgetest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway"
)

// Bot is the identity of the API token: the author of pull requests opened
// through the adapter and the user of merges it makes.
const Bot = "slipway-bot"

// Repo is the World's repository (owner/name; the GitLab project path).
const Repo = "acme/gitops"

// Epoch is the World's first instant; every change ticks one second.
var Epoch = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// World is one repository on a fake forge. Its zero value is not usable:
// call NewWorld.
type World struct {
	mu sync.Mutex
	s  State
}

// State is the World's data, read and changed under the World's lock
// (World.Update). Fakes render it; the suite mutates it.
type State struct {
	Repo        string            // owner/name, also the GitLab project path
	ProjectID   int               // GitLab's numeric project ID
	Branches    map[string]string // name -> head SHA
	PRs         []*PR             // PRs[i].Number == i+1
	Users       map[string]int    // login -> numeric ID, assigned on first sight
	Labels      []Label           // repository labels (Gitea needs IDs)
	Faults      []Fault
	Requests    []Request
	BeforeMerge func(s *State, pr *PR) // runs inside a merge request, before the forge's checks
	// ConflictOnMerge makes the forge find the conflict only when it tries
	// to merge (its mergeability check was stale).
	ConflictOnMerge bool
	// ClosesOnBranchDelete: deleting a head branch closes its open pull
	// requests (GitHub and Gitea do; GitLab keeps them open).
	ClosesOnBranchDelete bool
	// Releases are the release pages of the repository (GitHub Releases,
	// GitLab and Gitea releases), oldest first.
	Releases []*Release
	// Git, when set, is a bare repository on disk whose branches are the
	// World's: the fake reads them before every request (SyncGit), so an
	// end-to-end test pushes with real git and the API sees it.
	Git string
	seq int
	now time.Time
}

// PR is a pull request (merge request on GitLab).
type PR struct {
	Number    int
	Branch    string
	Base      string
	Title     string
	Body      string
	Labels    []string
	Reviewers []string
	Author    string
	State     string // slipway.PROpen, PRMerged, PRClosed
	HeadSHA   string
	MergeSHA  string
	MergedBy  string
	ClosedBy  string
	Conflict  bool
	Reviews   []Review
	Comments  []Comment
	Versions  []Version // one per head the pull request has had, oldest first
	Created   time.Time
	Updated   time.Time
	ClosedAt  time.Time
}

// Review is a person's verdict at the head they saw.
type Review struct {
	ID        int
	User      string
	State     string // approved, changes_requested, commented
	CommitSHA string
	Body      string
	At        time.Time
	Dismissed bool
	// DismissedAt is when it was dismissed (GitLab: the unapproval note).
	DismissedAt time.Time
}

// Comment is a comment on the pull request's conversation.
type Comment struct {
	ID   int
	User string
	Body string
	At   time.Time
}

// Version is a head of the pull request and when the forge saw it.
type Version struct {
	ID  int
	SHA string
	At  time.Time
}

// Label is a repository label.
type Label struct {
	ID    int
	Name  string
	Color string
}

// NewWorld returns a repository with a main branch.
func NewWorld() *World {
	w := &World{s: State{
		Repo:      Repo,
		ProjectID: 42,
		Branches:  map[string]string{},
		Users:     map[string]int{},
		now:       Epoch,
	}}
	w.s.Branches["main"] = w.s.NewSHA()
	w.s.UserID(Bot)
	return w
}

// Update runs fn with the World locked.
func (w *World) Update(fn func(s *State)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn(&w.s)
}

// Snapshot returns a copy of pull request n (nil if none).
func (w *World) Snapshot(n int) *PR {
	var out *PR
	w.Update(func(s *State) {
		if pr := s.PR(n); pr != nil {
			c := *pr
			c.Labels = append([]string(nil), pr.Labels...)
			c.Reviewers = append([]string(nil), pr.Reviewers...)
			c.Reviews = append([]Review(nil), pr.Reviews...)
			c.Comments = append([]Comment(nil), pr.Comments...)
			c.Versions = append([]Version(nil), pr.Versions...)
			out = &c
		}
	})
	return out
}

// Push moves branch to a new commit (creating it), as a person pushing or
// force-pushing does, and returns the new head.
func (w *World) Push(branch string) string {
	var sha string
	w.Update(func(s *State) { sha = s.Push(branch) })
	return sha
}

// Head returns a branch's head ("" when it does not exist).
func (w *World) Head(branch string) string {
	var sha string
	w.Update(func(s *State) { sha = s.Branches[branch] })
	return sha
}

// DeleteBranch deletes branch as user.
func (w *World) DeleteBranch(branch, user string) {
	w.Update(func(s *State) { s.DeleteBranch(branch, user) })
}

// AddReview records a review of pull request n by user at its current head.
func (w *World) AddReview(n int, user, state string) {
	w.Update(func(s *State) {
		pr := s.MustPR(n)
		s.UserID(user)
		pr.Reviews = append(pr.Reviews, Review{ID: s.next(), User: user, State: state, CommitSHA: pr.HeadSHA, At: s.Tick()})
	})
}

// Dismiss dismisses user's latest review of n (GitLab: the user unapproves).
func (w *World) Dismiss(n int, user string) {
	w.Update(func(s *State) {
		pr := s.MustPR(n)
		for i := len(pr.Reviews) - 1; i >= 0; i-- {
			if pr.Reviews[i].User == user {
				pr.Reviews[i].Dismissed, pr.Reviews[i].DismissedAt = true, s.Tick()
				return
			}
		}
	})
}

// CloseBy closes pull request n as a person would, without merging.
func (w *World) CloseBy(n int, user string) {
	w.Update(func(s *State) { s.Close(s.MustPR(n), user) })
}

// MergeBy merges pull request n as a person would, in the forge's UI.
func (w *World) MergeBy(n int, user string) string {
	var sha string
	w.Update(func(s *State) { sha = s.Merge(s.MustPR(n), user) })
	return sha
}

// SetConflict marks n as (not) merging cleanly into its base.
func (w *World) SetConflict(n int, conflict bool) {
	w.Update(func(s *State) { s.MustPR(n).Conflict = conflict })
}

// Inject queues a fault the fake answers with before handling requests.
func (w *World) Inject(f Fault) {
	w.Update(func(s *State) {
		if f.Times == 0 {
			f.Times = 1
		}
		s.Faults = append(s.Faults, f)
	})
}

// Log returns the requests the fake received, in order.
func (w *World) Log() []Request {
	var out []Request
	w.Update(func(s *State) { out = append(out, s.Requests...) })
	return out
}

// Tick advances the clock one second and returns the new time.
func (s *State) Tick() time.Time {
	s.now = s.now.Add(time.Second)
	return s.now
}

// Now is the World's current time.
func (s *State) Now() time.Time { return s.now }

func (s *State) next() int {
	s.seq++
	return s.seq
}

// NewSHA returns a fresh commit SHA.
func (s *State) NewSHA() string {
	sum := sha1.Sum([]byte(fmt.Sprintf("commit %d", s.next())))
	return hex.EncodeToString(sum[:])
}

// UserID returns login's numeric ID, assigning one on first sight.
func (s *State) UserID(login string) int {
	if id, ok := s.Users[login]; ok {
		return id
	}
	id := 100 + len(s.Users)
	s.Users[login] = id
	return id
}

// UserByID returns the login of a numeric ID.
func (s *State) UserByID(id int) (string, bool) {
	for login, uid := range s.Users {
		if uid == id {
			return login, true
		}
	}
	return "", false
}

// Push moves branch to a new commit; open pull requests of that branch
// follow it.
func (s *State) Push(branch string) string {
	sha := s.NewSHA()
	s.Branches[branch] = sha
	at := s.Tick()
	for _, pr := range s.PRs {
		if pr.Branch == branch && pr.State == slipway.PROpen {
			pr.HeadSHA, pr.Updated = sha, at
			pr.Versions = append(pr.Versions, Version{ID: s.next(), SHA: sha, At: at})
		}
	}
	return sha
}

// DeleteBranch removes a branch, closing its open pull requests where the
// forge does.
func (s *State) DeleteBranch(branch, user string) {
	delete(s.Branches, branch)
	if !s.ClosesOnBranchDelete {
		return
	}
	for _, pr := range s.PRs {
		if pr.Branch == branch && pr.State == slipway.PROpen {
			s.Close(pr, user)
		}
	}
}

// PR returns pull request n or nil.
func (s *State) PR(n int) *PR {
	if n < 1 || n > len(s.PRs) {
		return nil
	}
	return s.PRs[n-1]
}

// MustPR returns pull request n or panics (a broken test).
func (s *State) MustPR(n int) *PR {
	pr := s.PR(n)
	if pr == nil {
		panic(fmt.Sprintf("forgetest: no pull request #%d", n))
	}
	return pr
}

// OpenPRFor returns the open pull request of branch into base ("" any base).
func (s *State) OpenPRFor(branch, base string) *PR {
	for _, pr := range s.PRs {
		if pr.Branch == branch && pr.State == slipway.PROpen && (base == "" || pr.Base == base) {
			return pr
		}
	}
	return nil
}

// Create opens a pull request, as the forge's create endpoint does after
// its checks (which each fake makes in its own words).
func (s *State) Create(branch, base, title, body, author string) *PR {
	at := s.Tick()
	pr := &PR{
		Number: len(s.PRs) + 1, Branch: branch, Base: base, Title: title, Body: body,
		Author: author, State: slipway.PROpen, HeadSHA: s.Branches[branch], Created: at, Updated: at,
	}
	pr.Versions = []Version{{ID: s.next(), SHA: pr.HeadSHA, At: at}}
	s.PRs = append(s.PRs, pr)
	return pr
}

// Merge merges pr into its base with a new merge commit.
func (s *State) Merge(pr *PR, user string) string {
	sha := s.NewSHA()
	s.Branches[pr.Base] = sha
	pr.State, pr.MergeSHA, pr.MergedBy = slipway.PRMerged, sha, user
	pr.Updated = s.Tick()
	pr.ClosedAt = pr.Updated
	return sha
}

// Close closes pr without merging.
func (s *State) Close(pr *PR, user string) {
	pr.State, pr.ClosedBy = slipway.PRClosed, user
	pr.Updated = s.Tick()
	pr.ClosedAt = pr.Updated
}

// AddComment appends a comment by user.
func (s *State) AddComment(pr *PR, user, body string) Comment {
	c := Comment{ID: s.next(), User: user, Body: body, At: s.Tick()}
	pr.Comments = append(pr.Comments, c)
	return c
}

// AddLabels adds labels not already on pr, keeping order.
func (s *State) AddLabels(pr *PR, names ...string) {
	for _, n := range names {
		if !contains(pr.Labels, n) {
			pr.Labels = append(pr.Labels, n)
		}
	}
}

// RequestReviews adds requested reviewers not already requested.
func (s *State) RequestReviews(pr *PR, users ...string) {
	for _, u := range users {
		s.UserID(u)
		if !contains(pr.Reviewers, u) {
			pr.Reviewers = append(pr.Reviewers, u)
		}
	}
}

// Label returns the repository label named name, creating it if asked.
func (s *State) Label(name string, create bool) (Label, bool) {
	for _, l := range s.Labels {
		if strings.EqualFold(l.Name, name) {
			return l, true
		}
	}
	if !create {
		return Label{}, false
	}
	l := Label{ID: s.next(), Name: name, Color: "ededed"}
	s.Labels = append(s.Labels, l)
	return l, true
}

// LabelByID returns the label with id.
func (s *State) LabelByID(id int) (Label, bool) {
	for _, l := range s.Labels {
		if l.ID == id {
			return l, true
		}
	}
	return Label{}, false
}

// Newest returns pull requests matching keep, newest first.
func (s *State) Newest(keep func(*PR) bool) []*PR {
	var out []*PR
	for _, pr := range s.PRs {
		if keep(pr) {
			out = append(out, pr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Number > out[j].Number })
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
