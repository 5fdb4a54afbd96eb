package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway/api/apitest"
)

func TestServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	for _, c := range []struct {
		tls  serveTLS
		addr string
		ok   bool
	}{
		{serveTLS{}, "127.0.0.1:8080", true},
		{serveTLS{}, "[::1]:8080", true},
		{serveTLS{}, "localhost:8080", true},
		{serveTLS{}, "0.0.0.0:8080", false},
		{serveTLS{}, ":8080", false},
		{serveTLS{}, "10.0.0.5:8080", false},
		{serveTLS{insecure: true}, "0.0.0.0:8080", true},
		{serveTLS{cert: "c.pem", key: "k.pem"}, "0.0.0.0:8443", true},
		{serveTLS{cert: "c.pem"}, "127.0.0.1:8443", false},
	} {
		err := c.tls.check(c.addr)
		if (err == nil) != c.ok {
			t.Errorf("%+v on %s: %v", c.tls, c.addr, err)
		}
		if err != nil && !c.ok && c.tls.cert == "" && !strings.Contains(err.Error(), "--insecure-http") {
			t.Errorf("the refusal names the fixes: %v", err)
		}
	}
	if (&serveTLS{}).secure() || !(&serveTLS{insecure: true}).secure() || !(&serveTLS{cert: "c", key: "k"}).secure() {
		t.Error("cookies are Secure when browsers reach Slipway over TLS (its own or a proxy's)")
	}
}

// TestServeTLSServesTheAPI starts `slipway serve --tls-cert --tls-key` as a
// process on a world's store and calls the API over HTTPS with a token.
func TestServeTLSServesTheAPI(t *testing.T) {
	w := apitest.New(t, apitest.Options{})
	tok := w.Token(apitest.Victor)
	cert, key, pool := selfSigned(t)
	cmd := exec.Command(os.Args[0], "--config", filepath.Join(w.Dir, "slipway.yaml"), "--state", filepath.Join(w.Dir, ".slipway"),
		"serve", "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	cmd.Env = append(os.Environ(), "SLIPWAY_TEST_AS_CLI=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	m := regexp.MustCompile(`listening on (https://\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve: %q", line)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	get := func(path, token string) int {
		req, _ := http.NewRequest("GET", m[1]+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get("/api/v1/me", tok); s != 200 {
		t.Fatalf("GET /api/v1/me over TLS: %d", s)
	}
	if s := get("/api/v1/promotions", ""); s != 401 {
		t.Fatalf("without a token: %d", s)
	}
	if s := get("/healthz", ""); s != 200 {
		t.Fatalf("healthz: %d", s)
	}
	// The web UI is on the same server: its pages send a stranger to the
	// login page (the client follows the redirect), which answers.
	if s := get("/", ""); s != 200 {
		t.Fatalf("GET / (web UI, redirected to its login page): %d", s)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "slipway test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}
