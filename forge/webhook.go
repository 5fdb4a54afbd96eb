package forge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/slipway/slipway"
)

// VerifyHMAC reports whether sigHex is the hex HMAC-SHA256 of body under
// secret (GitHub's X-Hub-Signature-256 after "sha256=", Gitea's
// X-Gitea-Signature), compared in constant time. An empty secret never
// verifies anything.
func VerifyHMAC(secret, body []byte, sigHex string) bool {
	if len(secret) == 0 {
		return false
	}
	got, err := hex.DecodeString(strings.TrimSpace(sigHex))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// SignHMAC is the hex HMAC-SHA256 a forge sends; tests sign deliveries with it.
func SignHMAC(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Refuse is the error for a delivery that cannot be trusted: EFORBIDDEN,
// naming the forge, the reason and what to fix.
func Refuse(forgeName, format string, args ...any) error {
	e := slipway.Errorf(slipway.EFORBIDDEN, format, args...)
	e.Message = forgeName + " webhook refused: " + e.Message
	return e
}

// NoSecret refuses every delivery when no webhook secret is configured.
func NoSecret(forgeName string) error {
	return Refuse(forgeName, "no webhook secret is configured: set gitops.forge.webhookSecretEnv (or webhookSecretFile) to the secret entered in the webhook's settings; until then Slipway learns of merges by polling")
}

// SameRepo reports whether a delivery's repository is the configured one
// (case-insensitive, as GitHub and Gitea names are). An organization-wide
// webhook shares one secret across repositories: a valid signature does not
// make pull request #5 of another repository ours.
func SameRepo(configured, delivered string) bool {
	return delivered != "" && strings.EqualFold(strings.TrimSpace(configured), strings.TrimSpace(delivered))
}

// CheckHMAC verifies a delivery signed the GitHub way: header holds
// prefix and the hex HMAC-SHA256 of the raw body under secret. It refuses
// (EFORBIDDEN) when no secret is configured, the header is missing, or the
// signature does not match; where names the webhook's settings page.
func CheckHMAC(forgeName string, secret []byte, r *http.Request, body []byte, header, prefix, where string) error {
	if len(secret) == 0 {
		return NoSecret(forgeName)
	}
	sig := r.Header.Get(header)
	if sig == "" {
		return Refuse(forgeName, "no %s header: set the webhook's secret (%s) to gitops.forge.webhookSecret*", header, where)
	}
	hexSig, ok := strings.CutPrefix(sig, prefix)
	if !ok || !VerifyHMAC(secret, body, hexSig) {
		return Refuse(forgeName, "%s does not match the body: the webhook's secret differs from Slipway's, or the delivery was altered", header)
	}
	return nil
}
