package gitops

import (
	"fmt"
	"regexp"
	"strings"
)

// Target is what one promotion writes into a service's pins, and which
// service and environment the pins belong to.
type Target struct {
	// Service and Env fill {service} and {env} in pin files.
	Service, Env string
	// Image is the service's image repository without tag or digest, e.g.
	// ghcr.io/acme/api: written where a pin writes the repository, and
	// compared with what an image-reference pin holds.
	Image string
	// Digest is sha256:<64 lowercase hex>, the image that will run.
	// Unused by PinSet.Current.
	Digest string
	// Version is the release's SemVer without a leading v ("1.4.2"); empty
	// for a build not released yet (the first environment usually
	// promotes builds before their release). It fills {version} in a
	// pin's tagFormat.
	Version string
	// Commit is the full SHA of the build's source commit; it fills
	// {commit} and {shortCommit} in a pin's tagFormat.
	Commit string
}

// validate checks what Apply writes, so a bad target changes nothing.
func (t Target) validate() error {
	if !digestRE.MatchString(t.Digest) {
		return fmt.Errorf("%w: %s", ErrInvalidValue, digestProblem(t.Digest))
	}
	if err := validImageRepo(t.Image); err != nil {
		return err
	}
	if t.Commit != "" && !commitRE.MatchString(t.Commit) {
		return fmt.Errorf("%w: commit %q is not a full git SHA (40 or 64 lowercase hex)", ErrInvalidValue, t.Commit)
	}
	return nil
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// validImageRepo accepts a repository without tag or digest.
func validImageRepo(image string) error {
	ref, err := parseImageRef(image)
	if err != nil || ref.tag != "" || ref.digest != "" {
		return fmt.Errorf("%w: the image %q is not a repository such as ghcr.io/acme/api (no tag, no digest); fix image: of the service in slipway.yaml", ErrInvalidValue, image)
	}
	return nil
}

// tagVars are the placeholders of tagFormat, in the order messages list them.
var tagVars = []string{"version", "commit", "shortCommit"}

const defaultTagFormat = "{version}"

// tagRE is the OCI distribution spec's tag grammar.
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// renderTag fills a pin's tagFormat from t. A placeholder whose value is
// unknown (no release yet, no commit) is an error that says what to
// change, never an empty or made-up tag.
func renderTag(format string, t Target) (string, error) {
	if format == "" {
		format = defaultTagFormat
	}
	vars := map[string]string{"version": t.Version, "commit": t.Commit, "shortCommit": ""}
	if len(t.Commit) >= 7 {
		vars["shortCommit"] = t.Commit[:7]
	}
	for _, name := range tagVars {
		if vars[name] == "" && strings.Contains(format, "{"+name+"}") {
			return "", fmt.Errorf("%w: the pin writes a tag from tagFormat %q, but the build has no %s yet; %s",
				ErrInvalidValue, format, map[string]string{"version": "release version", "commit": "source commit", "shortCommit": "source commit"}[name], missingTagFix(name))
		}
	}
	tag, err := fillTemplate("tagFormat", format, tagVars, vars)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidValue, err)
	}
	if !tagRE.MatchString(tag) {
		return "", fmt.Errorf("%w: tagFormat %q renders the tag %q, which is not a valid image tag (letters, digits, '_', '.', '-'; at most 128; SemVer build metadata '+' is not allowed); change tagFormat", ErrInvalidValue, format, tag)
	}
	return tag, nil
}

func missingTagFix(name string) string {
	if name == "version" {
		return "an environment that promotes unreleased builds cannot write a {version} tag: drop the tag from write: there, or use tagFormat: \"sha-{shortCommit}\""
	}
	return "pass the build's commit"
}

// checkTagFormat validates tagFormat at load time: known placeholders, and
// only on a pin that writes a tag.
func checkTagFormat(p Pin, f Format) error {
	if p.TagFormat == "" {
		return nil
	}
	if !writesTag(effectiveWrite(&p, f)) {
		return &ConfigError{Key: "tagFormat", Msg: fmt.Sprintf("the pin writes no tag (write: %v), so tagFormat is unused; add a tag to write: or remove tagFormat", []string(effectiveWrite(&p, f)))}
	}
	sample := Target{Version: "1.2.3", Commit: strings.Repeat("a", 40)}
	if _, err := renderTag(p.TagFormat, sample); err != nil {
		return &ConfigError{Key: "tagFormat", Msg: strings.TrimPrefix(err.Error(), ErrInvalidValue.Error()+": ")}
	}
	return nil
}

// tagWords are the write: words, across kinds, that put a tag into a file.
var tagWords = map[string]bool{"tag": true, "newTag": true, "tag@digest": true, "repo:tag@digest": true}

// writesTag reports whether any word of w puts a tag into the file.
func writesTag(w Write) bool {
	for _, word := range w {
		if tagWords[word] {
			return true
		}
	}
	return false
}

// splitRegistry splits an image repository into the registry host and the
// path below it, the way container runtimes read a reference: the first
// component is a registry when it has a '.' or a ':' or is localhost;
// otherwise the image is on Docker Hub.
func splitRegistry(image string) (registry, repo string) {
	first, rest, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first, rest
	}
	return "docker.io", image
}

// sameRepository compares two repositories as a runtime would resolve
// them: nginx, docker.io/library/nginx and index.docker.io/library/nginx
// are one repository.
func sameRepository(a, b string) bool {
	return normalRepository(a) == normalRepository(b)
}

func normalRepository(image string) string {
	registry, repo := splitRegistry(image)
	if registry == "index.docker.io" {
		registry = "docker.io"
	}
	if registry == "docker.io" && !strings.Contains(repo, "/") {
		repo = "library/" + repo
	}
	return registry + "/" + repo
}
