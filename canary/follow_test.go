package canary

// No Kubernetes cluster runs here: these tests drive the argo-rollouts
// driver over client-go's fake dynamic client (an in-memory API server
// stand-in), changing the Rollout's status as the Argo Rollouts controller
// would, and check that Slipway follows it.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"

	"github.com/slipway/slipway/analysis"
	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/argorollouts"
)

var followDigest = "sha256:" + strings.Repeat("a", 64)

func argoObject(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	return u
}

const followRollout = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api, namespace: shop, uid: api-uid}
spec:
  template:
    spec:
      containers: [{name: app, image: "registry.example/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {duration: 1m}}, {setWeight: 60}, {pause: {duration: 1m}}]
status: {phase: Progressing, currentStepIndex: 0, currentPodHash: canaryhash, stableRS: stablehash}
`

// argoWorld is a fake API server holding one Rollout, and a driver on it.
func argoWorld(t *testing.T, objs ...runtime.Object) (*fake.FakeDynamicClient, rollout.Driver) {
	t.Helper()
	objs = append([]runtime.Object{argoObject(t, followRollout)}, objs...)
	client := fake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		argorollouts.RolloutsGVR: "RolloutList", argorollouts.AnalysisRunsGVR: "AnalysisRunList",
	}, objs...)
	target := rollout.Target{Service: "api", CanaryDigest: followDigest, StableDigest: "sha256:" + strings.Repeat("b", 64)}
	return client, argorollouts.New(client, "shop", "api", target)
}

// controller plays the Argo Rollouts controller: it sets status fields.
func controller(t *testing.T, client *fake.FakeDynamicClient, after time.Duration, fields map[string]any) {
	go func() {
		time.Sleep(after)
		ro, err := client.Resource(argorollouts.RolloutsGVR).Namespace("shop").Get(context.Background(), "api", metav1.GetOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		for k, v := range fields {
			unstructured.SetNestedField(ro.Object, v, "status", k)
		}
		if _, err := client.Resource(argorollouts.RolloutsGVR).Namespace("shop").Update(context.Background(), ro, metav1.UpdateOptions{}); err != nil {
			t.Error(err)
		}
	}()
}

func followRunner(d rollout.Driver, spec Spec, lib *analysis.Library) (*Runner, *[]Event) {
	var events []Event
	return &Runner{Spec: spec, Library: lib, Driver: d, Poll: 20 * time.Millisecond,
		Target:  rollout.Target{Service: "api", CanaryDigest: followDigest},
		OnEvent: func(e Event) { events = append(events, e) }}, &events
}

func TestFollowTakesTheRuntimesPromotion(t *testing.T) {
	client, d := argoWorld(t)
	controller(t, client, 50*time.Millisecond, map[string]any{"currentStepIndex": int64(2)})
	controller(t, client, 150*time.Millisecond, map[string]any{"phase": "Healthy", "stableRS": "canaryhash", "currentStepIndex": int64(4)})
	r, events := followRunner(d, Spec{}, nil)
	out, err := r.Run(context.Background())
	if err != nil || out.Result != Promoted || out.Weight != 100 {
		t.Fatalf("outcome %+v %v", out, err)
	}
	sawWeight60 := false
	for _, e := range *events {
		if e.Kind == EventWeightSet && e.Weight == 60 {
			sawWeight60 = true
		}
	}
	if !sawWeight60 {
		t.Errorf("the rollout's progress (step 2, weight 60) was not reported: %+v", *events)
	}
}

func TestFollowReportsTheRuntimesAbort(t *testing.T) {
	run := argoObject(t, `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: api-canaryhash-2
  namespace: shop
  labels: {rollouts-pod-template-hash: canaryhash}
  ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: api, uid: api-uid}]
status: {phase: Failed, message: "metric error-rate assessed Failed"}
`)
	client, d := argoWorld(t, run)
	controller(t, client, 50*time.Millisecond, map[string]any{"phase": "Degraded", "abort": true, "message": "RolloutAborted: metric error-rate assessed Failed"})
	r, _ := followRunner(d, Spec{}, nil)
	out, err := r.Run(context.Background())
	if err != nil || out.Result != Aborted || !strings.Contains(out.Reason, "api-canaryhash-2 Failed") {
		t.Fatalf("outcome %+v %v", out, err)
	}
}

func TestFollowAbortsWhenSlipwaysAnalysisFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"errorRate": 0.4}`)) }))
	defer srv.Close()
	lib := analysis.NewLibrary()
	ts, err := analysis.Parse([]byte(`
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: errors}
spec:
  metrics:
    - name: error-rate
      interval: 10ms
      successCondition: result < 0.05
      provider: {web: {url: "`+srv.URL+`", jsonPath: "{$.errorRate}"}}
`), "errors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Add(ts...); err != nil {
		t.Fatal(err)
	}
	client, d := argoWorld(t)
	spec := Spec{Analysis: &BackgroundAnalysis{AnalysisStep: AnalysisStep{Templates: []analysis.TemplateRef{{TemplateName: "errors"}}}}}
	r, events := followRunner(d, spec, lib)
	out, err := r.Run(context.Background())
	if err != nil || out.Result != Aborted || !strings.Contains(out.Reason, "background analysis Failed") {
		t.Fatalf("outcome %+v %v", out, err)
	}
	// Once the rollout's status was read (step 0, 20%), the measurements
	// report that position.
	read, measured := false, 0
	for _, e := range *events {
		read = read || e.Kind == EventWeightSet && e.Weight == 20
		if e.Kind == EventMeasurement && read {
			measured++
			if e.Weight != 20 || e.Step != 0 {
				t.Errorf("measurement reported at step %d, %d%%; the rollout was at step 0, 20%%", e.Step, e.Weight)
			}
		}
	}
	if measured == 0 {
		t.Errorf("no measurement after the rollout's weight was read: %+v", *events)
	}
	ro, err := client.Resource(argorollouts.RolloutsGVR).Namespace("shop").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if aborted, _, _ := unstructured.NestedBool(ro.Object, "status", "abort"); !aborted {
		t.Error("Slipway's failed analysis must abort the Rollout (status.abort: true, as kubectl argo rollouts abort)")
	}
}

func TestFollowRefusesStepsTheRuntimeOwns(t *testing.T) {
	_, d := argoWorld(t)
	w := 20
	r, _ := followRunner(d, Spec{Steps: []Step{{SetWeight: &w}}}, nil)
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "runs its own steps") {
		t.Fatalf("steps with a step-owning driver: %v", err)
	}
}
