package gate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slipway/slipway/window"
)

// Evaluate decides every gate of one promotion, in the order a person reads
// them: stop the line, sync window, approvals, each required check, soak.
func Evaluate(in Input) Evaluation {
	ev := Evaluation{Service: in.Service, Env: in.Env, Digest: in.Digest}
	override, note := usableOverride(in)
	if note != "" {
		ev.Notes = append(ev.Notes, note)
	}
	for _, g := range []Result{stopGate(in), windowGate(in)} {
		if g.Name == "" {
			continue
		}
		if g.State != Pass && override != nil {
			g = overridden(g, override)
			ev.Overridden = override
		}
		ev.Gates = append(ev.Gates, g)
	}
	if g := approvalGate(in); g.Name != "" {
		ev.Gates = append(ev.Gates, g)
	}
	ev.Gates = append(ev.Gates, checkGates(in)...)
	if g := soakGate(in); g.Name != "" {
		ev.Gates = append(ev.Gates, g)
	}
	ev.Open = true
	for _, g := range ev.Gates {
		if g.State != Pass {
			ev.Open = false
		}
	}
	return ev
}

// ValidateOverride says why a break-glass override cannot be accepted, so
// the caller refuses it before recording it.
func ValidateOverride(o Override) error {
	switch {
	case !o.Permitted:
		return errors.New("break-glass override needs the override permission: ask an administrator to grant it")
	case len(strings.Fields(o.Reason)) < 3:
		return errors.New("break-glass override needs a written reason (a sentence, e.g. the incident and why it cannot wait)")
	case o.Digest == "":
		return errors.New("break-glass override must name the digest it lets through")
	}
	return nil
}

func usableOverride(in Input) (*Override, string) {
	o := in.Override
	if o == nil {
		return nil, ""
	}
	if err := ValidateOverride(*o); err != nil {
		return nil, "override by " + o.User + " ignored: " + err.Error()
	}
	if o.Digest != in.Digest {
		return nil, fmt.Sprintf("override by %s ignored: it is for %s, not %s", o.User, short(o.Digest), short(in.Digest))
	}
	return o, ""
}

func overridden(g Result, o *Override) Result {
	at := o.At
	return Result{Name: g.Name, State: Pass, Since: &at,
		Reason: fmt.Sprintf("overridden (break glass) by %s: %q; was: %s", o.User, o.Reason, g.Reason)}
}

func stopGate(in Input) Result {
	var active []Stop
	for _, s := range in.Stops {
		if s.Env == "" || s.Env == in.Env {
			active = append(active, s)
		}
	}
	if len(active) == 0 {
		return Result{}
	}
	sort.SliceStable(active, func(i, j int) bool { return active[i].Since.Before(active[j].Since) })
	s := active[0]
	scope := "everywhere"
	if s.Env != "" {
		scope = "for " + s.Env
	}
	reason := fmt.Sprintf("line stopped %s by %s: %s; lift it to continue", scope, s.By, s.Reason)
	if len(active) > 1 {
		reason += fmt.Sprintf(" (%d stops on)", len(active))
	}
	since := s.Since
	return Result{Name: "stop", State: Wait, Reason: reason, Since: &since}
}

func windowGate(in Input) Result {
	if in.Policy.Windows == nil || len(in.Policy.Windows.Windows) == 0 {
		return Result{}
	}
	d := in.Policy.Windows.Evaluate(window.Query{Target: in.Policy.Target, At: in.Now, Manual: in.Manual, OperationStartedAt: in.OperationStartedAt})
	g := Result{Name: "window", State: Pass, Reason: d.Reason, Since: d.Since, NextChange: d.NextChange}
	if !d.CanSync {
		g.State = Wait
	}
	if d.Error != "" {
		g.Reason = "invalid sync window, fix it to continue: " + d.Error
	}
	return g
}

