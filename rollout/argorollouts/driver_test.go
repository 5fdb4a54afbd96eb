package argorollouts

// No Kubernetes cluster runs in these tests: they use client-go's fake
// dynamic client, which stores objects in memory and records every action,
// so they check the requests the driver sends (the same patches as
// `kubectl argo rollouts`) and how it reads Rollout and AnalysisRun objects.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway/slipway/rollout"
)

var digest = "sha256:" + strings.Repeat("a", 64)

var target = rollout.Target{Service: "guestbook", CanaryDigest: digest, StableDigest: "sha256:" + strings.Repeat("b", 64)}

func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	return u
}

const rolloutYAML = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: guestbook, namespace: shop, uid: guestbook-uid}
spec:
  template:
    spec:
      containers: [{name: app, image: "registry.example/guestbook@` + "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + `"}]
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {duration: 1h}
      - setWeight: 40
      - pause: {}
status:
  phase: %s
  currentStepIndex: %d
  currentPodHash: canaryhash
  stableRS: stablehash
  message: %s
`

func analysisRun(name, hash, owner, phase string) string {
	return `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: ` + name + `
  namespace: shop
  labels: {rollouts-pod-template-hash: ` + hash + `}
  ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: ` + owner + `, uid: ` + owner + `-uid}]
status: {phase: ` + phase + `, message: "metric error-rate assessed ` + phase + `"}
`
}

func newClient(t *testing.T, objs ...runtime.Object) *fake.FakeDynamicClient {
	scheme := runtime.NewScheme()
	return fake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{
		RolloutsGVR:     "RolloutList",
		AnalysisRunsGVR: "AnalysisRunList",
	}, objs...)
}

func rolloutObj(t *testing.T, phase string, step int) *unstructured.Unstructured {
	doc := strings.Replace(strings.Replace(strings.Replace(rolloutYAML, "%s", phase, 1), "%d", itoa(step), 1), "%s", `"ok"`, 1)
	return object(t, doc)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestStatusReadsStepWeightPhaseAndAnalysisRuns(t *testing.T) {
	client := newClient(t,
		rolloutObj(t, "Paused", 1),
		object(t, analysisRun("guestbook-canaryhash-bg", "canaryhash", "guestbook", "Running")),
		object(t, analysisRun("guestbook-stablehash-old", "stablehash", "guestbook", "Successful")),
		object(t, analysisRun("other-canaryhash", "canaryhash", "other", "Failed")),
	)
	d := New(client, "shop", "guestbook", target)
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != rollout.PhasePaused || st.Step != 1 || st.Weight != 20 {
		t.Fatalf("status = %+v, want Paused at step 1 with weight 20", st)
	}
	if len(st.Analyses) != 1 || st.Analyses[0].Name != "guestbook-canaryhash-bg" || st.Analyses[0].Phase != "Running" {
		t.Fatalf("analyses = %+v, want only this revision's run of this rollout", st.Analyses)
	}
}

func TestStatusPhases(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(u *unstructured.Unstructured)
		phase  rollout.Phase
		weight int
	}{
		{"progressing at step 2", func(u *unstructured.Unstructured) {
			setStatus(u, "phase", "Progressing")
			setStatus(u, "currentStepIndex", int64(2))
		}, rollout.PhaseProgressing, 40},
		{"aborted", func(u *unstructured.Unstructured) { setStatus(u, "abort", true); setStatus(u, "phase", "Degraded") }, rollout.PhaseAborted, 0},
		{"promoted", func(u *unstructured.Unstructured) {
			setStatus(u, "phase", "Healthy")
			setStatus(u, "stableRS", "canaryhash")
			setStatus(u, "currentStepIndex", int64(4))
		}, rollout.PhasePromoted, 100},
		{"traffic router weight wins", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(7), "status", "canary", "weights", "canary", "weight")
		}, rollout.PhasePaused, 7},
		{"degraded", func(u *unstructured.Unstructured) { setStatus(u, "phase", "Degraded") }, rollout.PhaseDegraded, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := rolloutObj(t, "Paused", 1)
			tt.mutate(u)
			st := StatusOf(u)
			if st.Phase != tt.phase || st.Weight != tt.weight {
				t.Fatalf("StatusOf = %+v, want %s at %d", st, tt.phase, tt.weight)
			}
		})
	}
}

