package main

import (
	"encoding/json"
	"net/http"
	"time"

	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// unstoredGatePath serves the gate's read work without storing anything.
const unstoredGatePath = "/bench/gate-unstored"

// withUnstoredGate serves h, plus at unstoredGatePath the ceiling of a
// polled evaluation: the same snapshot reuse, verdict and encoded answer
// as POST /api/v1/gates/evaluate, but no authentication and no record or
// audit event written. It shows what the store-and-audit step costs and
// what latency the machine allows before any write (bench/README.md).
func withUnstoredGate(h http.Handler, st *store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	pol := policy.Default()
	mux.HandleFunc("POST "+unstoredGatePath, func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Release, Environment string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rel, err := ident.Release.Parse("release", in.Release)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now().UTC()
		snap, err := st.GateSnapshot(r.Context(), store.GateQuery{Release: rel, Env: in.Environment, At: now, Reuse: true}, pol)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		prep := snap.Prepared.Load()
		if prep == nil {
			prep = gate.Prepare(pol, snap.Input)
			snap.Prepared.Store(prep)
		}
		vj, err := store.EncodeVerdict(prep.Verdict(now, now))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b := append(append(append(append([]byte(`{"verdict":`), vj...), `,"input_revisions":`...), snap.RevisionsJSON...), "}\n"...)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	return mux
}
