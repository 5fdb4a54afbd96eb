// Package rekortest plays a Rekor v1 server for tests. No Rekor runs here
// (it needs Trillian and a database): the answers are built with Rekor's
// own server-side code: the proposed entry is decoded, its signature
// checked and its body canonicalized by rekor/pkg/types (as rekor-server
// does), inclusion proofs come from a real RFC 6962 tree
// (transparency-dev/merkle), checkpoints are signed notes made by
// rekor/pkg/util, and the signed entry timestamp is the log key's
// signature over the RFC 8785 form of {body, integratedTime, logID,
// logIndex}, as rekor-server signs it.
package rekortest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1" // registers the kind, as rekor-server does
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
)

const (
	Host      = "rekor.sigstore.dev"
	TreeID    = int64(1193050959916656506)
	ShardBase = int64(2605736670) // entries of earlier shards: virtual index = base + index in tree
)

// fakeRekor plays a Rekor v1 server with one active shard.
type Fake struct {
	t      testing.TB
	srv    *httptest.Server
	signer signature.SignerVerifier
	// Key is the log's public key, to pin in a client.
	Key crypto.PublicKey
	// URL is where it answers.
	URL   string
	logID string
	now   time.Time

	mu     sync.Mutex
	tree   *testonly.Tree
	bodies [][]byte
	times  []int64
	byLeaf map[string]int

	// replay, when set, answers every upload with entry 0: a hostile or
	// broken server.
	replay bool
}

func New(t testing.TB) *Fake {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	id := logID(t, priv.Public())
	f := &Fake{t: t, signer: sv, Key: priv.Public(), logID: id, now: time.Date(2026, 11, 30, 6, 30, 0, 0, time.UTC),
		tree: testonly.New(rfc6962.DefaultHasher), byLeaf: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/log/entries", f.create)
	mux.HandleFunc("GET /api/v1/log/entries/{uuid}", f.get)
	mux.HandleFunc("POST /api/v1/log/entries/retrieve", f.retrieve)
	mux.HandleFunc("GET /api/v1/log", f.info)
	mux.HandleFunc("GET /api/v1/log/publicKey", func(w http.ResponseWriter, r *http.Request) {
		pemKey, _ := cryptoutils.MarshalPublicKeyToPEM(f.Key)
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(pemKey)
	})
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Close stops answering (an outage).
func (f *Fake) Close() { f.srv.Close() }

// SetReplay makes every later upload answer with entry 0: a hostile or
// broken server.
func (f *Fake) SetReplay(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replay = on
}

// Body is the canonical body of entry i.
func (f *Fake) Body(i int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[i]
}

// Entries is how many entries the log holds.
func (f *Fake) Entries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

// TreeSize and TreeHash describe the log's tree now.
func (f *Fake) TreeSize() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tree.Size()
}

func (f *Fake) TreeHash() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tree.Hash()
}

// Signer signs checkpoints and entry timestamps as the log.
func (f *Fake) Signer() signature.SignerVerifier { return f.signer }

// logID is the hex SHA-256 of the key's DER (PKIX) form, as Rekor names logs.
func logID(t testing.TB, key crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func ptr[T any](v T) *T { return &v }

func (f *Fake) uuid(i int) string {
	return fmt.Sprintf("%016x", TreeID) + hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(f.bodies[i]))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func apiErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, &models.Error{Code: int64(code), Message: msg})
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	pe, err := models.UnmarshalProposedEntry(r.Body, runtime.JSONConsumer())
	if err != nil {
		apiErr(w, http.StatusBadRequest, "error parsing request: "+err.Error())
		return
	}
	entry, err := types.CreateVersionedEntry(pe) // checks the signature over the hash
	if err != nil {
		apiErr(w, http.StatusBadRequest, "error creating entry: "+err.Error())
		return
	}
	body, err := types.CanonicalizeEntry(r.Context(), entry)
	if err != nil {
		apiErr(w, http.StatusBadRequest, "error canonicalizing entry: "+err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.replay && len(f.bodies) > 0 {
		f.respond(w, http.StatusCreated, 0)
		return
	}
	leaf := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(body))
	if i, ok := f.byLeaf[leaf]; ok {
		w.Header().Set("Location", "http://"+r.Host+"/api/v1/log/entries/"+f.uuid(i))
		apiErr(w, http.StatusConflict, "an equivalent entry already exists in the transparency log with UUID "+f.uuid(i))
		return
	}
	f.bodies = append(f.bodies, body)
	f.times = append(f.times, f.now.Add(time.Duration(len(f.bodies))*time.Second).Unix())
	f.tree.AppendData(body)
	f.byLeaf[leaf] = len(f.bodies) - 1
	i := len(f.bodies) - 1
	w.Header().Set("ETag", f.uuid(i))
	w.Header().Set("Location", "http://"+r.Host+"/api/v1/log/entries/"+f.uuid(i))
	f.respond(w, http.StatusCreated, i)
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("uuid"))
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.byLeaf[id[len(id)-64:]]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	f.respond(w, http.StatusOK, i)
}

