package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/slipway/slipway/app"
	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/controller"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/server"
)

func init() {
	register("", func(g *globals) *cobra.Command {
		var listen, replica string
		var tlsFlags serveTLS
		var c controller.Controller
		cmd := &cobra.Command{
			Use:   "serve [--listen ADDR]",
			Short: "Run the controller: leader election, one fetch loop, the durable work queue, /healthz, /readyz, /metrics",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				cfg, err := config.Load(g.configPath)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				stopProfile, err := startProfile()
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				defer stopProfile()
				log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
				e, err := app.Open(ctx, app.Options{Config: cfg, StateDir: g.stateDir, Store: g.store, Log: log, Controller: true,
					Events: func(ev engine.Event) { log.Info(ev.Message, "stage", ev.Stage, "ref", ev.Ref) }})
				if err != nil {
					return userError(err)
				}
				if replica != "" {
					e.Owner = replica
				}
				defer e.Close()
				reg := prometheus.NewRegistry()
				reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
				e.Metrics = engine.NewMetrics(reg, e)
				c.Engine, c.Log = e, log
				if err := tlsFlags.check(listen); err != nil {
					return &exitError{code: 2, err: err}
				}
				mux := server.New(&c, reg)
				web, err := mountAPI(ctx, mux, e, cfg, log, tlsFlags.secure())
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				if err := mountUI(mux, web); err != nil {
					return &exitError{code: 2, err: err}
				}
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("--listen %s: %w", listen, err)}
				}
				srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
				go tlsFlags.serve(srv, ln, log)
				go web.Housekeep(ctx, time.Hour)
				go deliverNotifications(ctx, e, cfg, log)
				fmt.Fprintf(cmd.OutOrStdout(), "slipway serve: listening on %s://%s (owner %s)\n", tlsFlags.scheme(), ln.Addr(), e.Owner)
				err = c.Run(ctx)
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if serr := srv.Shutdown(sctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
					log.Warn("http shutdown", "err", serr)
				}
				return err
			},
		}
		cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address of the HTTP server (web UI, API, webhooks, health, readiness, metrics)")
		tlsFlags.flags(cmd)
		cmd.Flags().StringVar(&replica, "replica", "", "a stable name for this replica (e.g. the pod name): a restarted replica takes its leases back at once; default host:pid:random")
		cmd.Flags().IntVar(&c.Workers, "workers", 8, "promotions driven at once")
		cmd.Flags().DurationVar(&c.LeaderTTL, "leader-ttl", 5*time.Second, "how long a silent leader keeps the lead; a standby takes over after it")
		cmd.Flags().DurationVar(&c.FetchEvery, "fetch-every", 2*time.Second, "period of the GitOps fetch loop")
		cmd.Flags().DurationVar(&c.ReconcileEvery, "reconcile-every", 30*time.Second, "period of the full reconcile")
		return cmd
	})
}
