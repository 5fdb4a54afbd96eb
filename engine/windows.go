package engine

import (
	"context"

	"github.com/slipway/slipway/window"
)

// SyncWindows returns the sync windows of an environment (nil when it has
// none), read as its window gate reads them: inline, from a file, or from
// the AppProject on its GitOps branch. The REST API shows them.
func (e *Engine) SyncWindows(ctx context.Context, env string) (*window.Set, error) {
	en, _, err := e.Cfg.Environment(env)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if en.Gates.AppProject != "" {
		if err := e.fresh(ctx, false); err != nil {
			return nil, err
		}
	}
	return e.windows(ctx, en)
}
