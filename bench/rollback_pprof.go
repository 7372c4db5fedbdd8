package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// FIXGATE_BENCH_PPROF=127.0.0.1:PORT serves net/http/pprof while the bench
// runs: where the server's goroutines wait when it falls behind.
func init() {
	if addr := os.Getenv("FIXGATE_BENCH_PPROF"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
