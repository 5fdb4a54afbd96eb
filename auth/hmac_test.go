package auth

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHookSignatures(t *testing.T) {
	key := []byte("hook key")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"service":"api"}`)
	ts := now.Unix()
	sig := SignHook(key, ts, body)
	if err := VerifyHook(key, fmt.Sprint(ts), sig, body, now); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		key       []byte
		ts, sig   string
		body      []byte
		want      string
		clockSkew time.Duration
	}{
		"another key":         {[]byte("other"), fmt.Sprint(ts), sig, body, "bad signature", 0},
		"altered body":        {key, fmt.Sprint(ts), sig, []byte(`{"service":"web"}`), "bad signature", 0},
		"timestamp moved":     {key, fmt.Sprint(ts + 1), sig, body, "bad signature", 0},
		"stale":               {key, fmt.Sprint(ts), sig, body, "stale delivery", 6 * time.Minute},
		"from the future":     {key, fmt.Sprint(ts), sig, body, "stale delivery", -6 * time.Minute},
		"no timestamp":        {key, "", sig, body, "not a Unix time", 0},
		"milliseconds":        {key, fmt.Sprint(ts * 1000), sig, body, "stale", 0},
		"no prefix":           {key, fmt.Sprint(ts), strings.TrimPrefix(sig, "sha256="), body, "sha256= followed by", 0},
		"short":               {key, fmt.Sprint(ts), sig[:20], body, "sha256= followed by", 0},
		"no key configured":   {nil, fmt.Sprint(ts), sig, body, "no key is configured", 0},
		"signature of bodies": {key, fmt.Sprint(ts), SignHook(key, ts, nil), body, "bad signature", 0},
	} {
		err := VerifyHook(c.key, c.ts, c.sig, c.body, now.Add(c.clockSkew))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if err := VerifyHook(key, fmt.Sprint(ts), sig, body, now.Add(4*time.Minute)); err != nil {
		t.Errorf("inside the window: %v", err)
	}
}

func FuzzVerifyHook(f *testing.F) {
	key := []byte("k")
	now := time.Unix(1_800_000_000, 0)
	f.Add("1800000000", SignHook(key, 1_800_000_000, []byte("b")), []byte("b"))
	f.Add("", "", []byte(""))
	f.Add("-1", "sha256=", []byte("x"))
	f.Add("1800000000 ", "sha256="+strings.Repeat("0", 64), []byte("b"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		if VerifyHook(key, ts, sig, body, now) != nil {
			return
		}
		// Accepted: it must be the real signature of the body at that time.
		n, _ := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
		if !strings.EqualFold(strings.TrimSpace(sig), SignHook(key, n, body)) {
			t.Fatalf("accepted a forged signature %q for ts %q", sig, ts)
		}
	})
}
