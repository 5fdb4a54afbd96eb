// Package argorollouts drives (watches and aborts) an Argo Rollouts Rollout
// through the Kubernetes API with client-go's dynamic client. Argo Rollouts
// runs the steps itself, so this driver reports the Rollout's step, weight,
// phase and AnalysisRuns, promotes and aborts it with the same patches as
// `kubectl argo rollouts promote --full` and `kubectl argo rollouts abort`,
// and refuses to set weights (Argo owns them).
package argorollouts

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway/slipway/rollout"
)

// The Argo Rollouts resources.
var (
	RolloutsGVR     = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}
	AnalysisRunsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "analysisruns"}
)

// The patches `kubectl argo rollouts` sends (merge patches on the status
// subresource, falling back to the object for controllers older than v0.10).
const (
	abortPatch       = `{"status":{"abort":true}}`
	promoteFullPatch = `{"status":{"promoteFull":true}}`
)

// ErrArgoOwnsSteps is returned by SetWeight: the Rollout's own steps set
// weights; Slipway watches them and aborts.
var ErrArgoOwnsSteps = errors.New("argo-rollouts driver: the Rollout's spec.strategy.canary.steps set the weights; keep Slipway's canary steps to pause and analysis steps, or use the webhook driver")

// Driver watches and aborts one Rollout.
type Driver struct {
	client    dynamic.Interface
	namespace string
	name      string
	target    rollout.Target
}

var _ rollout.Driver = (*Driver)(nil)

// New returns a driver for namespace/name using client.
func New(client dynamic.Interface, namespace, name string, target rollout.Target) *Driver {
	return &Driver{client: client, namespace: namespace, name: name, target: target}
}

// NewFromConfig builds the dynamic client from a kubeconfig (path, or the
// default loading rules when empty, with an optional context) or, inside a
// pod, from the in-cluster configuration.
func NewFromConfig(kubeconfig, kubeContext, namespace, name string, target rollout.Target) (*Driver, error) {
	cfg, err := restConfig(kubeconfig, kubeContext)
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("argo-rollouts driver: %w", err)
	}
	return New(client, namespace, name, target), nil
}

func restConfig(kubeconfig, kubeContext string) (*rest.Config, error) {
	if kubeconfig == "" && kubeContext == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("argo-rollouts driver: no Kubernetes configuration (in-cluster or kubeconfig %q): %w", kubeconfig, err)
	}
	return cfg, nil
}

func (d *Driver) rollouts() dynamic.ResourceInterface {
	return d.client.Resource(RolloutsGVR).Namespace(d.namespace)
}

// SetWeight implements rollout.Driver: it returns ErrArgoOwnsSteps.
func (d *Driver) SetWeight(context.Context, int) error { return ErrArgoOwnsSteps }

// Promote implements rollout.Driver like `kubectl argo rollouts promote
// --full`: status.promoteFull, unless the canary is already stable.
func (d *Driver) Promote(ctx context.Context) error {
	ro, err := d.get(ctx)
	if err != nil {
		return err
	}
	if err := d.checkTarget(ro); err != nil {
		return err
	}
	current, _, _ := unstructured.NestedString(ro.Object, "status", "currentPodHash")
	stable, _, _ := unstructured.NestedString(ro.Object, "status", "stableRS")
	if current != "" && current == stable {
		return nil // already promoted: idempotent
	}
	return d.patchStatus(ctx, promoteFullPatch)
}

// Abort implements rollout.Driver like `kubectl argo rollouts abort`. The
// reason is recorded as an annotation for people reading the Rollout.
func (d *Driver) Abort(ctx context.Context, reason string) error {
	ro, err := d.get(ctx)
	if err != nil {
		return err
	}
	if err := d.checkTarget(ro); err != nil {
		return err
	}
	if err := d.patchStatus(ctx, abortPatch); err != nil {
		return err
	}
	if reason != "" {
		ann := fmt.Sprintf(`{"metadata":{"annotations":{"slipway.dev/abort-reason":%q}}}`, truncate(reason, 1000))
		if _, err := d.rollouts().Patch(ctx, d.name, types.MergePatchType, []byte(ann), metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("argo-rollouts driver: rollout %s/%s aborted, but recording the reason failed: %w", d.namespace, d.name, err)
		}
	}
	return nil
}

