package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway"
)

// Argon2Params are argon2id's cost parameters. The defaults are OWASP's
// recommended minimum (19 MiB, 2 passes, 1 lane): a login costs about
// 20 ms and 19 MiB, so a rate-limited login endpoint cannot exhaust the
// server.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultArgon2 is used for new hashes.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Limits a stored hash's parameters must respect: a hash is data, and a
// hostile one must not make a login allocate gigabytes or spin for minutes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
)

// HashPassword returns the argon2id hash of a password in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash), the one the reference
// implementation and most libraries read.
func HashPassword(password string) (string, error) {
	if err := CheckPasswordStrength(password); err != nil {
		return "", err
	}
	return hashWith(password, DefaultArgon2), nil
}

func hashWith(password string, p Argon2Params) string {
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPasswordStrength refuses passwords too short to resist guessing.
func CheckPasswordStrength(password string) error {
	if len([]rune(password)) < 12 {
		return slipway.Errorf(slipway.EINVALID, "the password is shorter than 12 characters: choose a longer one (a passphrase of several words works well)")
	}
	if len(password) > 1024 {
		return slipway.Errorf(slipway.EINVALID, "the password is longer than 1024 bytes")
	}
	return nil
}

// PHC is a parsed argon2id hash.
type PHC struct {
	Params Argon2Params
	Salt   []byte
	Key    []byte
}

// ParsePHC parses an argon2id PHC string, refusing parameters outside the
// limits.
func ParsePHC(s string) (*PHC, error) {
	bad := func(format string, args ...any) (*PHC, error) {
		return nil, slipway.Errorf(slipway.EINVALID, "password hash: "+format+"; set the password again with `slipway user passwd`", args...)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm %q: only argon2id (and bcrypt) hashes are read", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version %q: only v=%d", parts[2], argon2.Version)
	}
	var h PHC
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] {
			return bad("parameter %q", kv)
		}
		seen[k] = true
		switch k {
		case "m":
			h.Params.Memory = uint32(n)
		case "t":
			h.Params.Time = uint32(n)
		case "p":
			if n > 255 {
				return bad("parameter %q", kv)
			}
			h.Params.Threads = uint8(n)
		default:
			return bad("unknown parameter %q", k)
		}
	}
	p := h.Params
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return bad("m, t and p are all required")
	}
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Threads > maxThreads || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return bad("parameters m=%d,t=%d,p=%d are outside the accepted range (m ≤ %d KiB, t ≤ %d, p ≤ %d)", p.Memory, p.Time, p.Threads, maxMemory, maxTime, maxThreads)
	}
	var err error
	if h.Salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.Salt) < 8 || len(h.Salt) > 64 {
		return bad("the salt is not 8 to 64 bytes of unpadded base64")
	}
	if h.Key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.Key) < 16 || len(h.Key) > 64 {
		return bad("the hash is not 16 to 64 bytes of unpadded base64")
	}
	h.Params.KeyLen, h.Params.SaltLen = uint32(len(h.Key)), uint32(len(h.Salt))
	return &h, nil
}

// VerifyPassword reports whether password matches a stored hash: argon2id
// (PHC string) or bcrypt ($2a$, $2b$, $2y$, as htpasswd writes them). The
// comparison takes constant time.
func VerifyPassword(hash, password string) (bool, error) {
	if strings.HasPrefix(hash, "$2") {
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		if err == bcrypt.ErrMismatchedHashAndPassword {
			return false, nil
		}
		if err != nil {
			return false, slipway.Errorf(slipway.EINVALID, "password hash: %v", err)
		}
		return true, nil
	}
	h, err := ParsePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), h.Salt, h.Params.Time, h.Params.Memory, h.Params.Threads, h.Params.KeyLen)
	return subtle.ConstantTimeCompare(got, h.Key) == 1, nil
}

// dummyHash is verified against when a login names no known user, so the
// answer takes as long as for a wrong password and does not reveal which
// users exist.
var dummyHash = sync.OnceValue(func() string { return hashWith("slipway-no-such-user", DefaultArgon2) })
