// Package storesql holds the SQL both stores (sqlite, postgres) build the
// same way, written once: they differ only in how a placeholder is written.
package storesql

import (
	"strings"

	"github.com/slipway/slipway"
)

// ActiveStates is the SQL list of slipway.PromotionState.Active states; the
// partial unique index promotions_one_active of both stores uses the same
// list (their tests keep them in step).
var ActiveStates = func() string {
	var q []string
	for _, s := range slipway.States {
		if s.Active() {
			q = append(q, "'"+string(s)+"'")
		}
	}
	return "(" + strings.Join(q, ",") + ")"
}()

// PromotionWhere is the WHERE clause (" WHERE …", or "" for none)
// selecting the promotions matching f, and below seq before when it is
// set, and its arguments; placeholder(n) writes the n-th argument's
// placeholder. Only the filters given are in the SQL, so the indexes on
// (service, seq) and (service, env, seq) serve them: a filter written for
// every field, empty or not, would scan every row.
func PromotionWhere(f slipway.PromotionFilter, before int64, placeholder func(n int) string) (string, []any) {
	var where []string
	var args []any
	add := func(column string, v any) {
		args = append(args, v)
		where = append(where, column+placeholder(len(args)))
	}
	if f.Service != "" {
		add("service = ", f.Service)
	}
	if f.Env != "" {
		add("env = ", f.Env)
	}
	if f.State != "" {
		add("state = ", string(f.State))
	}
	if f.Digest != "" {
		add("digest = ", f.Digest)
	}
	if before > 0 {
		add("seq < ", before)
	}
	if f.Active {
		where = append(where, "state IN "+ActiveStates)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}
