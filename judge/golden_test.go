package judge

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenClassify runs every testdata/classify/*.json request through the
// same path as `slipway analysis judge` and compares the output, reasons
// included, with the .golden file next to it. After a deliberate change,
// run `go test ./judge -update` and review the diff.
func TestGoldenClassify(t *testing.T) {
	golden(t, "testdata/classify", func(data []byte) any {
		in, err := ParseInput(data)
		if err != nil {
			return ErrorResult(err.Error())
		}
		res, _ := Classify(in)
		return res
	})
}

// TestGoldenScore does the same for `slipway analysis score`.
func TestGoldenScore(t *testing.T) {
	golden(t, "testdata/score", func(data []byte) any {
		in, err := ParseScoreInput(data)
		if err != nil {
			t.Fatalf("invalid golden input: %v", err)
		}
		res, err := Score(in)
		if err != nil {
			t.Fatal(err)
		}
		return res
	})
}

func golden(t *testing.T, dir string, run func([]byte) any) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs in %s (%v)", dir, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(run(data), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			want := strings.TrimSuffix(file, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test ./judge -update to create it)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("output differs from %s:\n%s", want, got)
			}
		})
	}
}
