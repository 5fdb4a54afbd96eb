package github

import (
	"testing"

	"github.com/slipway/slipway/forge/forgetest"
)

// TestContract runs the forge contract against the GitHub adapter talking
// to fakeGitHub, a stand-in for api.github.com (no GitHub server runs here).
func TestContract(t *testing.T) { forgetest.Run(t, newFake) }

// TestReleaseContract runs the release-page and release pull request
// contract against fakeGitHub's Releases and Issues Labels endpoints.
func TestReleaseContract(t *testing.T) { forgetest.RunReleases(t, newFake) }
