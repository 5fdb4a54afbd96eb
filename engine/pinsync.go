package engine

import (
	"context"
	"errors"

	"github.com/slipway/slipway"
)

// SyncPins makes the store's pin records say what Git pins: for every
// service and environment whose pin files changed on the branch since the
// last sync, it reads the digest the branch tip holds, finds the commit that
// set it (by content) and the promotion whose commit that is. Git is the
// source of truth for what runs; this is the one place the store learns it
// when something else (a crash between push and record, a person, another
// replica) changed the branch.
func (e *Engine) SyncPins(ctx context.Context) error {
	if err := e.fresh(ctx, false); err != nil {
		return err
	}
	records, err := e.Store.Promotions.Pins(ctx)
	if err != nil {
		return err
	}
	have := map[[2]string]*slipway.PinRecord{}
	for _, r := range records {
		have[[2]string{r.Service, r.Env}] = r
	}
	var errs []error
	for i := range e.Cfg.Environments {
		env := &e.Cfg.Environments[i]
		base := e.Cfg.Branch(env)
		tip, err := e.GitOps.RemoteBranch(ctx, base)
		if err != nil || tip == "" {
			continue
		}
		last := e.syncedTip(base)
		if last == tip {
			continue
		}
		var changed map[string]bool
		if last != "" {
			files, err := e.GitOps.ChangedFiles(ctx, last, tip)
			if err == nil {
				changed = map[string]bool{}
				for _, f := range files {
					changed[f] = true
				}
			}
		}
		for _, svc := range e.Cfg.Services {
			pins, err := e.pinsFor(env, svc.Name, nil, "")
			if err != nil {
				continue
			}
			if changed != nil && !pins.touched(changed) {
				continue
			}
			if err := e.syncPin(ctx, pins, tip, have[[2]string{svc.Name, env.Name}]); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			e.setSyncedTip(base, tip)
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) syncPin(ctx context.Context, pins pinSet, tip string, rec *slipway.PinRecord) error {
	d, err := pins.digestAt(ctx, e.GitOps, tip)
	if err != nil || d == "" {
		return nil // a missing or broken pin is reported when someone promotes
	}
	if rec != nil && rec.Digest == d {
		return nil
	}
	setter, err := pins.setter(ctx, e.GitOps, tip, d)
	if err != nil {
		return err
	}
	nr := &slipway.PinRecord{Service: pins.service(), Env: pins.target.Env, Digest: d, Commit: setter, Updated: e.Now()}
	ps, err := e.Store.Promotions.Promotions(ctx, slipway.PromotionFilter{Service: pins.service(), Env: pins.target.Env, Digest: d})
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.PinCommit == setter || p.Head == setter {
			nr.PromotionID = p.ID
		}
	}
	if nr.PromotionID == "" {
		e.emit(pins.target.Env, short(setter), "%s in %s is pinned to %s by %s, which no promotion made", pins.service(), pins.target.Env, digestShort(d), short(setter))
	}
	return e.Store.Promotions.SetPin(ctx, nr)
}

// touched reports whether any pin file is among changed.
func (s pinSet) touched(changed map[string]bool) bool {
	files, err := s.files()
	if err != nil {
		return true
	}
	for _, f := range files {
		if changed[f] {
			return true
		}
	}
	return false
}

func (e *Engine) syncedTip(branch string) string {
	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	return e.synced[branch]
}

func (e *Engine) setSyncedTip(branch, tip string) {
	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	if e.synced == nil {
		e.synced = map[string]string{}
	}
	e.synced[branch] = tip
}
