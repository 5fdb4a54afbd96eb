package api

import (
	"github.com/slipway/slipway"
)

func toBuild(b *slipway.Build) Build {
	return Build{ID: b.ID, Service: b.Service, Commit: b.Commit, Image: b.Image, Digest: b.Digest, KeyID: b.KeyID, Created: b.Created,
		SignatureDigest: b.SignatureDigest, SBOMDigest: b.SBOMDigest, Builder: b.Builder, Platforms: nonNil(b.Platforms), RekorEntry: b.RekorEntry}
}

func toRelease(r *slipway.Release) Release {
	return Release{Service: r.Service, Version: r.Version, Tag: r.Tag, BuildID: r.BuildID, Commit: r.Commit, Notes: r.Notes, Authors: nonNil(r.Authors), Created: r.Created}
}

func toPromotion(p *slipway.Promotion) Promotion {
	return Promotion{ID: p.ID, Service: p.Service, Env: p.Env, BuildID: p.BuildID, Digest: p.Digest, Release: p.Release, Requester: p.Requester,
		Expedited: p.Expedited, State: string(p.State), Reason: p.Reason, PinCommit: p.PinCommit, PR: p.PR, Branch: p.Branch, Head: p.Head,
		Revert: p.Revert, Created: p.Created, Updated: p.Updated}
}

func toApproval(a slipway.Approval) Approval {
	return Approval{User: a.User, Digest: a.Digest, Approve: a.Approve, Comment: a.Comment, At: a.At}
}

func toVerification(v slipway.Verification) Verification {
	return Verification{Service: v.Service, Env: v.Env, Check: v.Check, Digest: v.Digest, Passed: v.Passed, URL: v.URL, At: v.At}
}

func toHold(h slipway.Hold) Hold {
	return Hold{ID: h.ID, Service: h.Service, Digest: h.Digest, Reason: h.Reason, By: h.By, Created: h.Created, Released: h.Released}
}

func toToken(t slipway.Token) Token {
	return Token{ID: t.ID, Name: t.Name, Kind: t.Kind, Owner: t.Owner, Service: t.Service, CreatedBy: t.CreatedBy, Created: t.Created,
		Expires: t.Expires, LastUsed: t.LastUsed, Revoked: t.Revoked}
}

func toNotification(n slipway.Notification) Notification {
	return Notification{ID: n.ID, Receiver: n.Receiver, Notice: n.Notice, Attempts: n.Attempts, NextAttempt: n.NextAttempt,
		LastError: n.LastError, Delivered: n.Delivered, Failed: n.Failed}
}

// mapAll converts a list, never returning nil (JSON lists are [] not null).
func mapAll[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, x := range in {
		out = append(out, f(x))
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
