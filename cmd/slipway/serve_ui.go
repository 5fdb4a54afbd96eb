package main

import (
	"net/http"

	"github.com/slipway/slipway/api"
	"github.com/slipway/slipway/ui"
)

// mountUI serves the web UI at / on the API's mux, over the same engine,
// authentication and session cookie (docs/ui.md).
func mountUI(mux *http.ServeMux, web *api.Server) error {
	u, err := ui.New(web)
	if err != nil {
		return err
	}
	u.Mount(mux)
	return nil
}
