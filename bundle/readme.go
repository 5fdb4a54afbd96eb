package bundle

import (
	"context"
	"fmt"
	"strings"
)

// ReadmeFile explains the bundle to whoever opens it.
const ReadmeFile = "README.md"

// VerifyCommands are the commands that check a bundle without Slipway,
// from the bundle directory, with the vendor's public key slipway.pub.
// cosign v3 prefers --bundle (its --signature still works, deprecated);
// cosign v2 reads --signature.
var VerifyCommands = []string{
	"sha256sum --check --strict " + SumsFile,
	"cosign verify-blob --key slipway.pub --bundle " + SigstoreFile + " --insecure-ignore-tlog=true " + SumsFile + "   # cosign v3",
	"cosign verify-blob --key slipway.pub --signature " + SigFile + " --insecure-ignore-tlog=true " + SumsFile + "      # cosign v2",
}

func (b *build) writeReadme(context.Context) error {
	var s strings.Builder
	m := b.m
	fmt.Fprintf(&s, "# %s %s: self-host bundle\n\n", m.Name, m.Version)
	b.writeLayout(&s)
	s.WriteString("\n## Verify it\n\nWith the vendor's public key (`slipway.pub`, published apart from this bundle, never taken from it), from this directory:\n\n```sh\n")
	s.WriteString("slipway bundle verify . --key slipway.pub          # files, signature, and every image signature in its registry\n")
	s.WriteString("# or, without Slipway:\n")
	for _, c := range VerifyCommands {
		s.WriteString(c + "\n")
	}
	s.WriteString("```\n\nThe signature covers SHA256SUMS, which covers every other file. `--insecure-ignore-tlog` because the signature is not in a public transparency log.\n")
	if b.chart != nil {
		fmt.Fprintf(&s, "\n## Install with Helm\n\n```sh\nhelm install %s %s -n %s --create-namespace -f my-values.yaml\n```\n\nThe chart pins every image by digest (`<component>.image.repository` and `.digest` in values.yaml): keep those out of my-values.yaml.\n", m.Name, b.chart.Archive, m.Name)
	}
	if b.compose != nil {
		fmt.Fprintf(&s, "\n## Run with Docker Compose\n\n```sh\ncd %s\ncp .env.example .env     # then set the required values\ndocker compose -p %s up -d                      # lite: the services every installation runs\ndocker compose -p %s --profile %s up -d   # lite and the optional standard services\n```\n", ComposeDir, m.Name, m.Name, StandardProfile)
	}
	s.WriteString("\n## Mirror the images\n\n`images.txt` lists every image index by digest, e.g. for an air-gapped registry:\n\n```sh\nwhile read -r ref; do skopeo copy --all \"docker://$ref\" \"docker://mirror.example.com/${ref#*/}\"; done < images.txt\n```\n")
	return b.write(ReadmeFile, []byte(s.String()))
}

func (b *build) writeLayout(s *strings.Builder) {
	s.WriteString("| file | what it is |\n| --- | --- |\n")
	row := func(file, what string) { fmt.Fprintf(s, "| `%s` | %s |\n", file, what) }
	row(ManifestFile, "the platform manifest: every component's version and image digest")
	row(ImagesFile, "each component's multi-arch image index, its platform images and the key that signed each")
	row(ImageListFile, "the image indexes, one `repo@sha256:…` per line")
	if b.chart != nil {
		row(b.chart.Archive, "the Helm chart (also pushed as an OCI chart)")
	}
	if b.compose != nil {
		row(ComposeFile, "the Docker Compose project; optional services are in the `"+StandardProfile+"` profile")
		row(EnvExampleFile, "every variable compose.yaml reads, to copy to `.env`")
	}
	if b.migs != nil && len(b.migs.files) > 0 {
		row(MigrationsDir+"/", "the database migrations the components run when they start")
	}
	row(ReleaseNotesFile, "what changed, breaking changes and deprecations first")
	row(UpgradeFile, "how to upgrade: required stops, backups, changed settings, commands")
	row(MigrationsFile, "schema changes: expand/contract steps and the roll-forward rule")
	row(SumsFile, "SHA-256 of every file")
	row(SigFile+", "+SigstoreFile, "the signature over SHA256SUMS (cosign formats)")
}
