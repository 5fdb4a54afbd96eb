package engine

import "github.com/slipway/slipway/sqlite"

func sqliteFilter(service, env string, active bool) sqlite.PromotionFilter {
	return sqlite.PromotionFilter{Service: service, Env: env, Active: active}
}
