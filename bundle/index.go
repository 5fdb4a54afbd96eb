package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// writeIndex writes platform.yaml (the manifest the bundle was built from),
// images.json (the verified image list) and images.txt (one "repo@digest"
// per line, for mirroring with `skopeo copy --all` or `crane copy`).
func (b *build) writeIndex(context.Context) error {
	y, err := b.m.YAML()
	if err != nil {
		return err
	}
	if err := b.write(ManifestFile, y); err != nil {
		return err
	}
	required, err := requiredPlatforms(b.m.Platforms, b.opts.RequirePlatforms)
	if err != nil {
		return err
	}
	list := ImageList{Platform: b.m.Name, Version: b.m.Version, RequiredPlatforms: required, Images: b.images}
	if list.RequiredPlatforms == nil {
		list.RequiredPlatforms = []string{}
	}
	j, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := b.write(ImagesFile, append(j, '\n')); err != nil {
		return err
	}
	var txt strings.Builder
	for _, img := range b.images {
		txt.WriteString(img.Ref() + "\n")
	}
	return b.write(ImageListFile, []byte(txt.String()))
}

// writeSums lists every file in SHA256SUMS and signs it.
func (b *build) writeSums(context.Context) error {
	sums, err := sumDir(b.stage)
	if err != nil {
		return err
	}
	data := FormatSums(sums)
	sigs, err := SignSums(b.opts.Signer, data)
	if err != nil {
		return err
	}
	if err := b.write(SumsFile, data); err != nil {
		return err
	}
	if err := b.write(SigFile, sigs.Sig); err != nil {
		return err
	}
	if sigs.Sigstore != nil {
		if err := b.write(SigstoreFile, sigs.Sigstore); err != nil {
			return err
		}
	}
	b.res.Sums, b.res.Digest, b.res.KeyID = sums, sumsDigest(data), sigs.KeyID
	return nil
}

// sumsDigest is the digest that names a bundle's content.
func sumsDigest(sums []byte) string {
	h := sha256.Sum256(sums)
	return "sha256:" + hex.EncodeToString(h[:])
}
