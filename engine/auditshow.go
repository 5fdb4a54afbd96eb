package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/tlog"
)

// ReleaseChain is the evidence behind one release, from its build to the
// transparency log: what `slipway audit show` prints.
type ReleaseChain struct {
	Service string       `json:"service"`
	Release string       `json:"release"`
	Build   ChainBuild   `json:"build"`
	Changes []ChainEntry `json:"changes"` // every audited change of its digest, oldest first
}

// ChainBuild is what intake verified.
type ChainBuild struct {
	ID              string    `json:"id"`
	Commit          string    `json:"commit"`
	Image           string    `json:"image"` // repo@digest
	Created         time.Time `json:"created"`
	Signer          string    `json:"signer"`
	SignerKind      string    `json:"signerKind"` // key or keyless
	SignatureDigest string    `json:"signatureDigest,omitempty"`
	SBOMDigest      string    `json:"sbomDigest,omitempty"`
	Builder         string    `json:"builder,omitempty"`
	Platforms       []string  `json:"platforms,omitempty"`
	RekorEntry      string    `json:"rekorEntry,omitempty"`
}

// ChainEntry is one audited change and its leaf.
type ChainEntry struct {
	Seq          int64           `json:"seq"`
	Kind         string          `json:"kind"`
	Env          string          `json:"env"`
	At           time.Time       `json:"at"`
	PromotionID  string          `json:"promotion"`
	Approvals    []ChainApproval `json:"approvals"`
	PinCommit    string          `json:"pinCommit,omitempty"`
	PR           int             `json:"pr,omitempty"`
	PRHead       string          `json:"prHead,omitempty"`
	Verdict      string          `json:"verdict,omitempty"`
	Measurements string          `json:"measurements,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Leaf         *ChainLeaf      `json:"leaf,omitempty"`
	LeafError    string          `json:"leafError,omitempty"` // why there is no proven leaf
}

// ChainApproval is one approval of the digest.
type ChainApproval struct {
	User    string    `json:"user"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// ChainLeaf is the entry's leaf, its inclusion proven against the log's
// signed checkpoint (tlog.Prove).
type ChainLeaf struct {
	Index    uint64 `json:"index"`
	LeafHash string `json:"leafHash"`
	TreeSize uint64 `json:"treeSize"`
	Root     string `json:"root"`
}

// ReleaseChain assembles the chain of a service's release (tag v1.2.3, or
// its version 1.2.3): build, signature, SBOM, provenance, and each audited
// change of its digest with approvals, pin commit, pull request, analysis
// and the transparency-log leaf with its inclusion proof.
func (e *Engine) ReleaseChain(ctx context.Context, service, release string) (*ReleaseChain, error) {
	if _, err := e.Cfg.Service(service); err != nil {
		return nil, invalid("%v", err)
	}
	rel, err := e.findRelease(ctx, service, release)
	if err != nil {
		return nil, err
	}
	b, err := e.Store.Builds.Build(ctx, rel.BuildID)
	if err != nil {
		return nil, err
	}
	c := &ReleaseChain{Service: service, Release: rel.Tag, Build: ChainBuild{
		ID: b.ID, Commit: b.Commit, Image: b.Ref(), Created: b.Created, Signer: b.KeyID, SignerKind: "key",
		SignatureDigest: b.SignatureDigest, SBOMDigest: b.SBOMDigest, Builder: b.Builder, Platforms: b.Platforms, RekorEntry: b.RekorEntry,
	}}
	if strings.HasSuffix(b.KeyID, ")") {
		c.Build.SignerKind = "keyless" // intake names keyless signers "subject (issuer)"
	}
	entries, err := e.Store.Audit.AuditEntries(ctx)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if x := &entries[i]; x.Service == service && x.Digest == b.Digest {
			ce, err := e.chainEntry(ctx, x)
			if err != nil {
				return nil, err
			}
			c.Changes = append(c.Changes, ce)
		}
	}
	return c, nil
}

func (e *Engine) findRelease(ctx context.Context, service, release string) (*slipway.Release, error) {
	if r, err := e.Store.Releases.Release(ctx, service, release); err == nil {
		return r, nil
	}
	rs, err := e.Store.Releases.Releases(ctx, service)
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, r := range rs {
		if r.Version == strings.TrimPrefix(release, "v") {
			return r, nil
		}
		tags = append(tags, r.Tag)
	}
	return nil, slipway.Errorf(slipway.ENOTFOUND, "%s has no release %q (its releases: %s)", service, release, dash(strings.Join(tags, ", ")))
}

