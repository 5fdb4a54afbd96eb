package gitea

import (
	"testing"

	"github.com/slipway/slipway/forge/forgetest"
)

// TestContract runs the forge contract against the Gitea adapter talking
// to fakeGitea, a stand-in for a Gitea server's API v1 (no Gitea server
// runs here).
func TestContract(t *testing.T) { forgetest.Run(t, newFake) }

// TestReleaseContract runs the release-page and release pull request
// contract against fakeGitea's Releases and issue label endpoints.
func TestReleaseContract(t *testing.T) { forgetest.RunReleases(t, newFake) }
