package demo

import "net/http"

func (rt *Runtime) mountDriver(mux *http.ServeMux) {}
