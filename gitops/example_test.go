package gitops_test

import (
	"fmt"

	"github.com/slipway/slipway/gitops"
)

func ExamplePin_Apply() {
	pin := gitops.Pin{File: "envs/{env}/{service}/values.yaml", Path: "image.digest"}
	file, _ := pin.Render("api", "prod")
	values := []byte(`image:
  repository: ghcr.io/acme/api
  digest: ""   # set by Slipway
`)
	out, changed, err := pin.Apply(values, "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437", "ghcr.io/acme/api")
	if err != nil {
		fmt.Println(gitops.SetFile(err, file))
		return
	}
	fmt.Println(file, changed)
	fmt.Print(string(out))
	// Output:
	// envs/prod/api/values.yaml true
	// image:
	//   repository: ghcr.io/acme/api
	//   digest: "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437"   # set by Slipway
}

func ExampleSet_missingField() {
	values := []byte("image:\n  repository: ghcr.io/acme/api\n")
	_, _, err := gitops.Set(values, "image.digest", "sha256:...")
	fmt.Println(gitops.SetFile(err, "envs/prod/api/values.yaml"))
	// Output:
	// envs/prod/api/values.yaml:1: pin path image.digest: not found: `image` (line 1) has no key "digest"; add `digest: ""` under `image:` or fix `path:` of the pin in slipway.yaml
}

func ExampleGet() {
	manifest := []byte(`kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
`)
	image, _ := gitops.Get(manifest, "spec.template.spec.containers[name=api].image")
	fmt.Println(image)
	// Output: ghcr.io/acme/api:1.4.2
}

func ExamplePinSet_Apply() {
	pins := gitops.PinSet{
		{Kind: "helm", File: "envs/{env}/{service}/values.yaml", Write: gitops.Write{"tag", "digest"}},
		{Kind: "kustomize", File: "apps/{service}/overlays/{env}/kustomization.yaml"},
	}
	files := map[string][]byte{
		"envs/prod/api/values.yaml":                 []byte("image:\n  repository: ghcr.io/acme/api\n  tag: \"1.4.2\"   # for humans\n  digest: \"\"\n"),
		"apps/api/overlays/prod/kustomization.yaml": []byte("images:\n  - name: ghcr.io/acme/api\n    digest: \"\"\n"),
	}
	target := gitops.Target{Service: "api", Env: "prod", Image: "ghcr.io/acme/api", Version: "1.5.0",
		Digest: "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437"}
	changed, err := pins.Apply(files, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(changed["envs/prod/api/values.yaml"]))
	fmt.Print(string(changed["apps/api/overlays/prod/kustomization.yaml"]))

	delete(files, "apps/api/overlays/prod/kustomization.yaml")
	_, err = pins.Apply(files, target)
	fmt.Println(err)
	// Output:
	// image:
	//   repository: ghcr.io/acme/api
	//   tag: "1.5.0"   # for humans
	//   digest: "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437"
	// images:
	//   - name: ghcr.io/acme/api
	//     digest: "sha256:11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437"
	// pin 2 of api in prod (kind kustomize): file apps/api/overlays/prod/kustomization.yaml, document (none selected), path images[name=ghcr.io/acme/api].digest: file not found: the file is not in the GitOps checkout on the environment's branch; create it with the pinned field, or fix file: of the pin in slipway.yaml
}
