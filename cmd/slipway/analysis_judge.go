package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/judge"
)

// `slipway analysis judge` and `slipway analysis score`: the statistical
// canary judge on JSON from stdin (contracts in docs/judge.md).
func init() {
	register("analysis", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "judge",
			Short: "Classify a canary metric against its baseline (Mann-Whitney, Kayenta rules); JSON on stdin",
			Long: `Reads one comparison as JSON from stdin, for example
  {"classifier":"mannWhitney","control":[1,2,3,4],"experiment":[10,20,30,40],
   "direction":"either","confidence":0.98,"tolerance":0.25,"nanStrategy":"remove",
   "critical":false,"effectSize":{"measure":"meanRatio","thresholds":[1,1],"critical":[1,1]}}
and prints {"classification":"Pass|High|Low|Nodata|Error","critical":…,"estimate":…,"ci":[lo,hi],"deviation":…,"reason":"…"}.
Non-finite numbers are printed as "NaN". Invalid input prints an Error result and exits with status 2.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				data, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("read the judge input from stdin: %w", err)
				}
				in, err := judge.ParseInput(data)
				var res judge.Result
				if err == nil {
					res, err = judge.Classify(in)
				} else {
					res = judge.ErrorResult(err.Error())
				}
				if perr := writeJudgeJSON(cmd.OutOrStdout(), res); perr != nil {
					return perr
				}
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				return nil
			},
		}
	})
	register("analysis", func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "score",
			Short: "Score classified metrics into a pass/marginal/fail verdict (Kayenta weighted sum); JSON on stdin",
			Long: `Reads {"groupWeights":{…},"metricResults":[{"classification":"Pass","groups":["g"],"critical":false}],
"scoreThresholds":{"marginal":75,"pass":95}} from stdin and prints {"score":…,"groups":{…},"verdict":"pass|marginal|fail"}.
Invalid input prints a fail verdict with the reason and exits with status 2.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				data, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("read the score input from stdin: %w", err)
				}
				in, err := judge.ParseScoreInput(data)
				var res judge.ScoreResult
				if err == nil {
					res, err = judge.Score(in)
				}
				if err != nil {
					res = judge.FailedScore(err.Error())
				}
				if perr := writeJudgeJSON(cmd.OutOrStdout(), res); perr != nil {
					return perr
				}
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				return nil
			},
		}
	})
}

// writeJudgeJSON prints one JSON document and a newline, without escaping
// the <, > and & that reasons may contain.
func writeJudgeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode the result: %w", err)
	}
	return nil
}
