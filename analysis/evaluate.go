package analysis

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
)

// EvaluateResult decides one measurement from its result exactly as Argo
// Rollouts' evaluate.EvaluateResult does:
//
//   - no conditions: Successful;
//   - only successCondition: Failed when it is false;
//   - only failureCondition: Successful when it is false;
//   - both: failure true wins (Failed); else success true is Successful;
//     both false is Inconclusive;
//   - an expression that cannot be compiled or run is an Error.
func EvaluateResult(result any, successCondition, failureCondition string) (Phase, error) {
	success, failure := false, false
	var err error
	if successCondition != "" {
		if success, err = EvalCondition(result, successCondition); err != nil {
			return PhaseError, fmt.Errorf("successCondition: %w", err)
		}
	}
	if failureCondition != "" {
		if failure, err = EvalCondition(result, failureCondition); err != nil {
			return PhaseError, fmt.Errorf("failureCondition: %w", err)
		}
	}
	switch {
	case successCondition == "" && failureCondition == "":
		return PhaseSuccessful, nil
	case successCondition != "" && failureCondition == "":
		failure = !success
	case successCondition == "" && failureCondition != "":
		success = !failure
	}
	if failure {
		return PhaseFailed, nil
	}
	if !success {
		return PhaseInconclusive, nil
	}
	return PhaseSuccessful, nil
}

// conditionEnv is the expression environment of Rollouts: result plus the
// helper functions asInt, asFloat, isNaN, isInf, isNil and default (isNil
// and default look at the result itself, whatever their first argument).
// all/any/filter/map come with expr itself.
func conditionEnv(result any) map[string]any {
	result = valueFromPointer(result)
	return map[string]any{
		"result":  result,
		"asInt":   asInt,
		"asFloat": asFloat,
		"isNaN":   math.IsNaN,
		"isInf":   func(f float64) bool { return math.IsInf(f, 0) },
		"isNil":   func(any) bool { return isNil(result) },
		"default": func(_ any, d any) any {
			if isNil(result) {
				return d
			}
			return result
		},
	}
}

// EvalCondition evaluates one condition against result.
func EvalCondition(result any, condition string) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("evaluation logic panicked: %v", r)
		}
	}()
	env := conditionEnv(result)
	program, err := expr.Compile(condition, expr.Env(env))
	if err != nil {
		return false, unwrapFileErr(err)
	}
	out, err := expr.Run(program, env)
	if err != nil {
		return false, unwrapFileErr(err)
	}
	b, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("expected bool, but got %T", out)
	}
	return b, nil
}

// CompileCondition checks a condition's syntax without a result, for
// `analysis validate`.
func CompileCondition(condition string) error {
	// Without an environment every name is dynamically typed, so this checks
	// syntax and not the (unknown) shape of result.
	_, err := expr.Compile(condition)
	return unwrapFileErr(err)
}

func unwrapFileErr(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return errors.New(fe.Message)
	}
	return err
}

func valueFromPointer(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

func asInt(in any) int64 {
	switch v := in.(type) {
	case float64:
		return int64(v)
	case float32:
		return int64(v)
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case string:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			panic(err)
		}
		return i
	}
	panic(fmt.Sprintf("asInt() not supported on %T %v", in, in))
}

func asFloat(in any) float64 {
	switch v := in.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			panic(err)
		}
		return f
	}
	panic(fmt.Sprintf("asFloat() not supported on %T %v", in, in))
}
