package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/engine"
)

// The client-mode bodies of the everyday commands: the same flags, the
// same output, through the REST API. Commands not listed here refuse to
// run with --server (they would need the store). Lists are decoded into
// the domain types the local commands print (encoding/json matches the
// API's camelCase names to their fields) and printed by the same code.

func str(cmd *cobra.Command, name string) string {
	v, _ := cmd.Flags().GetString(name)
	return v
}

func flagOn(cmd *cobra.Command, name string) bool {
	v, _ := cmd.Flags().GetBool(name)
	return v
}

func printPromotion(out io.Writer, p api.Promotion) {
	fmt.Fprintf(out, "promotion %s: %s (%s)\n", p.ID, p.State, p.Reason)
}

// all reads every page of a list.
func all[T any](ctx context.Context, c *client, path string, q url.Values) ([]T, error) {
	var items []T
	q.Set("limit", "500")
	for {
		var page api.Page[T]
		if err := c.do(ctx, "GET", path+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		if page.Next == "" {
			return items, nil
		}
		q.Set("cursor", page.Next)
	}
}

func init() {
	registerRemote("promote", func(cmd *cobra.Command, _ []string, c *client) error {
		var p api.Promotion
		err := c.do(cmd.Context(), "POST", "/api/v1/promotions", api.PromoteRequest{Service: str(cmd, "service"), Env: str(cmd, "to"), Build: str(cmd, "build"), Release: str(cmd, "release"), Expedite: str(cmd, "expedite")}, &p)
		if err == nil {
			printPromotion(cmd.OutOrStdout(), p)
		}
		return err
	})
	for _, verb := range []string{"approve", "reject"} {
		registerRemote(verb, func(cmd *cobra.Command, _ []string, c *client) error {
			var p api.Promotion
			err := c.do(cmd.Context(), "POST", "/api/v1/promotions/"+url.PathEscape(str(cmd, "promotion"))+"/"+verb, api.DecisionRequest{Comment: str(cmd, "comment")}, &p)
			if err == nil {
				printPromotion(cmd.OutOrStdout(), p)
			}
			return err
		})
	}
	registerRemote("why", func(cmd *cobra.Command, _ []string, c *client) error {
		var rep engine.GateReport
		q := url.Values{"service": {str(cmd, "service")}, "env": {str(cmd, "to")}}
		if err := c.do(cmd.Context(), "GET", "/api/v1/why?"+q.Encode(), nil, &rep); err != nil {
			return err
		}
		if str(cmd, "output") == "json" {
			return printJSON(cmd.OutOrStdout(), rep)
		}
		fmt.Fprint(cmd.OutOrStdout(), rep.Text())
		return nil
	})
	registerRemote("promotions", func(cmd *cobra.Command, _ []string, c *client) error {
		q := url.Values{"service": {str(cmd, "service")}, "env": {str(cmd, "env")}, "active": {fmt.Sprint(!flagOn(cmd, "all"))}}
		ps, err := all[*slipway.Promotion](cmd.Context(), c, "/api/v1/promotions", q)
		if err != nil {
			return err
		}
		slices.Reverse(ps) // oldest first, as the local command
		return printPromotions(cmd.OutOrStdout(), ps)
	})
	registerRemote("verify report", func(cmd *cobra.Command, _ []string, c *client) error {
		status := str(cmd, "status")
		if status != "passed" && status != "failed" {
			return &exitError{code: 2, err: fmt.Errorf("--status %q: use passed or failed", status)}
		}
		var v api.Verification
		err := c.do(cmd.Context(), "POST", "/api/v1/verifications", api.VerificationRequest{Service: str(cmd, "service"), Env: str(cmd, "env"), Check: str(cmd, "check"), Digest: str(cmd, "digest"), Passed: status == "passed", URL: str(cmd, "url")}, &v)
		if err == nil {
			fmt.Fprintf(cmd.OutOrStdout(), "recorded %s %s for %s in %s\n", v.Check, status, slipway.Digest12(v.Digest), v.Env)
		}
		return err
	})
	registerRemote("verify run", func(cmd *cobra.Command, _ []string, c *client) error {
		var v api.Verification
		if err := c.do(cmd.Context(), "POST", "/api/v1/checks", api.CheckRequest{Service: str(cmd, "service"), Env: str(cmd, "env"), Check: str(cmd, "check"), Digest: str(cmd, "digest")}, &v); err != nil {
			return err
		}
		status := "passed"
		if !v.Passed {
			status = "failed"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "check %s %s for %s in %s (%s)\n", v.Check, status, slipway.Digest12(v.Digest), v.Env, v.URL)
		if !v.Passed {
			return &exitError{code: 1, err: fmt.Errorf("check %s failed", v.Check)}
		}
		return nil
	})
	registerRemote("build register", func(cmd *cobra.Command, _ []string, c *client) error {
		var res api.BuildResult
		if err := c.do(cmd.Context(), "POST", "/api/v1/builds", api.BuildRequest{Service: str(cmd, "service"), Commit: str(cmd, "commit"), Image: str(cmd, "image")}, &res); err != nil {
			return err
		}
		if !res.Created {
			fmt.Fprintf(cmd.OutOrStdout(), "build %s already registered (no change)\n", res.Build.ID)
			return nil
		}
		fmt.Fprintf(cmd.OutOrStdout(), "build %s\n", res.Build.ID)
		return nil
	})
	registerRemote("build list", func(cmd *cobra.Command, _ []string, c *client) error {
		bs, err := all[*slipway.Build](cmd.Context(), c, "/api/v1/builds", url.Values{"service": {str(cmd, "service")}})
		if err != nil {
			return err
		}
		return printBuilds(cmd.OutOrStdout(), bs)
	})
	registerRemote("release", func(cmd *cobra.Command, _ []string, c *client) error {
		var rel api.Release
		err := c.do(cmd.Context(), "POST", "/api/v1/releases", api.ReleaseRequest{Service: str(cmd, "service"), Build: str(cmd, "build")}, &rel)
		if err == nil {
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s -> build %s\n\n%s", rel.Service, rel.Tag, rel.BuildID, rel.Notes)
		}
		return err
	})
	registerRemote("rollback", func(cmd *cobra.Command, _ []string, c *client) error {
		var p api.Promotion
		env := str(cmd, "env")
		err := c.do(cmd.Context(), "POST", "/api/v1/rollbacks", api.RollbackRequest{Service: str(cmd, "service"), Env: env, Reason: str(cmd, "reason")}, &p)
		if err == nil {
			fmt.Fprintf(cmd.OutOrStdout(), "rolled back %s (%s) in %s: revert %s; digest held\n", p.ID, slipway.Digest12(p.Digest), env, p.Revert)
		}
		return err
	})
	registerRemote("hold release", func(cmd *cobra.Command, _ []string, c *client) error {
		service, digest := str(cmd, "service"), str(cmd, "digest")
		err := c.do(cmd.Context(), "POST", "/api/v1/holds/release", api.HoldReleaseRequest{Service: service, Digest: digest}, nil)
		if err == nil {
			fmt.Fprintf(cmd.OutOrStdout(), "hold on %s of %s released\n", digest, service)
		}
		return err
	})
	registerRemote("hold list", func(cmd *cobra.Command, _ []string, c *client) error {
		var hs []slipway.Hold
		q := url.Values{"service": {str(cmd, "service")}, "all": {fmt.Sprint(flagOn(cmd, "all"))}}
		if err := c.do(cmd.Context(), "GET", "/api/v1/holds?"+q.Encode(), nil, &hs); err != nil {
			return err
		}
		return printHolds(cmd.OutOrStdout(), hs)
	})
	for _, verb := range []string{"promote", "abort"} {
		registerRemote("canary "+verb, func(cmd *cobra.Command, _ []string, c *client) error {
			var p api.Promotion
			err := c.do(cmd.Context(), "POST", "/api/v1/promotions/"+url.PathEscape(str(cmd, "promotion"))+"/canary", api.CanaryRequest{Decision: verb, Reason: str(cmd, "reason")}, &p)
			if err == nil {
				printPromotion(cmd.OutOrStdout(), p)
			}
			return err
		})
	}
	registerRemote("override", func(cmd *cobra.Command, _ []string, c *client) error {
		var p api.Promotion
		err := c.do(cmd.Context(), "POST", "/api/v1/promotions/"+url.PathEscape(str(cmd, "promotion"))+"/override", api.ReasonRequest{Reason: str(cmd, "reason")}, &p)
		if err == nil {
			printPromotion(cmd.OutOrStdout(), p)
		}
		return err
	})
	registerRemote("stop on", func(cmd *cobra.Command, _ []string, c *client) error {
		return c.do(cmd.Context(), "POST", "/api/v1/stops", api.StopRequest{Env: str(cmd, "env"), All: flagOn(cmd, "all"), Reason: str(cmd, "reason")}, nil)
	})
	registerRemote("stop lift", func(cmd *cobra.Command, _ []string, c *client) error {
		return c.do(cmd.Context(), "POST", "/api/v1/stops/lift", api.StopRequest{Env: str(cmd, "env"), All: flagOn(cmd, "all")}, nil)
	})
	registerRemote("stop list", func(cmd *cobra.Command, _ []string, c *client) error {
		var ss []slipway.Stop
		if err := c.do(cmd.Context(), "GET", "/api/v1/stops", nil, &ss); err != nil {
			return err
		}
		return printStops(cmd.OutOrStdout(), ss)
	})
	registerRemote("pr merge", func(cmd *cobra.Command, args []string, c *client) error {
		n, err := prNumber(args[0])
		if err != nil {
			return err
		}
		return c.do(cmd.Context(), "POST", fmt.Sprintf("/api/v1/pulls/%d/merge", n), nil, nil)
	})
	registerRemote("audit list", func(cmd *cobra.Command, _ []string, c *client) error {
		es, err := all[slipway.AuditEntry](cmd.Context(), c, "/api/v1/audit", url.Values{})
		if err != nil {
			return err
		}
		slices.Reverse(es) // oldest first, as the local command
		if str(cmd, "output") == "json" {
			return printJSON(cmd.OutOrStdout(), es)
		}
		return printAudit(cmd.OutOrStdout(), es)
	})
	registerRemote("audit verify", func(cmd *cobra.Command, _ []string, c *client) error {
		var v api.AuditVerdict
		if err := c.do(cmd.Context(), "GET", "/api/v1/audit/verify", nil, &v); err != nil {
			return err
		}
		if !v.OK {
			return slipway.Errorf(slipway.ECONFLICT, "%s", v.Error)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "audit chain ok: %d entries\n", v.Entries)
		return nil
	})
}
