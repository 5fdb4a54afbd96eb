package auth

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestTokensAreRandomAndStoredHashed(t *testing.T) {
	a, ha := NewSecret()
	b, hb := NewSecret()
	if a == b || ha == hb || !strings.HasPrefix(a, TokenPrefix) || len(a) != 56 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if strings.Contains(ha, a[len(TokenPrefix):]) || HashSecret(a) != ha || len(ha) != 64 {
		t.Fatalf("hash %q of %q", ha, a)
	}
	if got, err := ParseToken(" " + a + "\n"); err != nil || got != a {
		t.Fatalf("a token read from a file with a newline: %q %v", got, err)
	}
	for _, bad := range []string{"", a[:55], a + "a", "ghp_" + a[4:], TokenPrefix + strings.Repeat("1", 52), strings.ToUpper(a)} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	s, _ := NewSecret()
	for _, seed := range []string{s, "", "slw_", TokenPrefix + strings.Repeat("a", 52), TokenPrefix + strings.Repeat("8", 52), "slw_\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseToken(in)
		if err == nil && (len(got) != tokenLen || !strings.HasPrefix(got, TokenPrefix)) {
			t.Fatalf("accepted %q as %q", in, got)
		}
	})
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the default parameters", h)
	}
	if ok, err := VerifyPassword(h, "correct horse battery staple"); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := VerifyPassword(h, "correct horse battery stapler"); ok {
		t.Fatal("wrong password accepted")
	}
	if h2, _ := HashPassword("correct horse battery staple"); h2 == h {
		t.Fatal("two hashes of one password share a salt")
	}
	if _, err := HashPassword("short"); err == nil || !strings.Contains(err.Error(), "12 characters") {
		t.Fatalf("a short password: %v", err)
	}
	// A hash made elsewhere (htpasswd -B writes bcrypt) still verifies.
	bc, _ := bcrypt.GenerateFromPassword([]byte("from htpasswd file"), bcrypt.MinCost)
	if ok, err := VerifyPassword(string(bc), "from htpasswd file"); !ok || err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	if ok, _ := VerifyPassword(string(bc), "wrong"); ok {
		t.Fatal("bcrypt: wrong password accepted")
	}
}

// A stored hash is data: one with absurd parameters must be refused before
// argon2 allocates gigabytes or runs for minutes.
func TestHostileHashParametersAreRefused(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
	for _, h := range []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, // 4 GiB
		"$argon2id$v=19$m=19456,t=100000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=255$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1,m=1$" + salt + "$" + key,
		"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$",
		"plain-text-password",
	} {
		start := time.Now()
		ok, err := VerifyPassword(h, "x")
		if ok || err == nil {
			t.Errorf("%q: ok=%v err=%v", h, ok, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q took %s to refuse", h, d)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	h, _ := HashPassword("correct horse battery staple")
	for _, seed := range []string{h, "", "$", "$argon2id$v=19$m=1,t=1,p=1$$", "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePHC(in)
		if err != nil {
			return
		}
		if p.Params.Memory > maxMemory || p.Params.Time > maxTime || p.Params.Threads > maxThreads || p.Params.Threads == 0 || len(p.Key) < 16 || len(p.Salt) < 8 {
			t.Fatalf("accepted out-of-range %q: %+v", in, p.Params)
		}
	})
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(3, 10*time.Second)
	l.Now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("ip:1", "user:bob"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := l.Allow("ip:1", "user:bob")
	if ok || wait != 10*time.Second {
		t.Fatalf("fourth attempt: %v, wait %s", ok, wait)
	}
	if ok, _ := l.Allow("ip:2", "user:bob"); ok {
		t.Fatal("another address guessing the same user is limited too")
	}
	if ok, _ := l.Allow("ip:2", "user:carol"); !ok {
		t.Fatal("another address and user are not limited")
	}
	now = now.Add(10 * time.Second)
	if ok, _ := l.Allow("ip:1", "user:bob"); !ok {
		t.Fatal("one attempt comes back after Every")
	}
	if ok, _ := l.Allow("ip:1", "user:bob"); ok {
		t.Fatal("only one")
	}
	now = now.Add(time.Hour)
	l.Allow("ip:9")
	if len(l.buckets) != 1 {
		t.Fatalf("refilled buckets are forgotten: %d kept", len(l.buckets))
	}
}
