// Command slipway is the release orchestrator's CLI. It only wires packages
// together: every behaviour lives in a library package.
package main

import (
	"fmt"
	"os"
)

func main() {
	root := newRootCmd()
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "slipway:", err)
		os.Exit(exitCode(err))
	}
}
