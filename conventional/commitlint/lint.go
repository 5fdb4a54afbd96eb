// Package commitlint lints commit messages exactly as commitlint does with
// @commitlint/config-conventional: the same parser (conventional-changelog-
// conventionalcommits' options), the same default ignore list, the same
// rules with the same levels, values and messages, and the same report.
// A team can drop its Node toolchain and keep every verdict.
//
// Fidelity is to the JavaScript: lengths are UTF-16 code units, trimming
// and \s use JavaScript's whitespace, case checks use es-toolkit's (lodash's)
// word splitting. docs/lint.md lists the rules and the few places where
// Slipway cannot follow (only where JavaScript would be needed).
package commitlint

import (
	"strings"
)

// Problem is one failed rule, as commitlint reports it.
type Problem struct {
	Level   Level  `json:"level"`
	Valid   bool   `json:"valid"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// Outcome is the verdict on one message (commitlint's LintOutcome).
type Outcome struct {
	Valid    bool      `json:"valid"`
	Errors   []Problem `json:"errors"`
	Warnings []Problem `json:"warnings"`
	// Input is the message as parsed (header, body and footer), or the
	// message itself when it was ignored.
	Input string `json:"input"`
	// Hash names the commit, when the message came from history (a
	// Slipway addition; commitlint's results carry no hash).
	Hash string `json:"hash,omitempty"`
}

// Options say where a message came from.
type Options struct {
	// CommentChar is set when the message is a commit message file (what
	// commitlint --edit reads): lines starting with it are dropped, and so
	// is everything from git's scissors line on. Empty for stdin and
	// history, which commitlint does not strip.
	CommentChar string
}

// Lint checks one message. A message matched by the ignore list, and an
// empty one, is valid.
func (cfg *Config) Lint(msg string, opts Options) Outcome {
	valid := Outcome{Valid: true, Errors: []Problem{}, Warnings: []Problem{}, Input: msg}
	if cfg.DefaultIgnores && defaultIgnored(jsTrimEnd(msg)) {
		return valid
	}
	if jsTrim(msg) == "" {
		return valid
	}
	c := parse(msg, opts.CommentChar)
	if c.Header == nil && c.Body == nil && c.Footer == nil {
		return valid
	}
	out := Outcome{Errors: []Problem{}, Warnings: []Problem{}, Input: buildInput(c)}
	for _, r := range cfg.Rules {
		if r.Level == Disabled {
			continue
		}
		ok, m := r.check(&c, r.When)
		if ok {
			continue
		}
		p := Problem{Level: r.Level, Name: r.Name, Message: m}
		if r.Level == Error {
			out.Errors = append(out.Errors, p)
		} else {
			out.Warnings = append(out.Warnings, p)
		}
	}
	out.Valid = len(out.Errors) == 0
	return out
}

// LintBytes decodes a message as Node does (invalid UTF-8 becomes U+FFFD)
// and lints it.
func (cfg *Config) LintBytes(msg []byte, opts Options) Outcome {
	return cfg.Lint(decodeUTF8(msg), opts)
}

// Report gathers outcomes as commitlint's CLI does before formatting.
type Report struct {
	Valid        bool      `json:"valid"`
	ErrorCount   int       `json:"errorCount"`
	WarningCount int       `json:"warningCount"`
	Results      []Outcome `json:"results"`
}

// NewReport returns an empty, valid report.
func NewReport() *Report { return &Report{Valid: true, Results: []Outcome{}} }

// Add records one outcome.
func (r *Report) Add(o Outcome) {
	if !o.Valid {
		r.Valid = false
	}
	r.ErrorCount += len(o.Errors)
	r.WarningCount += len(o.Warnings)
	r.Results = append(r.Results, o)
}

var signs = [3]string{" ", "⚠", "✖"}

// Text is @commitlint/format's output without colours: for each message
// with problems, the input, one line per problem, and a summary. It is ""
// when nothing is wrong; otherwise it ends with a newline, as console.log
// prints it.
func (r *Report) Text(helpURL string) string {
	var lines []string
	for _, res := range r.Results {
		problems := len(res.Errors) + len(res.Warnings)
		if res.Input == "" {
			lines = append(lines, "")
		} else if problems > 0 {
			lines = append(lines, "⧗   --- input ---\n"+res.Input)
		}
		if problems == 0 {
			continue
		}
		for _, p := range append(append([]Problem{}, res.Errors...), res.Warnings...) {
			lines = append(lines, signs[p.Level]+"   "+p.Message+" ["+p.Name+"]")
		}
		sign := "⚠"
		if len(res.Errors) > 0 {
			sign = "✖"
		}
		lines = append(lines, "", sign+"   found "+itoa(len(res.Errors))+" problems, "+itoa(len(res.Warnings))+" warnings")
		if helpURL != "" {
			lines = append(lines, "ⓘ   Get help: "+helpURL)
		}
		lines = append(lines, "")
	}
	out := strings.Join(lines, "\n")
	if out == "" {
		return ""
	}
	return out + "\n"
}

func itoa(n int) string { return jsNumber(float64(n)) }

// Decode turns message bytes into text as Node's UTF-8 decoder does:
// each ill-formed sequence becomes one U+FFFD.
func Decode(b []byte) string { return decodeUTF8(b) }

// Blank reports a message commitlint's CLI drops before linting: nothing
// but JavaScript whitespace.
func Blank(msg string) bool { return jsTrim(msg) == "" }
