package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/conventional"
	"github.com/slipway/slipway/conventional/commitlint"
)

// commitlintMessage lints one message as `commitlint --edit FILE` (a file:
// git's comment lines dropped, a newline appended) or `commitlint` reading
// stdin (taken as it is) would.
func commitlintMessage(cmd *cobra.Command, l *linter, raw []byte, fromStdin bool, repo string) error {
	msg := commitlint.Decode(raw)
	opts := commitlint.Options{}
	if !fromStdin {
		msg += "\n"
		opts.CommentChar = gitCommentChar(cmd.Context(), repo)
	}
	report := commitlint.NewReport()
	if commitlint.Blank(msg) {
		if fromStdin {
			return &exitError{code: 1, err: errors.New("the message on stdin is empty: pipe a commit message or pull request title, e.g. echo \"$PR_TITLE\" | slipway lint message -")}
		}
		// commitlint --edit passes an empty message file: git aborts
		// the commit itself.
		return writeReport(cmd, report, l.cl.HelpURL, false)
	}
	report.Add(l.cl.Lint(msg, opts))
	return writeReport(cmd, report, l.cl.HelpURL, !report.Valid)
}

// gitCommentChar is what commitlint --edit strips: git's core.commentChar,
// else "#". Like commitlint it takes the setting literally.
func gitCommentChar(ctx context.Context, repo string) string {
	cmd := exec.CommandContext(ctx, "git", "config", "core.commentChar")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return "#"
	}
	if c := strings.TrimSpace(string(out)); c != "" {
		return c
	}
	return "#"
}

// writeReport prints a report in commitlint's text format (nothing when
// all is well) or as JSON, and fails with exit status 1 when failed.
func writeReport(cmd *cobra.Command, r *commitlint.Report, helpURL string, failed bool) error {
	w := cmd.OutOrStdout()
	if cmd.Flags().Lookup("output").Value.String() == "json" {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
	} else {
		fmt.Fprint(w, r.Text(helpURL))
	}
	if failed {
		return &exitError{code: 1, err: fmt.Errorf("%d problem(s), %d warning(s): reword the commit message(s) to pass", max(r.ErrorCount, 1), r.WarningCount)}
	}
	return nil
}

// specOutcome puts the spec preset's problems into commitlint's report
// shape, so --output json reads the same whichever preset ran.
func specOutcome(msg, hash string, probs []conventional.Problem) commitlint.Outcome {
	o := commitlint.Outcome{Valid: len(probs) == 0, Errors: []commitlint.Problem{}, Warnings: []commitlint.Problem{},
		Input: strings.TrimSpace(msg), Hash: hash}
	for _, p := range probs {
		o.Errors = append(o.Errors, commitlint.Problem{Level: commitlint.Error, Name: "conventional-commits", Message: p.String()})
	}
	return o
}
