package oci_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slipway/slipway/oci"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseProvenance(t *testing.T) {
	other := strings.Repeat("e", 40)
	cases := []struct {
		name, predicateType string
		predicate           any
		want                oci.ProvenanceFacts
	}{
		{"v1 GitHub Actions", oci.PredicateSLSAv1, oci.SLSAProvenanceV1("https://github.com/acme/api", ".github/workflows/release.yml", commit),
			oci.ProvenanceFacts{BuilderID: "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main", BuildType: "https://actions.github.io/buildtypes/workflow/v1", SourceURI: "git+https://github.com/acme/api@refs/heads/main", SourceCommit: commit}},
		{"v0.2 slsa-github-generator", oci.PredicateSLSAv02, oci.SLSAProvenanceV02("https://github.com/acme/api", ".github/workflows/release.yml", commit),
			oci.ProvenanceFacts{BuilderID: "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0", BuildType: "https://github.com/slsa-framework/slsa-github-generator/container@v1", SourceURI: "git+https://github.com/acme/api@refs/heads/main", SourceCommit: commit}},
		// A source descriptor among the external parameters is the source,
		// whatever else was resolved first (here a build tool's commit).
		{"v1 external source", oci.PredicateSLSAv1, map[string]any{
			"buildDefinition": map[string]any{
				"buildType":            "https://example.com/build/v1",
				"externalParameters":   map[string]any{"source": map[string]any{"uri": "git+https://git.example/api", "digest": map[string]string{"gitCommit": commit}}},
				"resolvedDependencies": []map[string]any{{"uri": "git+https://git.example/tools", "digest": map[string]string{"gitCommit": other}}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": "https://builder.example"}},
		}, oci.ProvenanceFacts{BuilderID: "https://builder.example", BuildType: "https://example.com/build/v1", SourceURI: "git+https://git.example/api", SourceCommit: commit}},
		// The workflow's repository picks its dependency, not the first one.
		{"v1 workflow repository", oci.PredicateSLSAv1, map[string]any{
			"buildDefinition": map[string]any{
				"externalParameters": map[string]any{"workflow": map[string]any{"repository": "https://github.com/acme/api"}},
				"resolvedDependencies": []map[string]any{
					{"uri": "git+https://github.com/acme/actions@v1", "digest": map[string]string{"gitCommit": other}},
					{"uri": "git+https://github.com/acme/api@refs/heads/main", "digest": map[string]string{"gitCommit": strings.ToUpper(commit)}},
				},
			},
		}, oci.ProvenanceFacts{SourceURI: "git+https://github.com/acme/api@refs/heads/main", SourceCommit: commit}},
		{"v0.2 materials only", oci.PredicateSLSAv02, map[string]any{
			"builder":   map[string]any{"id": "b"},
			"materials": []map[string]any{{"uri": "pkg:docker/alpine", "digest": map[string]string{"sha256": strings.Repeat("a", 64)}}, {"uri": "git+https://git.example/api", "digest": map[string]string{"sha1": commit}}},
		}, oci.ProvenanceFacts{BuilderID: "b", SourceURI: "git+https://git.example/api", SourceCommit: commit}},
		// sha1 of something that is not a git source is not a commit.
		{"v0.2 no commit", oci.PredicateSLSAv02, map[string]any{
			"builder":   map[string]any{"id": "b"},
			"materials": []map[string]any{{"uri": "https://example.com/file", "digest": map[string]string{"sha1": commit}}},
		}, oci.ProvenanceFacts{BuilderID: "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := oci.ParseProvenance(tc.predicateType, marshal(t, tc.predicate))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("facts =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
	if _, err := oci.ParseProvenance("https://in-toto.io/Provenance/v0.1", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "is not SLSA provenance") {
		t.Errorf("unknown predicate type: %v", err)
	}
	if _, err := oci.ParseProvenance(oci.PredicateSLSAv1, []byte(`{"runDetails":[]}`)); err == nil {
		t.Error("a garbled predicate parsed")
	}
}

func TestParseStatement(t *testing.T) {
	ref, _ := oci.ParseReference("r.example/a@sha256:" + strings.Repeat("1", 64))
	raw, err := oci.NewStatement(ref, oci.PredicateSPDX, oci.SPDXDocument("a"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := oci.ParseStatement(raw)
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v0.1" || st.PredicateType != oci.PredicateSPDX || !st.Names(ref.Digest) || st.Names("sha256:"+strings.Repeat("2", 64)) {
		t.Errorf("statement = %+v", st)
	}
	// cosign v3's signature statement: v1, no subject name.
	raw, _ = oci.NewStatement(ref, oci.CosignSignPredicateType, nil)
	if want := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + ref.Hex() + `"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`; string(raw) != want {
		t.Errorf("sign statement =\n %s\nwant\n %s", raw, want)
	}
	for _, bad := range []string{`{}`, `{"_type":"https://in-toto.io/Statement/v1"}`, `{"_type":"x","predicateType":"p"}`, `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p"} {}`, `[`} {
		if _, err := oci.ParseStatement([]byte(bad)); err == nil {
			t.Errorf("ParseStatement(%s) accepted", bad)
		}
	}
}

func FuzzParseStatement(f *testing.F) {
	ref, _ := oci.ParseReference("r.example/a@sha256:" + strings.Repeat("1", 64))
	for _, pt := range []string{oci.PredicateSPDX, oci.PredicateSLSAv1, oci.CosignSignPredicateType} {
		raw, _ := oci.NewStatement(ref, pt, nil)
		f.Add(raw)
	}
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"digest":null}],"predicateType":"p","predicate":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := oci.ParseStatement(data)
		if err != nil {
			return
		}
		if st.PredicateType == "" {
			t.Fatal("a statement without predicate type was accepted")
		}
		_ = st.Names(ref.Digest)
		_ = st.Subjects()
	})
}

func FuzzParseProvenance(f *testing.F) {
	f.Add(oci.PredicateSLSAv1, marshal(f, oci.SLSAProvenanceV1("https://github.com/acme/api", "w.yml", commit)))
	f.Add(oci.PredicateSLSAv02, marshal(f, oci.SLSAProvenanceV02("https://github.com/acme/api", "w.yml", commit)))
	f.Add(oci.PredicateSLSAv1, []byte(`{"buildDefinition":{"externalParameters":{"workflow":"x","source":{"digest":{"gitCommit":7}}}}}`))
	f.Fuzz(func(t *testing.T, predicateType string, data []byte) {
		facts, err := oci.ParseProvenance(predicateType, data)
		if err != nil {
			return
		}
		if c := facts.SourceCommit; c != "" && (len(c) != 40 && len(c) != 64 || strings.ToLower(c) != c) {
			t.Fatalf("source commit %q is not a lowercase git SHA", c)
		}
	})
}
