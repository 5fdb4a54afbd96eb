package gitlab

import (
	"testing"

	"github.com/slipway/slipway/forge/forgetest"
)

// TestContract runs the forge contract against the GitLab adapter talking
// to fakeGitLab, a stand-in for a GitLab instance's API v4 (no GitLab
// server runs here).
func TestContract(t *testing.T) { forgetest.Run(t, newFake) }

// TestReleaseContract runs the release-page and release merge request
// contract against fakeGitLab's Releases and merge request endpoints.
func TestReleaseContract(t *testing.T) { forgetest.RunReleases(t, newFake) }