func setStatus(u *unstructured.Unstructured, field string, v any) {
	_ = unstructured.SetNestedField(u.Object, v, "status", field)
}

// patches records the patch actions the driver sent.
func patches(client *fake.FakeDynamicClient) []string {
	var out []string
	for _, a := range client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			out = append(out, a.GetSubresource()+" "+string(p.GetPatch()))
		}
	}
	return out
}

func TestAbortSendsThePluginsPatch(t *testing.T) {
	client := newClient(t, rolloutObj(t, "Paused", 1))
	d := New(client, "shop", "guestbook", target)
	if err := d.Abort(context.Background(), "error-rate failed"); err != nil {
		t.Fatal(err)
	}
	got := patches(client)
	if len(got) != 2 || got[0] != `status {"status":{"abort":true}}` || !strings.Contains(got[1], `"slipway.dev/abort-reason":"error-rate failed"`) {
		t.Fatalf("patches = %q", got)
	}
	st, err := d.Status(context.Background())
	if err != nil || st.Phase != rollout.PhaseAborted {
		t.Fatalf("after abort: %+v %v", st, err)
	}
}

// TestAbortFallsBackWithoutStatusSubresource: controllers before v0.10 have
// no status subresource; the plugin then patches the object itself.
func TestAbortFallsBackWithoutStatusSubresource(t *testing.T) {
	client := newClient(t, rolloutObj(t, "Paused", 1))
	client.PrependReactor("patch", "rollouts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "status" {
			return true, nil, apierrors.NewNotFound(RolloutsGVR.GroupResource(), "guestbook")
		}
		return false, nil, nil
	})
	d := New(client, "shop", "guestbook", target)
	if err := d.Abort(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	got := patches(client)
	if len(got) != 2 || got[1] != ` {"status":{"abort":true}}` {
		t.Fatalf("patches = %q", got)
	}
}

func TestPromoteFull(t *testing.T) {
	client := newClient(t, rolloutObj(t, "Paused", 1))
	d := New(client, "shop", "guestbook", target)
	if err := d.Promote(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := patches(client); len(got) != 1 || got[0] != `status {"status":{"promoteFull":true}}` {
		t.Fatalf("patches = %q", got)
	}
	// Already stable: nothing to send.
	u := rolloutObj(t, "Healthy", 4)
	setStatus(u, "stableRS", "canaryhash")
	client2 := newClient(t, u)
	if err := New(client2, "shop", "guestbook", target).Promote(context.Background()); err != nil || len(patches(client2)) != 0 {
		t.Fatalf("promote of a promoted rollout: %v, patches %q", err, patches(client2))
	}
}

func TestRefusesAnotherDigestAndSetWeight(t *testing.T) {
	client := newClient(t, rolloutObj(t, "Paused", 1))
	other := target
	other.CanaryDigest = "sha256:" + strings.Repeat("f", 64)
	d := New(client, "shop", "guestbook", other)
	if err := d.Abort(context.Background(), "x"); !errors.Is(err, rollout.ErrConflict) {
		t.Fatalf("abort of a rollout running another digest: %v", err)
	}
	if len(patches(client)) != 0 {
		t.Fatal("nothing may be patched on a conflict")
	}
	if err := d.SetWeight(context.Background(), 10); !errors.Is(err, ErrArgoOwnsSteps) {
		t.Fatalf("SetWeight: %v", err)
	}
	if _, err := New(client, "shop", "absent", target).Status(context.Background()); err == nil || !strings.Contains(err.Error(), "shop/absent") {
		t.Fatalf("missing rollout: %v", err)
	}
}

func TestWatchReportsChanges(t *testing.T) {
	client := newClient(t, rolloutObj(t, "Paused", 1))
	d := New(client, "shop", "guestbook", target)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := d.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := <-ch; st.Phase != rollout.PhasePaused {
		t.Fatalf("first status %+v", st)
	}
	if err := d.Abort(ctx, "analysis failed"); err != nil {
		t.Fatal(err)
	}
	for st := range ch {
		if st.Phase == rollout.PhaseAborted {
			return
		}
	}
	t.Fatal("watch closed before reporting the abort")
}