// patchStatus sends a merge patch to the status subresource, then to the
// object itself when the subresource does not exist (as the plugin does).
func (d *Driver) patchStatus(ctx context.Context, patch string) error {
	_, err := d.rollouts().Patch(ctx, d.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status")
	if err != nil && apierrors.IsNotFound(err) {
		_, err = d.rollouts().Patch(ctx, d.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	}
	if err != nil {
		return fmt.Errorf("argo-rollouts driver: patch rollout %s/%s with %s: %w", d.namespace, d.name, patch, err)
	}
	return nil
}

func (d *Driver) get(ctx context.Context) (*unstructured.Unstructured, error) {
	ro, err := d.rollouts().Get(ctx, d.name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("argo-rollouts driver: get rollout %s/%s: %w", d.namespace, d.name, err)
	}
	return ro, nil
}

// checkTarget refuses to act on a Rollout whose pod template does not run
// the canary digest: it is rolling something else.
func (d *Driver) checkTarget(ro *unstructured.Unstructured) error {
	if d.target.CanaryDigest == "" {
		return nil
	}
	for _, img := range images(ro) {
		if strings.HasSuffix(img, "@"+d.target.CanaryDigest) {
			return nil
		}
	}
	return fmt.Errorf("%w: rollout %s/%s runs %v, not %s", rollout.ErrConflict, d.namespace, d.name, images(ro), d.target.CanaryDigest)
}

func images(ro *unstructured.Unstructured) []string {
	cs, _, _ := unstructured.NestedSlice(ro.Object, "spec", "template", "spec", "containers")
	var out []string
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok {
			if img, ok := m["image"].(string); ok {
				out = append(out, img)
			}
		}
	}
	return out
}

// OwnsSteps says Argo Rollouts runs the Rollout's own steps and
// AnalysisRuns: Slipway follows the rollout instead of driving it.
func (d *Driver) OwnsSteps() bool { return true }

// Status implements rollout.Driver.
func (d *Driver) Status(ctx context.Context) (rollout.Status, error) {
	ro, err := d.get(ctx)
	if err != nil {
		return rollout.Status{}, err
	}
	st := StatusOf(ro)
	st.Target = d.target
	runs, err := d.client.Resource(AnalysisRunsGVR).Namespace(d.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, fmt.Errorf("argo-rollouts driver: list analysisruns in %s: %w", d.namespace, err)
	}
	st.Analyses = analysesOf(ro, runs.Items)
	return st, nil
}

// StatusOf reads a Rollout's phase, step and canary weight.
func StatusOf(ro *unstructured.Unstructured) rollout.Status {
	phase, _, _ := unstructured.NestedString(ro.Object, "status", "phase")
	msg, _, _ := unstructured.NestedString(ro.Object, "status", "message")
	aborted, _, _ := unstructured.NestedBool(ro.Object, "status", "abort")
	current, _, _ := unstructured.NestedString(ro.Object, "status", "currentPodHash")
	stable, _, _ := unstructured.NestedString(ro.Object, "status", "stableRS")
	step := -1
	if i, ok, _ := unstructured.NestedInt64(ro.Object, "status", "currentStepIndex"); ok {
		step = int(i)
	}
	st := rollout.Status{Step: step, Message: msg, Weight: weightOf(ro, step)}
	switch {
	case aborted:
		st.Phase, st.Weight = rollout.PhaseAborted, 0
	case phase == "Healthy" && current != "" && current == stable:
		st.Phase, st.Weight = rollout.PhasePromoted, 100
	case phase == "Paused":
		st.Phase = rollout.PhasePaused
	case phase == "Progressing" || phase == "Healthy":
		st.Phase = rollout.PhaseProgressing
	case phase == "Degraded":
		st.Phase = rollout.PhaseDegraded
	default:
		st.Phase = rollout.PhaseUnknown
	}
	return st
}

// weightOf is the canary weight: the traffic router's reported weight when
// there is one, else the last setWeight step reached (what `kubectl argo
// rollouts get` shows as SetWeight).
func weightOf(ro *unstructured.Unstructured, step int) int {
	if w, ok, _ := unstructured.NestedInt64(ro.Object, "status", "canary", "weights", "canary", "weight"); ok {
		return int(w)
	}
	steps, _, _ := unstructured.NestedSlice(ro.Object, "spec", "strategy", "canary", "steps")
	if step < 0 || step >= len(steps) {
		if step >= len(steps) && len(steps) > 0 {
			return 100
		}
		return 0
	}
	w := 0
	for i := 0; i < step && i < len(steps); i++ {
		if m, ok := steps[i].(map[string]any); ok {
			if v, ok := m["setWeight"].(int64); ok {
				w = int(v)
			}
		}
	}
	if m, ok := steps[step].(map[string]any); ok {
		if v, ok := m["setWeight"].(int64); ok {
			w = int(v)
		}
	}
	return w
}

// analysesOf lists the AnalysisRuns the Rollout owns for its current
// revision, newest name last.
func analysesOf(ro *unstructured.Unstructured, runs []unstructured.Unstructured) []rollout.AnalysisStatus {
	current, _, _ := unstructured.NestedString(ro.Object, "status", "currentPodHash")
	var out []rollout.AnalysisStatus
	for _, ar := range runs {
		owned := false
		for _, ref := range ar.GetOwnerReferences() {
			if ref.Kind == "Rollout" && ref.Name == ro.GetName() && (ref.UID == "" || ro.GetUID() == "" || ref.UID == ro.GetUID()) {
				owned = true
			}
		}
		if !owned {
			continue
		}
		if h := ar.GetLabels()["rollouts-pod-template-hash"]; current != "" && h != "" && h != current {
			continue
		}
		phase, _, _ := unstructured.NestedString(ar.Object, "status", "phase")
		msg, _, _ := unstructured.NestedString(ar.Object, "status", "message")
		out = append(out, rollout.AnalysisStatus{Name: ar.GetName(), Phase: phase, Message: msg})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Watch sends the Rollout's status every time it or one of its
// AnalysisRuns changes, until ctx ends (the channel is then closed).
func (d *Driver) Watch(ctx context.Context) (<-chan rollout.Status, error) {
	rw, err := d.rollouts().Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + d.name})
	if err != nil {
		return nil, fmt.Errorf("argo-rollouts driver: watch rollout %s/%s: %w", d.namespace, d.name, err)
	}
	aw, err := d.client.Resource(AnalysisRunsGVR).Namespace(d.namespace).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		rw.Stop()
		return nil, fmt.Errorf("argo-rollouts driver: watch analysisruns in %s: %w", d.namespace, err)
	}
	out := make(chan rollout.Status, 16)
	go func() {
		defer close(out)
		defer rw.Stop()
		defer aw.Stop()
		send := func() bool {
			st, err := d.Status(ctx)
			if err != nil {
				st.Phase, st.Message = rollout.PhaseUnknown, err.Error()
			}
			select {
			case out <- st:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send() {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-rw.ResultChan():
				if !ok || !send() {
					return
				}
			case _, ok := <-aw.ResultChan():
				if !ok || !send() {
					return
				}
			}
		}
	}()
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func init() {
	rollout.Register("argo-rollouts", func(s rollout.Settings, target rollout.Target) (rollout.Driver, error) {
		if s["namespace"] == "" {
			return nil, fmt.Errorf("rollout.namespace is required for the argo-rollouts driver")
		}
		name := s["name"]
		if name == "" {
			name = target.Service
		}
		return NewFromConfig(s["kubeconfig"], s["context"], s["namespace"], name, target)
	})
}
