package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/slipway/slipway"
)

// TokenPrefix starts every API token, so secret scanners and people can
// tell a Slipway token from other strings.
const TokenPrefix = "slw_"

// tokenEncoding spells 32 random bytes as 52 lowercase letters and digits:
// one word to double-click, no padding.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// tokenLen is the length of a token: the prefix and 32 bytes in base32.
var tokenLen = len(TokenPrefix) + tokenEncoding.EncodedLen(32)

// NewSecret returns a fresh API token (shown once) and the hash the store
// keeps.
func NewSecret() (secret, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = TokenPrefix + tokenEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret is the hex SHA-256 a secret is stored and looked up under. A
// token has 256 bits of entropy, so a fast hash is enough (unlike
// passwords): nobody can guess their way to a preimage.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseToken checks a token's form before any lookup: the prefix, the
// length and the alphabet. It never says more than "malformed".
func ParseToken(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return "", slipway.Errorf(slipway.EINVALID, "the API token is malformed: a Slipway token is %s followed by %d letters and digits (create one with `slipway token create`)", TokenPrefix, tokenLen-len(TokenPrefix))
	}
	if _, err := tokenEncoding.DecodeString(s[len(TokenPrefix):]); err != nil {
		return "", slipway.Errorf(slipway.EINVALID, "the API token is malformed: it holds characters a Slipway token never has")
	}
	return s, nil
}

// NewID returns a random public id with a prefix (tok-…).
func NewID(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%x", prefix, b)
}

// RandomString returns n random bytes in unpadded URL-safe base32, for
// session cookies, CSRF tokens, OIDC state and nonces.
func RandomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return tokenEncoding.EncodeToString(b)
}
