package gitea

import (
	"testing"

	"github.com/slipway/slipway/forge/forgetest/releasetest"
)

// TestReleaseEndToEnd publishes releases through the gitea adapter talking
// to its fake API (no server of the forge runs here) over a real app
// repository and its bare remote: a tag pushed while main moves, its page
// made once and kept, failures finished by a rerun, and the release pull
// request opened, updated, merged, tagged and published.
func TestReleaseEndToEnd(t *testing.T) { releasetest.RunE2E(t, newFake) }