func (e *Engine) chainEntry(ctx context.Context, x *slipway.AuditEntry) (ChainEntry, error) {
	ce := ChainEntry{Seq: x.Seq, Kind: x.Kind, Env: x.Env, At: x.At, PromotionID: x.PromotionID, PinCommit: x.PinCommit, PR: x.PR, Reason: x.Verdict, Approvals: []ChainApproval{}}
	leaf, err := e.leafOf(ctx, x)
	if err != nil {
		ce.LeafError = err.Error()
		return ce, nil
	}
	ce.Env, ce.PromotionID, ce.PRHead, ce.Verdict, ce.Measurements = leaf.Env, leaf.PromotionID, leaf.PRHead, leaf.Verdict, leaf.Measurements
	approvals, err := e.Store.Gates.Approvals(ctx, leaf.PromotionID)
	if err != nil {
		return ce, err
	}
	for _, a := range approvals {
		if a.Approve && a.Digest == x.Digest {
			ce.Approvals = append(ce.Approvals, ChainApproval{User: a.User, At: a.At, Comment: a.Comment})
		}
	}
	if e.AuditLog == nil {
		ce.LeafError = "no transparency log is open"
		return ce, nil
	}
	idx, ok, err := e.AuditLog.Find(ctx, leaf)
	switch {
	case err != nil:
		ce.LeafError = err.Error()
	case !ok:
		ce.LeafError = "not in the transparency log: run `slipway audit verify`"
	default:
		p, err := tlog.Prove(ctx, e.AuditLog.Dir(), idx, tlog.VerifyOptions{})
		if err != nil {
			ce.LeafError = err.Error()
			break
		}
		ce.Leaf = &ChainLeaf{Index: idx, LeafHash: hex.EncodeToString(p.LeafHash), TreeSize: p.Size, Root: hex.EncodeToString(p.Root)}
	}
	return ce, nil
}

// Text renders the chain for a terminal.
func (c *ReleaseChain) Text() string {
	var b strings.Builder
	line := func(k, format string, args ...any) { fmt.Fprintf(&b, "%-13s %s\n", k, fmt.Sprintf(format, args...)) }
	bu := c.Build
	line("release", "%s %s", c.Service, c.Release)
	line("build", "%s, commit %s, registered %s", bu.ID, bu.Commit, bu.Created.Format(time.RFC3339))
	line("image", "%s", bu.Image)
	line("signature", "%s %s", bu.SignerKind, dash(bu.Signer))
	line("", "signature manifest %s", dash(bu.SignatureDigest))
	line("", "Rekor entry %s", dash(bu.RekorEntry))
	line("sbom", "%s", dash(bu.SBOMDigest))
	line("builder", "%s", dash(bu.Builder))
	if len(bu.Platforms) > 0 {
		line("platforms", "%s", strings.Join(bu.Platforms, ", "))
	}
	if len(c.Changes) == 0 {
		line("changes", "none audited (it has not reached production)")
	}
	for _, ch := range c.Changes {
		b.WriteString("\n")
		line(ch.Kind, "in %s at %s (audit entry %d, promotion %s)", ch.Env, ch.At.Format(time.RFC3339), ch.Seq, ch.PromotionID)
		var as []string
		for _, a := range ch.Approvals {
			as = append(as, fmt.Sprintf("%s at %s", a.User, a.At.Format(time.RFC3339)))
		}
		line("  approvals", "%s", dash(strings.Join(as, "; ")))
		pr := ""
		if ch.PR != 0 {
			pr = fmt.Sprintf(", pull request #%d, head %s", ch.PR, dash(ch.PRHead))
		}
		label := "  pin commit"
		if ch.Kind == tlog.KindAborted || ch.Kind == tlog.KindRolledBack {
			label = "  revert" // the commit that took the digest out of the pins
		}
		line(label, "%s%s", dash(ch.PinCommit), pr)
		if ch.Verdict != "" || ch.Measurements != "" {
			line("  analysis", "%s, measurements %s", dash(ch.Verdict), dash(ch.Measurements))
		}
		if ch.Reason != "" {
			line("  reason", "%s", ch.Reason)
		}
		if ch.Leaf != nil {
			line("  log", "leaf %d (hash %s), included in the signed tree of %d leaves, root %s", ch.Leaf.Index, ch.Leaf.LeafHash, ch.Leaf.TreeSize, ch.Leaf.Root)
		} else {
			line("  log", "NO PROVEN LEAF: %s", ch.LeafError)
		}
	}
	return b.String()
}

// dash is s, or "-" when empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
