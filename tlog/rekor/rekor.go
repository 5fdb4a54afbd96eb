// Package rekor records signatures in a Rekor v1 transparency log
// (hashedrekord entries) and verifies the entries it returns — their
// inclusion proof, the checkpoint it reaches and the signed entry
// timestamp — against the log's public key, offline, from the stored
// response.
//
// It speaks the REST API of rekor.sigstore.dev (openapi.yaml of
// sigstore/rekor): POST /api/v1/log/entries, GET /api/v1/log/entries/{uuid},
// POST /api/v1/log/entries/retrieve, GET /api/v1/log. Request and response
// shapes are Rekor's generated models; proofs are checked with Rekor's own
// verify package, and the entry's content is bound to the signature asked
// for, so a log (or a man in the middle) answering with another entry is
// refused.
package rekor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/slipway/slipway/trust"
)

// PublicGoodURL is the public Sigstore Rekor instance.
const PublicGoodURL = "https://rekor.sigstore.dev"

// maxResponse bounds what is read from the server.
const maxResponse = 8 << 20

// Client talks to one Rekor server and trusts one log key.
type Client struct {
	base *url.URL
	key  crypto.PublicKey
	http *http.Client
}

// New returns a client for the Rekor at baseURL whose entries must verify
// with key (the log's public key, from its operator or Sigstore's trusted
// root; PublicKey fetches it for you to pin, it is never trusted on first
// use). httpClient may be nil.
func New(baseURL string, key crypto.PublicKey, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("rekor URL %q: want http(s)://host[/path], e.g. %s", baseURL, PublicGoodURL)
	}
	if key == nil {
		return nil, fmt.Errorf("rekor %s: no log public key: pin it (`curl %s/api/v1/log/publicKey`, or the trusted root's tlogs entry)", u, u)
	}
	if _, err := LogID(key); err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: u, key: key, http: httpClient}, nil
}

// ParsePublicKey reads a PEM public key (a Rekor log key).
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	k, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("rekor public key: want a PEM PUBLIC KEY: %w", err)
	}
	return k, nil
}

// LogID is the id Rekor gives a log: hex SHA-256 of its key's DER
// SubjectPublicKeyInfo — the same id Slipway gives any key.
func LogID(key crypto.PublicKey) (string, error) {
	id, err := trust.KeyID(key)
	if err != nil {
		return "", fmt.Errorf("rekor public key: %w", err)
	}
	return id, nil
}

// HashedRekord is what a hashedrekord entry binds: one signature over one
// artifact, by one key or certificate.
type HashedRekord struct {
	Digest    []byte // SHA-256 of the signed bytes (the simple-signing payload, the blob…)
	Signature []byte // the raw signature
	PublicKey []byte // PEM of the verifying public key or certificate
}

func (h HashedRekord) validate() error {
	switch {
	case len(h.Digest) != sha256.Size:
		return fmt.Errorf("hashedrekord: digest of %d bytes, want a SHA-256", len(h.Digest))
	case len(h.Signature) == 0:
		return errors.New("hashedrekord: no signature")
	case len(h.PublicKey) == 0:
		return errors.New("hashedrekord: no public key or certificate")
	}
	_, err := parseKeyOrCert(h.PublicKey)
	return err
}

