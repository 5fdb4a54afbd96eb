package gitops

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// pinErrorCases are pins that must refuse to write, each with the file
// they meet. Every message is in testdata/pins-errors.golden, where a
// reviewer can read them all at once.
var pinErrorCases = []struct {
	name  string
	pins  string // YAML list of pins
	files map[string]string
	// target changes the golden target; nil keeps it.
	target func(*Target)
	kind   error    // what errors.Is must find
	want   []string // substrings of the message
}{
	{name: "missing file names file, document and path",
		pins:  `[{kind: helm, file: "envs/{env}/{service}/values.yaml"}]`,
		files: map[string]string{"envs/staging/api/values.yaml": "image: {digest: ''}\n"},
		kind:  ErrNoFile,
		want:  []string{"pin 1 of api in prod (kind helm): file envs/prod/api/values.yaml, document (none selected), path image.digest: file not found", "create it with the pinned field, or fix file:"}},
	{name: "missing document",
		pins:  `[{file: k8s.yaml, document: {kind: Deployment, name: worker}, path: "spec.template.spec.containers[name=api].image", write: image}]`,
		files: map[string]string{"k8s.yaml": "kind: Deployment\nmetadata: {name: api}\n---\nkind: Service\nmetadata: {name: api}\n"},
		kind:  ErrNotFound,
		want:  []string{"file k8s.yaml, document doc[kind=Deployment,metadata.name=worker], path spec.template.spec.containers[name=api].image: not found: no document matches", "0: kind=Deployment,metadata.name=api; 1: kind=Service,metadata.name=api"}},
	{name: "missing field says what to add",
		pins:  `[{kind: helm, file: values.yaml, write: [tag, digest]}]`,
		files: map[string]string{"values.yaml": "image:\n  repository: ghcr.io/acme/api\n  tag: \"1.4.2\"\n"},
		kind:  ErrNotFound,
		want:  []string{"file values.yaml:1, document (none selected), path image.digest: not found", "add `digest: \"\"` under `image:`"}},
	{name: "missing kustomize entry lists the entries",
		pins:  `[{kind: kustomize, file: kustomization.yaml}]`,
		files: map[string]string{"kustomization.yaml": "images:\n  - name: ghcr.io/acme/web\n    digest: ''\n"},
		kind:  ErrNotFound,
		want:  []string{"path images[name=ghcr.io/acme/api].digest: not found: no item of `images` (line 1) matches [name=ghcr.io/acme/api]; the items have: [0] name=ghcr.io/acme/web"}},
	{name: "kustomize newTag left beside a new digest",
		pins:  `[{kind: kustomize, file: kustomization.yaml}]`,
		files: map[string]string{"kustomization.yaml": "images:\n  - name: ghcr.io/acme/api\n    newTag: 1.4.2\n    digest: ''\n"},
		kind:  ErrConflict,
		want:  []string{"file kustomization.yaml:3, document (none selected), path images[name=ghcr.io/acme/api].newTag: conflict", "kustomize would render name:1.4.2@<new digest>", "add newTag to write:"}},
	{name: "kustomize tag@digest beside a digest",
		pins:  `[{kind: kustomize, file: kustomization.yaml, write: tag@digest}]`,
		files: map[string]string{"kustomization.yaml": "images:\n  - name: ghcr.io/acme/api\n    newTag: 1.4.2\n    digest: " + oldDigest + "\n"},
		kind:  ErrConflict,
		want:  []string{"path images[name=ghcr.io/acme/api].digest: conflict", "name:tag@digest@digest"}},
	{name: "helm registry in front of a whole repository",
		pins:  `[{kind: helm, file: values.yaml, write: [repository, digest]}]`,
		files: map[string]string{"values.yaml": "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  digest: ''\n"},
		kind:  ErrConflict,
		want:  []string{"values.yaml:2", "path image.registry: conflict", "add registry to write:"}},
	{name: "argocd Application with several sources and no source:",
		pins:  `[{kind: argocd, file: app.yaml}]`,
		files: map[string]string{"app.yaml": "kind: Application\nspec:\n  sources:\n    - {repoURL: https://charts.acme.dev, chart: api}\n    - {repoURL: https://github.com/acme/values.git}\n"},
		kind:  ErrAmbiguous,
		want:  []string{"document doc[kind=Application], path spec.sources: ambiguous: the Application has 2 sources", "[0] repoURL=https://charts.acme.dev,chart=api,path=(none),name=(none); [1] repoURL=https://github.com/acme/values.git"}},
	{name: "argocd source: that the single source does not match",
		pins:  `[{kind: argocd, file: app.yaml, source: {chart: web}}]`,
		files: map[string]string{"app.yaml": "kind: Application\nspec:\n  source: {repoURL: https://charts.acme.dev, chart: api}\n"},
		kind:  ErrNotFound,
		want:  []string{"path spec.source: not found: the Application has one source, spec.source, with repoURL=https://charts.acme.dev,chart=api", "it does not match source: chart=web"}},
	{name: "argocd valuesObject overridden by a parameter",
		pins:  `[{kind: argocd, file: app.yaml, helm: valuesObject}]`,
		files: map[string]string{"app.yaml": "kind: Application\nspec:\n  source:\n    helm:\n      parameters: [{name: image.digest, value: x}]\n      valuesObject: {image: {digest: ''}}\n"},
		kind:  ErrConflict,
		want:  []string{"path spec.source.helm.parameters[name=image.digest]: conflict", "Argo CD gives parameters precedence over valuesObject"}},
	{name: "argocd pin on a file without an Application",
		pins:  `[{kind: argocd, file: app.yaml}]`,
		files: map[string]string{"app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n"},
		kind:  ErrNotFound,
		want:  []string{"document doc[kind=Application], path spec.source.helm.parameters[name=image.digest].value: not found: no document matches doc[kind=Application]; documents here: 0: kind=Deployment"}},
	{name: "argocd missing parameter lists the parameters",
		pins:  `[{kind: argocd, file: app.yaml, write: [tag, digest]}]`,
		files: map[string]string{"app.yaml": "kind: Application\nspec:\n  source:\n    helm:\n      parameters:\n        - {name: image.digest, value: ''}\n"},
		kind:  ErrNotFound,
		want:  []string{"path spec.source.helm.parameters[name=image.tag].value: not found: no item of `doc[kind=Application].spec.source.helm.parameters` (line 5) matches [name=image.tag]; the items have: [0] name=image.digest"}},
	{name: "alias target is refused",
		pins:  `[{kind: helm, file: values.yaml}]`,
		files: map[string]string{"values.yaml": "pinned: &d sha256:x\nimage:\n  digest: *d\n"},
		kind:  ErrAlias,
		want:  []string{"values.yaml:3", "path image.digest: alias", "write a value of its own here"}},
	{name: "anchored target is refused",
		pins:  `[{kind: helm, file: values.yaml}]`,
		files: map[string]string{"values.yaml": "image:\n  digest: &d ''\nsidecar:\n  digest: *d\n"},
		kind:  ErrAlias,
		want:  []string{"path image.digest: alias", "carries the anchor &d; editing it would change every alias *d too"}},
	{name: "tag without a release version",
		pins:   `[{kind: helm, file: values.yaml, write: [tag, digest]}]`,
		files:  map[string]string{"values.yaml": "image: {tag: '', digest: ''}\n"},
		target: func(t *Target) { t.Version = "" },
		kind:   ErrInvalidValue,
		want:   []string{"pin 1 of api in prod (kind helm): file values.yaml: invalid value: the pin writes a tag from tagFormat \"{version}\", but the build has no release version yet", "tagFormat: \"sha-{shortCommit}\""}},
	{name: "tag that is not an image tag",
		pins:   `[{kind: kustomize, file: k.yaml, write: [newTag, digest]}]`,
		files:  map[string]string{"k.yaml": "images: [{name: ghcr.io/acme/api, newTag: '', digest: ''}]\n"},
		target: func(t *Target) { t.Version = "1.5.0+build.7" },
		kind:   ErrInvalidValue,
		want:   []string{`renders the tag "1.5.0+build.7", which is not a valid image tag`}},
	{name: "image of another service",
		pins:  `[{file: deploy.yaml, path: "spec.containers[0].image", write: "repo:tag@digest"}]`,
		files: map[string]string{"deploy.yaml": "spec:\n  containers:\n    - image: ghcr.io/acme/web:2.0\n"},
		kind:  ErrInvalidValue,
		want:  []string{"deploy.yaml:3", "the pin holds an image of ghcr.io/acme/web, but the service's image is ghcr.io/acme/api"}},
	{name: "file that is not YAML",
		pins:  `[{kind: helm, file: values.yaml}]`,
		files: map[string]string{"values.yaml": "image:\n  digest: x\n tag: [1\n"},
		want:  []string{"pin 1 of api in prod (kind helm): file values.yaml:2: the file is not valid YAML near line 2"}},
	{name: "block scalar",
		pins:  `[{kind: helm, file: values.yaml}]`,
		files: map[string]string{"values.yaml": "image:\n  digest: |\n    sha256:x\n"},
		kind:  ErrUnsupported,
		want:  []string{"path image.digest: unsupported scalar: the value at line 2 is a block scalar"}},
}

