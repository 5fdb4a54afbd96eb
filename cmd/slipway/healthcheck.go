package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthcheck exists because Slipway's image has no shell and no curl: a
// container runtime's health check runs the binary itself.
func init() {
	register("", func(g *globals) *cobra.Command {
		var url string
		var timeout time.Duration
		c := &cobra.Command{
			Use:   "healthcheck [--url http://127.0.0.1:8080/readyz]",
			Short: "Exit 0 when a slipway serve answers its health endpoint with 200 (for container health checks)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return checkHealth(cmd.Context(), url, timeout, cmd.OutOrStdout())
			},
		}
		c.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/healthz", "health URL of the server (/healthz: alive; /readyz: ready to serve)")
		c.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
		return c
	})
}

func checkHealth(ctx context.Context, url string, timeout time.Duration, out io.Writer) error {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return &exitError{code: 2, err: fmt.Errorf("--url %q: give an http:// or https:// URL, e.g. http://127.0.0.1:8080/healthz", url)}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--url %q: %v", url, err)}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check of %s: %w", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("health check of %s: %s: %s", url, res.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(out, "%s: %s\n", url, strings.TrimSpace(string(body)))
	return nil
}
