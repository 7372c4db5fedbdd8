// Package store persists fixgate's records in SQLite (modernc.org/sqlite,
// pure Go) or PostgreSQL (pgx). One SQL string serves both: placeholders are
// $N, times are bound as fixed-width UTC text. Public methods own their
// transaction; helpers take a *Tx. Every mutation appends its audit event in
// the same transaction, and every update is a compare-and-set on the
// record's revision (tx_cas.go). The store loads facts and saves outcomes;
// the rules that decide live in the concept packages (internal/problem,
// internal/gate, internal/signal, internal/pir …).
//
// Where to find a record type's public methods: <noun>s.go (problems.go,
// releases.go, changes.go, deployments.go, approvals.go, incidents.go,
// knownerrors.go, pirs.go, cis.go, components.go, environments.go, users.go,
// webhooks.go, cab.go, deviations.go, artifacts.go, signals.go,
// signatures.go, policies.go, gate_evaluations.go); the rest of a noun's
// work is in <noun>_<detail>.go:
//
//	problem_closure.go     closure facts, confirmations, ready-to-close (rule: problem.ClosureGaps)
//	problem_recurrence.go  signature matches of signals and recurrences of resolved problems (rule: internal/signal)
//	problem_resolve.go     resolution by a production deployment or a deviation (rule: internal/problem)
//	rca_validations.go     RCA validations and their withdrawal
//	approval_guard.go      the approved state only by approvals (rule: gate.ApprovalsMissing)
//	change_checklist.go    a change's checklist: ticks and unticks (a CAS on the change), the list frozen
//	                       when it is scheduled (rule: change.Checklist); gate_checklist.go reads it for the gate
//	component_update.go    component version edits
//	deployment_update.go   deployment edits; deployment_events.go its event log
//	deployment_start.go    the start use case: plan (rule: rollout.Plan), gate, blocked or running;
//	                       deployment_deviation.go a deviation it names; deployment_fresh.go runs
//	                       a start or promotion only on the revisions the gate read
//	deployment_engine.go   what the rollout engine (internal/engine) needs: leases, due deployments,
//	                       facts (rule: rollout.Next), promote, pause, succeed, verify
//	deployment_actions.go  driver actions (queued, begun, finished; reported stages)
//	deployment_measurements.go  measurements of the analysis, each check's tally kept with them (what the engine
//	                       decides from); recurrences and incidents since a stage began
//	deployment_rollback.go rollback decided and done, with its consequences on release, problems, known errors
//	deployment_signals.go  event-driven rollback: an alert or incident that a watching deployment's recurrence or
//	                       incidents check counts decides its rollback in the transaction storing it (Rollouts hooks)
//	deployment_commands.go what a person asks: promote, rollback, abort
//	gates.go               the gate's input (gatherer); gate_record.go the use case EvaluateGate
//	                       (load, judge, record); gate_group.go the group commit of evaluations;
//	                       gate_catalogue.go the CI graph for transitive dependencies
//	incident_import.go     the streamed import; incident_insert.go inserts of many incidents
//	signal_attribution.go  deployments a signal may be attributed to (rule: signal.Attribute, signal.Pick)
//	signal_incidents.go    incidents opened and resolved by alerts; signals_list.go the list
//	ingest_group.go        the group commit of Alertmanager notifications
//	pir_feedback.go        PIR KPIs (rule: pir.SetComputedKPIs) and checklist refinement
//	outbox.go              notifications for webhook subscribers (delivered by internal/webhook/delivery)
//	user_token_cache.go    validated tokens, kept for seconds
//	audit.go               the hash chain: append, verify, export; audit_tree.go the Merkle tree,
//	                       audit_checkpoints.go signed checkpoints and proofs, audit_reconcile.go
//	                       records against their last audited state
//	backup.go              online SQLite backup
//
// Plumbing: store.go (open, migrate, clock), tx.go (write transactions and
// the audit append), tx_cas.go (compare-and-set), tx_errors.go (driver error
// codes), tx_encode.go (times and JSON columns), query.go (filters, pages,
// name checks), new_ids.go (id ranges), migrations/ (one tree per database,
// kept equal by schema_test.go).
package store