func TestPinSetErrors(t *testing.T) {
	var all strings.Builder
	defer func() {
		checkGolden(t, filepath.Join("testdata", "pins-errors.golden"), []byte(all.String()))
	}()
	for _, tc := range pinErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			var pins PinSet
			if err := yaml.Unmarshal([]byte(tc.pins), &pins); err != nil {
				t.Fatal(err)
			}
			if err := pins.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			files := map[string][]byte{}
			for k, v := range tc.files {
				files[k] = []byte(v)
			}
			target := goldenTarget
			if tc.target != nil {
				tc.target(&target)
			}
			changed, err := pins.Apply(files, target)
			if err == nil {
				t.Fatalf("Apply succeeded with %q", changed)
			}
			if changed != nil {
				t.Errorf("a failed Apply returned changes: %v", changed)
			}
			var pe *PinError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *PinError", err, err)
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("error %v does not wrap %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nlacks\n  %s", err, w)
				}
			}
			fmt.Fprintf(&all, "# %s\n%v\n\n", tc.name, err)
		})
	}
}

// TestPinSetCurrentMismatch: pins that hold different digests are one
// typed error naming each pin and what it holds.
func TestPinSetCurrentMismatch(t *testing.T) {
	var pins PinSet
	src := `[{kind: helm, file: values.yaml, write: [tag@digest, digest]}, {kind: argocd, file: app.yaml}]`
	if err := yaml.Unmarshal([]byte(src), &pins); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"values.yaml": []byte("image:\n  tag: 1.4.2@" + oldDigest + "\n  digest: " + oldDigest + "\n"),
		"app.yaml":    []byte("kind: Application\nspec:\n  source:\n    helm:\n      parameters: [{name: image.digest, value: ''}]\n"),
	}
	_, err := pins.Current(files, goldenTarget)
	var me *MismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrDisagree) {
		t.Fatalf("Current = %v, want *MismatchError", err)
	}
	want := "the pins of api in prod hold different digests: pin 1 (kind helm) values.yaml image.tag holds " + oldDigest +
		"; pin 1 (kind helm) values.yaml image.digest holds " + oldDigest +
		"; pin 2 (kind argocd) app.yaml doc[kind=Application] spec.source.helm.parameters[name=image.digest].value holds nothing" +
		"; promote again to write one digest into all of them, or make them agree by hand"
	if err.Error() != want {
		t.Errorf("message\n got: %s\nwant: %s", err, want)
	}
	if len(me.Readings) != 3 || me.Readings[2].Pin != 1 || me.Readings[2].File != "app.yaml" || me.Readings[0].Value != "1.4.2@"+oldDigest {
		t.Errorf("readings: %+v", me.Readings)
	}
	// The promotion that follows makes them agree.
	changed, err := pins.Apply(files, goldenTarget)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range changed {
		files[k] = v
	}
	if got, err := pins.Current(files, goldenTarget); err != nil || got != newDigest {
		t.Errorf("after Apply: Current = %q, %v", got, err)
	}
}