// approvalGate counts distinct, eligible approvers of this digest that have
// not expired; any rejection of this digest fails the gate. Each person's
// latest decision counts.
func approvalGate(in Input) Result {
	p := in.Policy.Approvals
	if p.Required <= 0 {
		return Result{}
	}
	latest := map[string]Approval{}
	voided := 0
	for _, a := range in.Approvals {
		if a.Digest != in.Digest {
			voided++
			continue
		}
		key := strings.ToLower(a.User)
		if cur, ok := latest[key]; !ok || !a.At.Before(cur.At) {
			latest[key] = a
		}
	}
	var approvers []Approval
	var notes []string
	self, expired, outside := 0, 0, 0
	var rejection *Approval
	for _, a := range sortedByTime(latest) {
		switch {
		case !a.Approve:
			if rejection == nil {
				r := a
				rejection = &r
			}
		case p.ExpiresAfter > 0 && !in.Now.Before(a.At.Add(p.ExpiresAfter)):
			expired++
		case !p.AllowSelfApproval && isSelf(a, in):
			self++
		case len(p.Groups) > 0 && !inAnyGroup(a.Groups, p.Groups):
			outside++
		default:
			approvers = append(approvers, a)
		}
	}
	if rejection != nil {
		at := rejection.At
		reason := "rejected by " + rejection.User
		if rejection.Comment != "" {
			reason += ": " + rejection.Comment
		}
		return Result{Name: "approvals", State: Fail, Reason: reason + "; a new digest is needed", Since: &at}
	}
	for _, c := range []struct {
		n    int
		what string
	}{{voided, "for another digest"}, {expired, "expired"}, {self, "self-approval"}, {outside, "outside " + groupWords(p.Groups)}} {
		if c.n > 0 {
			notes = append(notes, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	ignored := ""
	if len(notes) > 0 {
		ignored = " (not counted: " + strings.Join(notes, ", ") + ")"
	}
	if len(approvers) >= p.Required {
		// Passing since the approval that reached the quorum; it ends when
		// enough approvals expire to drop below it.
		since := approvers[p.Required-1].At
		g := Result{Name: "approvals", State: Pass, Since: &since,
			Reason: fmt.Sprintf("%d of %d approvals: %s", len(approvers), p.Required, names(approvers)) + ignored}
		if p.ExpiresAfter > 0 {
			end := approvers[len(approvers)-p.Required].At.Add(p.ExpiresAfter)
			g.NextChange = &end
		}
		return g
	}
	missing := p.Required - len(approvers)
	reason := fmt.Sprintf("needs %d more approval%s", missing, plural(missing))
	if len(p.Groups) > 0 {
		reason += " from " + groupWords(p.Groups)
	}
	if len(approvers) > 0 {
		reason += fmt.Sprintf(" (%d of %d: %s)", len(approvers), p.Required, names(approvers))
	}
	g := Result{Name: "approvals", State: Wait, Reason: reason + ignored}
	if !in.RequestedAt.IsZero() {
		since := in.RequestedAt
		g.Since = &since
	}
	if p.ExpiresAfter > 0 && len(approvers) > 0 {
		// The count drops further when the oldest counted approval expires.
		end := approvers[0].At.Add(p.ExpiresAfter)
		g.NextChange = &end
	}
	return g
}

func sortedByTime(m map[string]Approval) []Approval {
	out := make([]Approval, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].User < out[j].User
	})
	return out
}

// isSelf: the approver is the requester or an author, committer or
// co-author of a commit in the release, under any of their identities.
func isSelf(a Approval, in Input) bool {
	ids := append([]string{a.User}, a.Aliases...)
	people := append([]string{in.Requester}, in.People...)
	for _, id := range ids {
		for _, p := range people {
			if SamePerson(id, p) {
				return true
			}
		}
	}
	return false
}

// SamePerson compares identities case-insensitively, ignoring a display
// name around an email ("Ann <ann@x.org>"). It is the one definition of
// "self" that the engine's early refusal and Evaluate share.
func SamePerson(a, b string) bool {
	a, b = identity(a), identity(b)
	return a != "" && a == b
}

func identity(s string) string {
	s = strings.TrimSpace(s)
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		s = s[i+1 : j]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

func inAnyGroup(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

func groupWords(groups []string) string {
	if len(groups) == 1 {
		return "group " + groups[0]
	}
	return "groups " + strings.Join(groups, " or ")
}

func names(as []Approval) string {
	ns := make([]string, len(as))
	for i, a := range as {
		ns[i] = a.User
	}
	return strings.Join(ns, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// checkGates: per required check, the newest result for this digest
// decides; a failure holds until a newer passing result.
func checkGates(in Input) []Result {
	var out []Result
	for _, check := range in.Policy.RequiredChecks {
		var newest *Verification
		for i := range in.Verifications {
			v := &in.Verifications[i]
			if v.Check != check || v.Digest != in.Digest {
				continue
			}
			if newest == nil || v.At.After(newest.At) {
				newest = v
			}
		}
		g := Result{Name: "check " + check}
		switch {
		case newest == nil:
			g.State = Wait
			g.Reason = fmt.Sprintf("no %s result for %s in %s yet", check, short(in.Digest), in.SourceEnv)
			if !in.RequestedAt.IsZero() {
				since := in.RequestedAt
				g.Since = &since
			}
		case newest.Passed:
			at := newest.At
			g.State, g.Since = Pass, &at
			g.Reason = check + " passed" + url(newest.URL)
		default:
			at := newest.At
			g.State, g.Since = Fail, &at
			g.Reason = check + " failed" + url(newest.URL) + "; needs a newer passing result"
		}
		out = append(out, g)
	}
	return out
}

func url(u string) string {
	if u == "" {
		return ""
	}
	return " (" + u + ")"
}

// soakGate: the digest has occupied SourceEnv continuously for Soak.
func soakGate(in Input) Result {
	soak := in.Policy.Soak
	if soak <= 0 {
		return Result{}
	}
	g := Result{Name: "soak"}
	if in.PinnedAt == nil {
		g.State = Wait
		g.Reason = fmt.Sprintf("%s is not running in %s, so it cannot soak", short(in.Digest), in.SourceEnv)
		return g
	}
	done := in.PinnedAt.Add(soak)
	if !in.Now.Before(done) {
		g.State, g.Since = Pass, &done
		g.Reason = fmt.Sprintf("soaked %s in %s", Duration(in.Now.Sub(*in.PinnedAt)), in.SourceEnv)
		return g
	}
	pinned := *in.PinnedAt
	g.State, g.Since, g.NextChange = Wait, &pinned, &done
	g.Reason = fmt.Sprintf("soak done in %s (%s of %s in %s)", Duration(done.Sub(in.Now)), Duration(in.Now.Sub(pinned)), Duration(soak), in.SourceEnv)
	return g
}

// short is the first 12 hex digits of a digest, as in branch names.
func short(d string) string {
	hex := strings.TrimPrefix(d, "sha256:")
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// Duration formats d for people: "3h12m", "2d4h", "45s". Waiting times are
// rounded up so that "done in 1m" never means "already done".
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d <= 59*time.Second {
		return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second))
	}
	mins := int((d + time.Minute - 1) / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if m > 0 && days == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}
