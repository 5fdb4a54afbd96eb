package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/slipway/slipway/trust"
)

// Predicate types intake reads, as cosign writes them (`cosign attest
// --type spdxjson|cyclonedx|slsaprovenance|slsaprovenance1`). SBOM types
// are also accepted with a version suffix ("https://spdx.dev/Document/v2.3"),
// as other tools write them.
const (
	PredicateSPDX         = "https://spdx.dev/Document"
	PredicateCycloneDX    = "https://cyclonedx.org/bom"
	PredicateSLSAv02      = "https://slsa.dev/provenance/v0.2"
	PredicateSLSAv1       = "https://slsa.dev/provenance/v1"
	inTotoStatementV01    = "https://in-toto.io/Statement/v0.1"
	maxAttestationPayload = 32 << 20
)

// Statement is an in-toto statement (v0.1 as cosign attest writes, or v1).
type Statement struct {
	Type          string             `json:"_type"`
	Subject       []StatementSubject `json:"subject"`
	PredicateType string             `json:"predicateType"`
	Predicate     json.RawMessage    `json:"predicate"`
}

// StatementSubject is one artifact a statement is about.
type StatementSubject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// ParseStatement decodes an in-toto statement. It checks the shape, not
// what the statement is about: callers compare the subject with the image.
func ParseStatement(data []byte) (*Statement, error) {
	if len(data) > maxAttestationPayload {
		return nil, fmt.Errorf("in-toto statement is %d bytes, more than the %d allowed", len(data), maxAttestationPayload)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var s Statement
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("in-toto statement is not valid JSON: %v", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, errors.New("in-toto statement has data after the JSON object")
	}
	switch s.Type {
	case inTotoStatementV01, inTotoStatementType:
	default:
		return nil, fmt.Errorf("in-toto statement _type %q is neither %s nor %s", s.Type, inTotoStatementV01, inTotoStatementType)
	}
	if s.PredicateType == "" {
		return nil, errors.New("in-toto statement has no predicateType")
	}
	return &s, nil
}

// Names reports whether digest ("sha256:<hex>") is one of the subjects.
func (s *Statement) Names(digest string) bool {
	hex := strings.TrimPrefix(digest, "sha256:")
	for _, sub := range s.Subject {
		if sub.Digest["sha256"] == hex {
			return true
		}
	}
	return false
}

// Subjects lists the subjects' sha256 digests, for messages.
func (s *Statement) Subjects() string {
	var out []string
	for _, sub := range s.Subject {
		out = append(out, "sha256:"+sub.Digest["sha256"])
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// sbomFormat says which SBOM format a predicate type is, if any.
func sbomFormat(predicateType string) trust.SBOMFormat {
	switch {
	case versionOf(predicateType, PredicateSPDX):
		return trust.SBOMSPDX
	case versionOf(predicateType, PredicateCycloneDX):
		return trust.SBOMCycloneDX
	}
	return trust.SBOMNone
}

func versionOf(predicateType, base string) bool {
	return predicateType == base || strings.HasPrefix(predicateType, base+"/v")
}

func isProvenance(predicateType string) bool {
	return predicateType == PredicateSLSAv02 || predicateType == PredicateSLSAv1
}

// ProvenanceFacts are what intake reads from SLSA provenance.
type ProvenanceFacts struct {
	// BuilderID identifies the build platform (runDetails.builder.id in
	// v1, builder.id in v0.2).
	BuilderID string
	// BuildType names the build's template (v1 buildDefinition.buildType,
	// v0.2 buildType).
	BuildType string
	// SourceURI and SourceCommit are the source the build started from.
	SourceURI    string
	SourceCommit string
}

// resourceDescriptor is SLSA's (in-toto's) reference to an artifact.
type resourceDescriptor struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

var gitCommitRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// commit returns the git commit a descriptor pins, if it pins one: the
// "gitCommit" digest, or "sha1" of a git+ URI (SLSA v0.2 materials).
func (r resourceDescriptor) commit() string {
	if c := strings.ToLower(r.Digest["gitCommit"]); gitCommitRE.MatchString(c) {
		return c
	}
	if c := strings.ToLower(r.Digest["sha1"]); gitCommitRE.MatchString(c) && strings.HasPrefix(r.URI, "git+") {
		return c
	}
	return ""
}

// ParseProvenance reads the builder and the source commit from an SLSA
// provenance predicate of type v0.2 or v1.
//
// The source is, in v1: a resource descriptor among
// buildDefinition.externalParameters (e.g. "source"), else the resolved
// dependency of the workflow's repository (GitHub Actions build types),
// else the first resolved dependency pinned to a git commit; in v0.2:
// invocation.configSource, else the first material pinned to a commit.
func ParseProvenance(predicateType string, predicate []byte) (ProvenanceFacts, error) {
	if len(predicate) > maxAttestationPayload {
		return ProvenanceFacts{}, fmt.Errorf("provenance is %d bytes, more than the %d allowed", len(predicate), maxAttestationPayload)
	}
	switch predicateType {
	case PredicateSLSAv1:
		return parseSLSAv1(predicate)
	case PredicateSLSAv02:
		return parseSLSAv02(predicate)
	}
	return ProvenanceFacts{}, fmt.Errorf("predicate type %q is not SLSA provenance (%s or %s)", predicateType, PredicateSLSAv1, PredicateSLSAv02)
}

func parseSLSAv1(predicate []byte) (ProvenanceFacts, error) {
	var p struct {
		BuildDefinition struct {
			BuildType            string                     `json:"buildType"`
			ExternalParameters   map[string]json.RawMessage `json:"externalParameters"`
			ResolvedDependencies []resourceDescriptor       `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal(predicate, &p); err != nil {
		return ProvenanceFacts{}, fmt.Errorf("SLSA v1 provenance: %v", err)
	}
	f := ProvenanceFacts{BuilderID: p.RunDetails.Builder.ID, BuildType: p.BuildDefinition.BuildType}
	ext := p.BuildDefinition.ExternalParameters
	for _, key := range slices.Sorted(maps.Keys(ext)) {
		var rd resourceDescriptor
		if json.Unmarshal(ext[key], &rd) == nil && rd.commit() != "" {
			f.SourceURI, f.SourceCommit = rd.URI, rd.commit()
			return f, nil
		}
	}
	var wf struct {
		Repository string `json:"repository"`
	}
	if raw, ok := ext["workflow"]; ok && json.Unmarshal(raw, &wf) == nil && wf.Repository != "" {
		for _, d := range p.BuildDefinition.ResolvedDependencies {
			if d.commit() != "" && strings.HasPrefix(strings.TrimPrefix(d.URI, "git+"), wf.Repository) {
				f.SourceURI, f.SourceCommit = d.URI, d.commit()
				return f, nil
			}
		}
	}
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		if d.commit() != "" {
			f.SourceURI, f.SourceCommit = d.URI, d.commit()
			return f, nil
		}
	}
	return f, nil
}

func parseSLSAv02(predicate []byte) (ProvenanceFacts, error) {
	var p struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		BuildType  string `json:"buildType"`
		Invocation struct {
			ConfigSource resourceDescriptor `json:"configSource"`
		} `json:"invocation"`
		Materials []resourceDescriptor `json:"materials"`
	}
	if err := json.Unmarshal(predicate, &p); err != nil {
		return ProvenanceFacts{}, fmt.Errorf("SLSA v0.2 provenance: %v", err)
	}
	f := ProvenanceFacts{BuilderID: p.Builder.ID, BuildType: p.BuildType}
	cs := p.Invocation.ConfigSource
	if cs.URI != "" && !strings.HasPrefix(cs.URI, "git+") {
		cs.URI = "git+" + cs.URI // configSource URIs name a repository; sha1 there is a commit
	}
	if c := cs.commit(); c != "" {
		f.SourceURI, f.SourceCommit = p.Invocation.ConfigSource.URI, c
		return f, nil
	}
	for _, m := range p.Materials {
		if c := m.commit(); c != "" {
			f.SourceURI, f.SourceCommit = m.URI, c
			return f, nil
		}
	}
	return f, nil
}