// TestPinSetApplyRefusesBadTarget: a target that is not a digest, or an
// image with a tag, changes nothing.
func TestPinSetApplyRefusesBadTarget(t *testing.T) {
	pins := PinSet{{File: "values.yaml", Path: "image.digest"}}
	files := map[string][]byte{"values.yaml": []byte("image: {digest: ''}\n")}
	for _, tc := range []struct {
		edit func(*Target)
		want string
	}{
		{func(t *Target) { t.Digest = "sha256:abc" }, "is not an image digest"},
		{func(t *Target) { t.Image = "ghcr.io/acme/api:1.4" }, "is not a repository such as ghcr.io/acme/api"},
		{func(t *Target) { t.Image = "" }, "is not a repository"},
		{func(t *Target) { t.Commit = "abc" }, "is not a full git SHA"},
	} {
		target := goldenTarget
		tc.edit(&target)
		changed, err := pins.Apply(files, target)
		if err == nil || changed != nil || !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply(%+v) = %v, %v; want ErrInvalidValue saying %q", target, changed, err, tc.want)
		}
	}
	if _, err := (PinSet{}).Apply(files, goldenTarget); err == nil || !strings.Contains(err.Error(), "has no pins") {
		t.Errorf("empty set: %v", err)
	}
}

// TestPinSetFiles: distinct, sorted, rendered.
func TestPinSetFiles(t *testing.T) {
	pins := PinSet{
		{File: "envs/{env}/{service}/values.yaml", Path: "image.digest"},
		{Kind: "argocd", File: "apps/{env}/{service}.yaml"},
		{File: "envs/{env}/{service}/values.yaml", Path: "podAnnotations.digest"},
	}
	got, err := pins.Files("api", "prod")
	if err != nil || strings.Join(got, " ") != "apps/prod/api.yaml envs/prod/api/values.yaml" {
		t.Errorf("Files = %v, %v", got, err)
	}
	if _, err := pins.Files("../x", "prod"); err == nil || !strings.Contains(err.Error(), "pin 1 of ../x in prod") {
		t.Errorf("Files with a bad service name: %v", err)
	}
}

