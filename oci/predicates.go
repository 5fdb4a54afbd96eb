package oci

// Predicates for demos and tests: the smallest documents of each kind that
// real tools produce, with the fields intake reads.

// SPDXDocument is a minimal SPDX 2.3 JSON document for an image, the
// predicate of `cosign attest --type spdxjson`.
func SPDXDocument(name string) map[string]any {
	return map[string]any{
		"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": name,
		"documentNamespace": "https://slipway.example/spdx/" + name,
		"creationInfo":      map[string]any{"created": "2026-01-01T00:00:00Z", "creators": []string{"Tool: slipway"}},
		"packages":          []map[string]any{{"SPDXID": "SPDXRef-Package", "name": name, "downloadLocation": "NOASSERTION"}},
	}
}

// CycloneDXBOM is a minimal CycloneDX 1.5 JSON BOM, the predicate of
// `cosign attest --type cyclonedx`.
func CycloneDXBOM(name string) map[string]any {
	return map[string]any{
		"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
		"metadata":   map[string]any{"component": map[string]any{"type": "container", "name": name}},
		"components": []map[string]any{},
	}
}

// SLSAProvenanceV1 is SLSA v1 provenance as GitHub Actions
// (actions/attest-build-provenance) writes it: the workflow in
// externalParameters, the source repository at commit as the first
// resolved dependency, the workflow as builder.
func SLSAProvenanceV1(repoURL, workflow, commit string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{
				"workflow": map[string]any{"ref": "refs/heads/main", "repository": repoURL, "path": workflow},
			},
			"internalParameters": map[string]any{"github": map[string]any{"event_name": "push"}},
			"resolvedDependencies": []map[string]any{
				{"uri": "git+" + repoURL + "@refs/heads/main", "digest": map[string]string{"gitCommit": commit}},
			},
		},
		"runDetails": map[string]any{
			"builder":  map[string]any{"id": repoURL + "/" + workflow + "@refs/heads/main"},
			"metadata": map[string]any{"invocationId": repoURL + "/actions/runs/1/attempts/1"},
		},
	}
}

// SLSAProvenanceV02 is SLSA v0.2 provenance as the slsa-github-generator's
// container workflow writes it: the source in invocation.configSource and
// materials, pinned by sha1 (the git commit).
func SLSAProvenanceV02(repoURL, workflow, commit string) map[string]any {
	source := map[string]any{"uri": "git+" + repoURL + "@refs/heads/main", "digest": map[string]string{"sha1": commit}}
	return map[string]any{
		"builder":   map[string]any{"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"},
		"buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
		"invocation": map[string]any{
			"configSource": map[string]any{"uri": source["uri"], "digest": source["digest"], "entryPoint": workflow},
		},
		"materials": []map[string]any{source},
	}
}
