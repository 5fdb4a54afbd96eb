package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway"
)

// The tables the list commands print, the same in local and client mode.

func printHolds(out io.Writer, hs []slipway.Hold) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SERVICE\tDIGEST\tSINCE\tBY\tREASON\tRELEASED")
	for _, h := range hs {
		rel := "-"
		if h.Released != nil {
			rel = h.Released.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Service, h.Digest, h.Created.Format(time.RFC3339), h.By, h.Reason, rel)
	}
	return w.Flush()
}

func printStops(out io.Writer, stops []slipway.Stop) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ENV\tSINCE\tBY\tREASON")
	for _, s := range stops {
		env := s.Env
		if env == "" {
			env = "(all)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", env, s.Since.Format(time.RFC3339), s.By, s.Reason)
	}
	return w.Flush()
}

func printAudit(out io.Writer, es []slipway.AuditEntry) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tAT\tKIND\tSERVICE\tENV\tDIGEST\tCOMMIT\tPR\tAPPROVERS\tVERDICT\tHASH")
	for _, x := range es {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%.12s\t%d\t%v\t%s\t%.12s\n", x.Seq, x.At.Format(time.RFC3339), x.Kind, x.Service, x.Env, slipway.Digest12(x.Digest), x.PinCommit, x.PR, x.Approvers, x.Verdict, x.Hash)
	}
	return w.Flush()
}

func printPromotions(out io.Writer, ps []*slipway.Promotion) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSERVICE\tENV\tRELEASE\tDIGEST\tSTATE\tREASON")
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Service, p.Env, p.Release, slipway.Digest12(p.Digest), p.State, p.Reason)
	}
	return w.Flush()
}

func printBuilds(out io.Writer, bs []*slipway.Build) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSERVICE\tCOMMIT\tIMAGE\tKEY")
	for _, b := range bs {
		fmt.Fprintf(w, "%s\t%s\t%.12s\t%s\t%.12s\n", b.ID, b.Service, b.Commit, b.Ref(), b.KeyID)
	}
	return w.Flush()
}