// TestPinSetApplyRefusesPinsThatUndoEachOther: two pins writing one field
// differently would leave it without the digest; Apply refuses.
func TestPinSetApplyRefusesPinsThatUndoEachOther(t *testing.T) {
	var pins PinSet
	src := `[{file: values.yaml, path: image.tag, write: tag@digest}, {kind: helm, file: values.yaml, write: [tag, digest]}]`
	if err := yaml.Unmarshal([]byte(src), &pins); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"values.yaml": []byte("image: {tag: '', digest: ''}\n")}
	changed, err := pins.Apply(files, goldenTarget)
	if changed != nil || !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(),
		`pin 1 of api in prod (kind yaml): file values.yaml, document (none selected), path image.tag: conflict: after the promotion the field holds "1.5.0", not the digest`) {
		t.Errorf("Apply = %v, %v", changed, err)
	}
}

// TestPinSetApplyValidatesPins: a pin built in Go gets the checks a pin
// from slipway.yaml gets, before any file is touched.
func TestPinSetApplyValidatesPins(t *testing.T) {
	pins := PinSet{{Kind: "helm", File: "values.yaml", Write: Write{"digest", "bogus"}}}
	files := map[string][]byte{"values.yaml": []byte("image: {digest: '', bogus: ''}\n")}
	changed, err := pins.Apply(files, goldenTarget)
	if changed != nil || !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), `pin 1 of api in prod (kind helm): file values.yaml: invalid value: the pin's configuration: write: "bogus" is not something this kind writes`) {
		t.Errorf("Apply = %v, %v", changed, err)
	}
	if _, err := pins.Current(files, goldenTarget); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Current = %v; want the same refusal", err)
	}
}