func (f *Fake) retrieve(w http.ResponseWriter, r *http.Request) {
	var q models.SearchLogQuery
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
		apiErr(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []models.LogEntry
	for _, u := range q.EntryUUIDs {
		if i, ok := f.byLeaf[strings.ToLower(u[len(u)-64:])]; ok {
			out = append(out, f.entry(i))
		}
	}
	for _, x := range q.LogIndexes {
		if i := *x - ShardBase; i >= 0 && i < int64(len(f.bodies)) {
			out = append(out, f.entry(int(i)))
		}
	}
	for _, pe := range q.Entries() {
		e, err := types.UnmarshalEntry(pe)
		if err != nil {
			apiErr(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		body, err := types.CanonicalizeEntry(r.Context(), e)
		if err != nil {
			apiErr(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		if i, ok := f.byLeaf[hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(body))]; ok {
			out = append(out, f.entry(i))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) info(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	size := f.tree.Size()
	cp, err := util.CreateAndSignCheckpoint(r.Context(), Host, TreeID, size, f.tree.Hash(), f.signer)
	if err != nil {
		f.t.Error(err)
	}
	writeJSON(w, http.StatusOK, &models.LogInfo{
		RootHash: ptr(hex.EncodeToString(f.tree.Hash())), TreeSize: ptr(int64(size)),
		SignedTreeHead: ptr(string(cp)), TreeID: ptr(fmt.Sprint(TreeID)),
	})
}

func (f *Fake) respond(w http.ResponseWriter, code, i int) {
	writeJSON(w, code, f.entry(i))
}

// entry builds entry i as rekor-server does: the SET over the canonical
// anon entry, the inclusion proof at the current tree size, a checkpoint
// for that size.
func (f *Fake) entry(i int) models.LogEntry {
	anon := models.LogEntryAnon{
		LogID: ptr(f.logID), LogIndex: ptr(ShardBase + int64(i)),
		Body: f.bodies[i], IntegratedTime: ptr(f.times[i]),
	}
	payload, err := anon.MarshalBinary()
	if err != nil {
		f.t.Fatal(err)
	}
	canon, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	set, err := f.signer.SignMessage(bytes.NewReader(canon))
	if err != nil {
		f.t.Fatal(err)
	}
	size := f.tree.Size()
	proof, err := f.tree.InclusionProof(uint64(i), size)
	if err != nil {
		f.t.Fatal(err)
	}
	hashes := []string{}
	for _, h := range proof {
		hashes = append(hashes, hex.EncodeToString(h))
	}
	cp, err := util.CreateAndSignCheckpoint(context.Background(), Host, TreeID, size, f.tree.Hash(), f.signer)
	if err != nil {
		f.t.Fatal(err)
	}
	anon.Verification = &models.LogEntryAnonVerification{
		SignedEntryTimestamp: set,
		InclusionProof: &models.InclusionProof{
			LogIndex: ptr(int64(i)), TreeSize: ptr(int64(size)), RootHash: ptr(hex.EncodeToString(f.tree.Hash())),
			Hashes: hashes, Checkpoint: ptr(string(cp)),
		},
	}
	return models.LogEntry{f.uuid(i): anon}
}
