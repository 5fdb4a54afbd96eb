package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/notify"
)

// serveTLS is how `slipway serve` speaks HTTP: TLS with its own
// certificate, or plain HTTP on a loopback address (a proxy on the same
// machine terminates TLS), or plain HTTP anywhere with --insecure-http (a
// TLS-terminating proxy or ingress in front, as in Kubernetes). Passwords,
// tokens and session cookies never cross a network in the clear by accident.
type serveTLS struct {
	cert, key string
	insecure  bool
}

func (t *serveTLS) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.cert, "tls-cert", "", "PEM certificate (chain) to serve HTTPS with")
	cmd.Flags().StringVar(&t.key, "tls-key", "", "PEM private key of --tls-cert")
	cmd.Flags().BoolVar(&t.insecure, "insecure-http", false, "serve plain HTTP on a non-loopback address (only behind a proxy that terminates TLS: cookies are still marked Secure)")
}

// check refuses plain HTTP where credentials would travel in the clear.
func (t *serveTLS) check(listen string) error {
	if (t.cert == "") != (t.key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if t.cert != "" || t.insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("--listen %s: plain HTTP on a non-loopback address would send passwords and tokens in the clear: give --tls-cert and --tls-key, listen on 127.0.0.1 behind a local proxy, or pass --insecure-http when a TLS-terminating proxy is in front", listen)
}

// secure reports whether browsers reach Slipway over TLS (its own or a
// proxy's): cookies are then Secure.
func (t *serveTLS) secure() bool { return t.cert != "" || t.insecure }

func (t *serveTLS) scheme() string {
	if t.cert != "" {
		return "https"
	}
	return "http"
}

func (t *serveTLS) serve(srv *http.Server, ln net.Listener, log *slog.Logger) {
	var err error
	if t.cert != "" {
		err = srv.ServeTLS(ln, t.cert, t.key)
	} else {
		err = srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http server", "err", err)
	}
}

// mountAPI puts the REST API, login and webhooks on the server's mux.
func mountAPI(ctx context.Context, mux *http.ServeMux, e *engine.Engine, cfg *config.Config, log *slog.Logger, secure bool) (*api.Server, error) {
	svc := &auth.Service{Store: e.Store, Policy: cfg.AccessPolicy(), Now: e.Now, TTL: cfg.Auth.TTL(), TokenCacheTTL: auth.DefaultTokenCacheTTL}
	web := api.New(e, svc, log)
	web.Secure = secure
	if o := cfg.Auth.OIDC; o != nil {
		secret, err := config.ReadSecret(o.ClientSecretEnv, o.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("auth.oidc client secret: %w", err)
		}
		if web.OIDC, err = auth.NewOIDC(ctx, *o, string(secret), nil); err != nil {
			return nil, err
		}
	}
	if len(cfg.Auth.Roles) == 0 && len(cfg.Permissions.Override) == 0 {
		log.Warn("no roles are granted (auth.roles in slipway.yaml): every API request will be refused until some are; see docs/auth.md")
	}
	web.Mount(mux)
	return web, nil
}

// deliverNotifications runs the outbox delivery loop (one replica at a time).
func deliverNotifications(ctx context.Context, e *engine.Engine, cfg *config.Config, log *slog.Logger) {
	d := &notify.Deliverer{Outbox: e.Store.Outbox, Leases: e.Store.Leases, Owner: e.Owner, Receivers: cfg.Notifications, Log: log}
	d.Run(ctx)
}
