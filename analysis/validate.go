package analysis

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Validate checks templates the way Rollouts checks an AnalysisRun's spec
// (ValidateMetrics), plus what can be known before a run: condition syntax,
// provider kinds and configuration, dry-run rules, and that every {{args.x}}
// names a declared argument. Fields that still hold a {{…}} placeholder are
// checked at run time, after substitution. lib (may be nil) resolves
// `templates:` references. The error is a *ValidationError.
func Validate(lib *Library, reg *Registry, ts ...*Template) error {
	if reg == nil {
		reg = DefaultRegistry()
	}
	validated := make(map[*Template]bool, len(ts))
	for _, t := range ts {
		validated[t] = true
	}
	var probs []FieldError
	for _, t := range ts {
		for _, p := range validateTemplate(lib, reg, t, validated) {
			p.Source = t.Source
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// validated holds the templates being checked: a reference one of them
// makes to a missing template is reported there, by its own field path,
// and not again by every template that composes it.
func validateTemplate(lib *Library, reg *Registry, t *Template, validated map[*Template]bool) []FieldError {
	var out []FieldError
	add := func(path, format string, a ...any) {
		out = append(out, FieldError{Path: path, Msg: fmt.Sprintf(format, a...)})
	}
	if t.APIVersion != APIVersion {
		add("apiVersion", "must be %s, got %q", APIVersion, t.APIVersion)
	}
	if t.Kind != KindAnalysisTemplate && t.Kind != KindClusterAnalysisTemplate {
		add("kind", "must be AnalysisTemplate or ClusterAnalysisTemplate, got %q", t.Kind)
	}
	if t.Metadata.Name == "" {
		add("metadata.name", "is required")
	}
	if len(t.Spec.Metrics) == 0 && len(t.Spec.Templates) == 0 {
		add("spec.metrics", "at least one metric is required (or spec.templates references)")
	}
	declared := map[string]bool{}
	for i, a := range t.Spec.Args {
		path := fmt.Sprintf("spec.args[%d]", i)
		switch {
		case a.Name == "":
			add(path+".name", "is required")
		case declared[a.Name]:
			add(path+".name", "argument %q is declared twice", a.Name)
		}
		declared[a.Name] = true
		if a.Value != nil && a.ValueFrom != nil {
			add(path, "arg %s has both value and valueFrom: keep one", a.Name)
		}
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			if a.ValueFrom.SecretKeyRef.Name == "" || a.ValueFrom.SecretKeyRef.Key == "" {
				add(path+".valueFrom.secretKeyRef", "name and key are required")
			}
		}
	}
	names := map[string]bool{}
	for i, m := range t.Spec.Metrics {
		path := fmt.Sprintf("spec.metrics[%d]", i)
		if m.Name != "" && names[m.Name] {
			add(path+".name", "two metrics have the same name %q: rename one", m.Name)
		}
		names[m.Name] = true
		out = append(out, validateMetric(m, path, true)...)
		out = append(out, validateProvider(reg, m, path)...)
		if len(t.Spec.Templates) == 0 {
			out = append(out, checkPlaceholders(m, path, declared)...)
		}
	}
	for i, d := range t.Spec.DryRun {
		re, err := regexp.Compile(d.MetricName)
		if err != nil {
			add(fmt.Sprintf("spec.dryRun[%d].metricName", i), "%q is not a regular expression: %v", d.MetricName, err)
			continue
		}
		if len(t.Spec.Templates) == 0 && !anyMatch(re, t.Spec.Metrics) {
			add(fmt.Sprintf("spec.dryRun[%d].metricName", i), "rule %q didn't match any metric name", d.MetricName)
		}
	}
	for i, r := range t.Spec.MeasurementRetention {
		if r.Limit < 0 {
			add(fmt.Sprintf("spec.measurementRetention[%d].limit", i), "must be >= 0")
		}
	}
	for i, ref := range t.Spec.Templates {
		path := fmt.Sprintf("spec.templates[%d].templateName", i)
		if ref.TemplateName == "" {
			add(path, "is required")
			continue
		}
		if lib != nil {
			if _, err := lib.Get(ref); err != nil {
				add(path, "%v", err)
			}
		}
	}
	if lib != nil && len(t.Spec.Templates) > 0 {
		var missing *MissingTemplateError
		if _, err := lib.Flatten(t); err != nil && !(errors.As(err, &missing) && validated[missing.In]) {
			// The message starts with the template at fault; drop it when
			// that is t, which the line already names.
			msg := strings.TrimPrefix(err.Error(), t.Source+": ")
			add("spec.templates", "%s", strings.TrimPrefix(msg, "spec.templates: "))
		}
	}
	return out
}

func anyMatch(re *regexp.Regexp, ms []Metric) bool {
	for _, m := range ms {
		if re.MatchString(m.Name) {
			return true
		}
	}
	return false
}

// validateMetric is Rollouts' ValidateMetric. With lenient set, fields that
// hold placeholders are skipped (they are checked after substitution).
func validateMetric(m Metric, path string, lenient bool) []FieldError {
	var out []FieldError
	add := func(field, format string, a ...any) {
		out = append(out, FieldError{Path: joinPath(path, field), Msg: fmt.Sprintf(format, a...)})
	}
	if m.Name == "" {
		add("name", "is required")
	}
	ints := map[string]int64{}
	known := map[string]bool{}
	for _, f := range []struct {
		name string
		v    *IntOrString
	}{{"count", m.Count}, {"failureLimit", m.FailureLimit}, {"inconclusiveLimit", m.InconclusiveLimit}, {"consecutiveErrorLimit", m.ConsecutiveErrorLimit}, {"consecutiveSuccessLimit", m.ConsecutiveSuccessLimit}} {
		if f.v == nil {
			known[f.name] = true
			continue
		}
		if lenient && f.v.IsString && templated(f.v.Str) {
			continue
		}
		i, err := f.v.Value()
		if err != nil {
			add(f.name, "%v: use an integer or an {{args.x}} placeholder", err)
			continue
		}
		ints[f.name], known[f.name] = i, true
	}
	if !known["consecutiveErrorLimit"] {
		ints["consecutiveErrorLimit"] = 0
	}
	allKnown := known["count"] && known["failureLimit"] && known["inconclusiveLimit"] && known["consecutiveSuccessLimit"]
	count := ints["count"]
	if allKnown && count > 0 {
		if count < ints["failureLimit"] {
			add("count", "count must be >= failureLimit")
		}
		if count < ints["inconclusiveLimit"] {
			add("count", "count must be >= inconclusiveLimit")
		}
		if count < ints["consecutiveSuccessLimit"] {
			add("count", "count must be >= consecutiveSuccessLimit")
		}
	}
	if known["count"] && count > 1 && m.Interval == "" {
		add("interval", "interval must be specified when count > 1")
	}
	if known["count"] && count < 0 {
		add("count", "must be >= 0")
	}
	if known["failureLimit"] && known["consecutiveSuccessLimit"] && ints["failureLimit"] < 0 && ints["consecutiveSuccessLimit"] <= 0 {
		add("failureLimit", "at least one of failureLimit (>= 0) or consecutiveSuccessLimit (> 0) must apply")
	}
	if known["inconclusiveLimit"] && ints["inconclusiveLimit"] < 0 {
		add("inconclusiveLimit", "inconclusiveLimit must be >= 0")
	}
	if ints["consecutiveErrorLimit"] < 0 {
		add("consecutiveErrorLimit", "consecutiveErrorLimit must be >= 0")
	}
	if known["consecutiveSuccessLimit"] && ints["consecutiveSuccessLimit"] < 0 {
		add("consecutiveSuccessLimit", "consecutiveSuccessLimit must be >= 0")
	}
	for _, f := range [][2]string{{"interval", m.Interval}, {"initialDelay", m.InitialDelay}} {
		field, v := f[0], f[1]
		if v == "" || (lenient && templated(v)) {
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			add(field, "%q is not a duration such as 30s, 5m or 1h", v)
		}
	}
	for _, f := range [][2]string{{"successCondition", m.SuccessCondition}, {"failureCondition", m.FailureCondition}} {
		field, c := f[0], f[1]
		if c == "" || (lenient && templated(c)) {
			continue
		}
		if err := CompileCondition(c); err != nil {
			add(field, "%q does not compile: %v", c, err)
		}
	}
	switch m.NoData {
	case NoDataDefault, NoDataFail, NoDataError, NoDataInconclusive, NoDataIgnore:
	default:
		add("noData", "%q: valid values are fail, error, inconclusive and ignore", m.NoData)
	}
	kinds := m.Provider.Kinds()
	switch {
	case len(kinds) == 0:
		add("provider", "no provider specified: add one such as prometheus, web or job")
	case len(kinds) > 1:
		add("provider", "multiple providers specified (%s): keep one", strings.Join(kinds, ", "))
	}
	return out
}

// validateProvider checks that the kind exists (in Rollouts or in the
// registry) and, for kinds Slipway runs, that the configuration decodes.
// Kinds Slipway cannot run are accepted here: they fail when run.
func validateProvider(reg *Registry, m Metric, path string) []FieldError {
	kind := m.Provider.Kind()
	if kind == "" {
		return nil
	}
	ppath := joinPath(path, "provider."+kind)
	f, runnable := reg.factory(kind)
	if !runnable {
		if !contains(ArgoProviderKinds, kind) {
			return []FieldError{{Path: ppath, Msg: fmt.Sprintf("unknown provider kind %q: Argo Rollouts knows %s", kind, strings.Join(ArgoProviderKinds, ", "))}}
		}
		return nil
	}
	cfg := m.Provider.Config(kind)
	if nodeTemplated(cfg) {
		return nil
	}
	if _, err := f(cfg, m); err != nil {
		return []FieldError{{Path: ppath, Msg: err.Error()}}
	}
	return nil
}

// checkPlaceholders reports {{…}} tags that name no declared argument.
func checkPlaceholders(m Metric, path string, declared map[string]bool) []FieldError {
	if m.raw == nil {
		return nil
	}
	var out []FieldError
	seen := map[string]bool{}
	walkScalars(m.raw, func(s string) {
		for _, tag := range placeholder.FindAllString(s, -1) {
			inner := strings.TrimSpace(tag[2 : len(tag)-2])
			name, isArg := strings.CutPrefix(inner, "args.")
			if (isArg && declared[name]) || seen[tag] {
				continue
			}
			seen[tag] = true
			out = append(out, FieldError{Path: path, Msg: fmt.Sprintf("%s names no declared argument: add it to spec.args", tag)})
		}
	})
	return out
}