// proposed returns the request body: a hashedrekord v0.0.1 ProposedEntry.
func (h HashedRekord) proposed() *models.Hashedrekord {
	return &models.Hashedrekord{
		APIVersion: ptr("0.0.1"),
		Spec: models.HashedrekordV001Schema{
			Data: &models.HashedrekordV001SchemaData{Hash: &models.HashedrekordV001SchemaDataHash{
				Algorithm: ptr(models.HashedrekordV001SchemaDataHashAlgorithmSha256),
				Value:     ptr(hex.EncodeToString(h.Digest)),
			}},
			Signature: &models.HashedrekordV001SchemaSignature{
				Content:   strfmt.Base64(h.Signature),
				PublicKey: &models.HashedrekordV001SchemaSignaturePublicKey{Content: strfmt.Base64(h.PublicKey)},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

var uuidRE = regexp.MustCompile(`^([0-9a-fA-F]{16})?[0-9a-fA-F]{64}$`)

// Upload records h and returns its verified entry. An entry Rekor already
// holds (HTTP 409) is fetched and returned the same way, so uploading
// twice is harmless.
func (c *Client) Upload(ctx context.Context, h HashedRekord) (*Entry, error) {
	if err := h.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(h.proposed())
	if err != nil {
		return nil, err
	}
	resp, raw, err := c.do(ctx, http.MethodPost, "/api/v1/log/entries", body)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusCreated:
	case http.StatusConflict:
		uuid := uuidFromLocation(resp.Header.Get("Location"))
		if uuid == "" {
			return nil, fmt.Errorf("rekor %s: entry exists (409) but the response names no entry: %s", c.base, apiError(raw))
		}
		return c.Get(ctx, uuid, &h)
	default:
		return nil, c.statusError(resp, raw, "record the signature")
	}
	e, err := ParseEntry(raw)
	if err != nil {
		return nil, fmt.Errorf("rekor %s: %w", c.base, err)
	}
	if err := e.Verify(c.key, &h); err != nil {
		return nil, fmt.Errorf("rekor %s returned an entry that does not verify: %w", c.base, err)
	}
	return e, nil
}

// Get fetches the entry named uuid (64 or 80 hex) and verifies it; want,
// when given, must be what the entry records.
func (c *Client) Get(ctx context.Context, uuid string, want *HashedRekord) (*Entry, error) {
	if !uuidRE.MatchString(uuid) {
		return nil, fmt.Errorf("rekor entry UUID %q: want 64 or 80 hex digits", uuid)
	}
	resp, raw, err := c.do(ctx, http.MethodGet, "/api/v1/log/entries/"+strings.ToLower(uuid), nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, raw, "fetch entry "+uuid)
	}
	e, err := ParseEntry(raw)
	if err != nil {
		return nil, fmt.Errorf("rekor %s: %w", c.base, err)
	}
	if !sameUUID(e.UUID, uuid) {
		return nil, fmt.Errorf("rekor %s: asked for entry %s, got %s", c.base, uuid, e.UUID)
	}
	if err := e.Verify(c.key, want); err != nil {
		return nil, fmt.Errorf("rekor %s: entry %s: %w", c.base, uuid, err)
	}
	return e, nil
}

// Query selects entries for Retrieve: by UUID, by log index, or by content.
// Rekor takes at most 10 of each.
type Query struct {
	UUIDs      []string
	LogIndexes []int64
	Entries    []HashedRekord
}

// Retrieve searches the log and returns the entries found, each verified
// (an entry found by content must record that content). Entries Rekor does
// not hold are simply absent.
func (c *Client) Retrieve(ctx context.Context, q Query) ([]*Entry, error) {
	var sq models.SearchLogQuery
	for _, u := range q.UUIDs {
		if !uuidRE.MatchString(u) {
			return nil, fmt.Errorf("rekor entry UUID %q: want 64 or 80 hex digits", u)
		}
		sq.EntryUUIDs = append(sq.EntryUUIDs, strings.ToLower(u))
	}
	for _, i := range q.LogIndexes {
		if i < 0 {
			return nil, fmt.Errorf("rekor log index %d: want ≥ 0", i)
		}
		sq.LogIndexes = append(sq.LogIndexes, ptr(i))
	}
	var proposed []models.ProposedEntry
	for _, h := range q.Entries {
		if err := h.validate(); err != nil {
			return nil, err
		}
		proposed = append(proposed, h.proposed())
	}
	sq.SetEntries(proposed)
	if len(sq.EntryUUIDs) > 10 || len(sq.LogIndexes) > 10 || len(proposed) > 10 {
		return nil, errors.New("rekor retrieve: at most 10 UUIDs, 10 log indexes and 10 entries a query")
	}
	body, err := json.Marshal(&sq)
	if err != nil {
		return nil, err
	}
	resp, raw, err := c.do(ctx, http.MethodPost, "/api/v1/log/entries/retrieve", body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, raw, "search entries")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("rekor %s: search answer is not a list of entries: %w", c.base, err)
	}
	out := make([]*Entry, 0, len(list))
	for _, item := range list {
		e, err := ParseEntry(item)
		if err != nil {
			return nil, fmt.Errorf("rekor %s: %w", c.base, err)
		}
		if err := e.Verify(c.key, matching(e, q.Entries)); err != nil {
			return nil, fmt.Errorf("rekor %s: entry %s: %w", c.base, e.UUID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// matching returns the queried content an entry found by content must
// record, or nil when the entry was asked for by UUID or index.
func matching(e *Entry, asked []HashedRekord) *HashedRekord {
	body, err := e.Body()
	if err != nil {
		return nil
	}
	for i := range asked {
		if bytes.Equal(asked[i].Digest, body.Digest) && bytes.Equal(asked[i].Signature, body.Signature) {
			return &asked[i]
		}
	}
	return nil
}

// LogInfo is the log's current state, its checkpoint verified.
type LogInfo struct {
	TreeID         string
	TreeSize       int64
	RootHash       []byte
	SignedTreeHead string // the checkpoint note
}

// LogInfo fetches GET /api/v1/log and verifies the signed tree head.
func (c *Client) LogInfo(ctx context.Context) (*LogInfo, error) {
	resp, raw, err := c.do(ctx, http.MethodGet, "/api/v1/log", nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, raw, "read the log state")
	}
	var li models.LogInfo
	if err := json.Unmarshal(raw, &li); err != nil {
		return nil, fmt.Errorf("rekor %s: log info: %w", c.base, err)
	}
	if err := li.Validate(strfmt.Default); err != nil {
		return nil, fmt.Errorf("rekor %s: log info: %w", c.base, err)
	}
	root, _ := hex.DecodeString(*li.RootHash)
	size, err := verifyCheckpoint(*li.SignedTreeHead, c.key, root)
	if err != nil {
		return nil, fmt.Errorf("rekor %s: signed tree head: %w", c.base, err)
	}
	if int64(size) != *li.TreeSize {
		return nil, fmt.Errorf("rekor %s: signed tree head has size %d, the answer says %d", c.base, size, *li.TreeSize)
	}
	return &LogInfo{TreeID: *li.TreeID, TreeSize: *li.TreeSize, RootHash: root, SignedTreeHead: *li.SignedTreeHead}, nil
}

// PublicKey fetches the log's public key (GET /api/v1/log/publicKey) for an
// operator to compare and pin; nothing here trusts it.
func PublicKey(ctx context.Context, baseURL string, httpClient *http.Client) ([]byte, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/") + "/api/v1/log/publicKey")
	if err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rekor %s: %w", baseURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rekor %s: public key: HTTP %d", baseURL, resp.StatusCode)
	}
	if _, err := ParsePublicKey(b); err != nil {
		return nil, err
	}
	return b, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, []byte, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "slipway")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("rekor %s unreachable: %w (check the URL and the network)", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, nil, fmt.Errorf("rekor %s: read answer: %w", c.base, err)
	}
	if len(raw) > maxResponse {
		return nil, nil, fmt.Errorf("rekor %s: answer larger than %d bytes", c.base, maxResponse)
	}
	return resp, raw, nil
}

func (c *Client) statusError(resp *http.Response, raw []byte, what string) error {
	return fmt.Errorf("rekor %s: %s: HTTP %d: %s", c.base, what, resp.StatusCode, apiError(raw))
}

// apiError extracts Rekor's {"code":…, "message":…} error text.
func apiError(raw []byte) string {
	var e models.Error
	if json.Unmarshal(raw, &e) == nil && e.Message != "" {
		return e.Message
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// uuidFromLocation takes the entry UUID from a Location header
// (…/api/v1/log/entries/<uuid>); the host in it is not followed.
func uuidFromLocation(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	last := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if !uuidRE.MatchString(last) {
		return ""
	}
	return last
}

// sameUUID compares entry ids, letting a 64-hex id match an 80-hex one
// (tree id prefix + leaf hash).
func sameUUID(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || a[len(a)-64:] == b[len(b)-64:] && (len(a) == 64 || len(b) == 64)
}
