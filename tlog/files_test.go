package tlog

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzSplitBundle: an entry bundle is read from files an attacker may
// write. Splitting never panics, and what it returns re-encodes to the
// prefix of the file it came from.
func FuzzSplitBundle(f *testing.F) {
	one, _ := leafN(0).Marshal()
	var bundle []byte
	for range 3 {
		bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(one)))
		bundle = append(bundle, one...)
	}
	f.Add(bundle)
	f.Add([]byte{0, 5, 'a'})
	f.Add([]byte{0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		entries, err := splitBundle(raw, 256)
		var again []byte
		for _, e := range entries {
			again = binary.BigEndian.AppendUint16(again, uint16(len(e)))
			again = append(again, e...)
		}
		if !bytes.HasPrefix(raw, again) || (err == nil && len(again) != len(raw)) {
			t.Fatalf("split of %d bytes does not re-encode to the file (err %v)", len(raw), err)
		}
	})
}
