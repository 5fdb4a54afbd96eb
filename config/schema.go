package config

import _ "embed"

// Schema is the JSON Schema of slipway.yaml, for editors and CI linters.
//
//go:embed slipway.schema.json
var Schema []byte
