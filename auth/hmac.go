package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway"
)

// Signed webhooks, both ways (CI's POST /hooks/build to Slipway, and
// Slipway's generic notification webhooks to a receiver), in the scheme of
// Stripe's and Slack's request signing: the sender puts the Unix time in
// X-Slipway-Timestamp and "sha256=" + hex HMAC-SHA256(key, timestamp + "." +
// body) in X-Slipway-Signature. The timestamp is inside the MAC, so a
// captured delivery cannot be replayed later with a new time, and the
// receiver refuses timestamps outside its replay window.
const (
	HeaderTimestamp = "X-Slipway-Timestamp"
	HeaderSignature = "X-Slipway-Signature"
	HeaderDelivery  = "X-Slipway-Delivery"
	// ReplayWindow is how far a delivery's timestamp may be from now.
	ReplayWindow = 5 * time.Minute
)

// SignHook returns the X-Slipway-Signature value of a body sent at ts.
func SignHook(key []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyHook checks a signed delivery: the timestamp header is a Unix time
// within ReplayWindow of now, and the signature is the HMAC of timestamp
// and body under key (compared in constant time). The errors say which
// check failed, for the sender's logs; all are EFORBIDDEN.
func VerifyHook(key []byte, timestamp, signature string, body []byte, now time.Time) error {
	if len(key) == 0 {
		return slipway.Errorf(slipway.EFORBIDDEN, "no key is configured for this hook: set hooks.build.secretEnv or secretFile in slipway.yaml")
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil || ts <= 0 {
		return slipway.Errorf(slipway.EFORBIDDEN, "%s %q is not a Unix time in seconds: send the time the delivery was signed", HeaderTimestamp, timestamp)
	}
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > ReplayWindow || d < -ReplayWindow {
		return slipway.Errorf(slipway.EFORBIDDEN, "stale delivery: signed at %s, %s from now, outside the %s replay window (check the sender's clock; sign each delivery when it is sent)", at.UTC().Format(time.RFC3339), d.Round(time.Second), ReplayWindow)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return slipway.Errorf(slipway.EFORBIDDEN, "%s must be sha256= followed by 64 hex digits", HeaderSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(SignHook(key, ts, body), "sha256="))
	if !hmac.Equal(got, want) {
		return slipway.Errorf(slipway.EFORBIDDEN, "bad signature: %s is not the HMAC-SHA256 of %s + \".\" + body under the configured key (a different key, or the body was altered)", HeaderSignature, HeaderTimestamp)
	}
	return nil
}
