package github

import (
	"testing"

	"github.com/slipway/slipway/forge/forgetest"
)

// TestContract runs the forge contract against the GitHub adapter talking
// to fakeGitHub, a stand-in for api.github.com (no GitHub server runs here).
func TestContract(t *testing.T) { forgetest.Run(t, newFake) }
