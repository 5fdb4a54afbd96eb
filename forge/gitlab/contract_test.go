package gitlab

import (
	"testing"

	"github.com/slipway/slipway/forge/forgetest"
)

// TestContract runs the forge contract against the GitLab adapter talking
// to fakeGitLab, a stand-in for a GitLab instance's API v4 (no GitLab
// server runs here).
func TestContract(t *testing.T) { forgetest.Run(t, newFake) }
