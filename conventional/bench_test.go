package conventional

import "testing"

var benchMessages = []string{
	"feat(api): add rollback endpoint (#123)\n\nIntroduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\nRefs: #12\nCo-authored-by: Pair <pair@example.com>\n",
	"fix: handle empty digest (#7)\n",
	"chore(deps): bump x from 1 to 2\n\nbody line one\nbody line two\n",
	"feat!: drop v1\n\nBREAKING CHANGE: v1 endpoints are gone\n",
}

func BenchmarkParse(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Parse(benchMessages[i%len(benchMessages)])
	}
}

// BenchmarkParseAngular is the semantic-release preset's extra parse of
// each message, next to BenchmarkParse.
func BenchmarkParseAngular(b *testing.B) {
	msgs := append(benchMessages, "Revert \"feat(api): add rollback endpoint (#123)\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n")
	for i := 0; i < b.N; i++ {
		ParseAngular(msgs[i%len(msgs)])
	}
}
