package api

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/slipway/slipway"
)

// FuzzPageArgs: a client's cursor and limit are untrusted; they parse or
// are refused as invalid, and a cursor this API hands out reads back.
func FuzzPageArgs(f *testing.F) {
	for _, seed := range [][2]string{{"", ""}, {cursorOf("p-42"), "10"}, {"!!", "0"}, {"cC0x", "501"}, {cursorOf("s0001"), "-1"}, {"%00", "1e3"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, cursor, limit string) {
		r := httptest.NewRequest("GET", "/api/v1/promotions?"+url.Values{"cursor": {cursor}, "limit": {limit}}.Encode(), nil)
		n, after, err := pageArgs(r)
		if err != nil {
			if slipway.ErrorCode(err) != slipway.EINVALID {
				t.Fatalf("%q %q: %v is not invalid", cursor, limit, err)
			}
			return
		}
		if n < 1 || n > maxLimit {
			t.Fatalf("limit %d accepted from %q", n, limit)
		}
		if cursor != "" && cursorOf(after) != cursor {
			t.Fatalf("cursor %q read as %q, which does not encode back", cursor, after)
		}
	})
}
