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
// tokens.go, sessions.go, webhooks.go, cab.go, deviations.go, artifacts.go,
// signals.go, signatures.go, policies.go, cycles.go, assessments.go,
// gate_evaluations.go); the rest of a noun's work is in <noun>_<detail>.go:
//
//	problem_closure.go     closure facts, confirmations, ready-to-close (rule: problem.ClosureGaps)
//	problem_recurrence.go  signature matches of signals and recurrences of resolved problems (rule: internal/signal)
//	problem_resolve.go     resolution by a production deployment or a deviation (rule: internal/problem)
//	problem_batch.go       UpdateProblems: many problems in one transaction, all or nothing
//	problems_list.go       the problems page: a combined filter driven by the filter selecting fewest (bounded)
//	problem_history.go     a problem page's bounded history (incidents, deployments; counts capped at CountCap)
//	rca_validations.go     RCA validations and their withdrawal
//	approval_guard.go      the approved state only by approvals (rule: gate.ApprovalsMissing);
//	                       approval_check.go MayApprove, the same decision without writing (pages)
//	change_checklist.go    a change's checklist: ticks and unticks (a CAS on the change), the list frozen
//	                       when it is scheduled (rule: change.Checklist); gate_checklist.go reads it for the gate;
//	                       change_pages.go changes newest first and MayTickChecklist (the same check, writing nothing)
//	component_update.go    component version edits
//	releases_bump.go       a new release must bump its line's version; releases_recent.go newest first
//	release_plan.go        what to rebuild, in order (rule: release.Plan) over the CI graph
//	release_notes.go       notes from one read transaction (rule: release.GenerateNotes); release_tag.go the git tag;
//	                       release_commits.go the recorded git range and commit count (patterns' release size)
//	artifacts_bytes.go     bytes and rows agree (digest lock); artifacts_evidence.go RCA documents on releases;
//	                       artifacts_hold.go legal holds; artifacts_purge.go retention; artifacts_pages.go reads for pages
//	deployment_update.go   deployment edits; deployment_events.go its event log
//	deployment_start.go    the start use case: plan (rule: rollout.Plan), gate, blocked or running;
//	                       deployment_deviation.go a deviation it names; deployment_fresh.go runs
//	                       a start or promotion only on the revisions the gate read
//	deployment_engine.go   what the rollout engine (internal/engine) needs: leases, due deployments,
//	                       facts (rule: rollout.Next), promote, pause, succeed, verify; deployment_ends.go
//	                       a step's end (measurements and lease release in one transaction)
//	deployment_actions.go  driver actions (queued, begun, finished; reported stages)
//	deployment_measurements.go  measurements of the analysis, each check's tally kept with them (what the engine
//	                       decides from); recurrences and incidents since a stage began
//	deployment_rollback.go rollback decided and done, with its consequences on release, problems, known errors
//	deployment_signals.go  event-driven rollback: an alert or incident that a watching deployment's recurrence or
//	                       incidents check counts decides its rollback in the transaction storing it (Rollouts hooks)
//	deployment_commands.go what a person asks: promote, rollback, abort
//	deployment_pages.go    deployments newest first, bounded, for pages
//	gates.go               the gate's input (gatherer): gate_batch.go runs its statements, gate_reads.go holds them,
//	                       gates_resolutions.go the releases that resolved its problems, gate_health.go the facts of
//	                       progression and target_health, gate_catalogue.go the CI graph for transitive dependencies;
//	                       gate_record.go the use case EvaluateGate (load, judge, record); gate_group.go the group
//	                       commit of evaluations; gate_dryrun.go the same judgement recording nothing
//	incident_import.go     the streamed import; incident_insert.go inserts of many incidents
//	signal_attribution.go  deployments a signal may be attributed to (rule: signal.Attribute, signal.Pick)
//	signal_incidents.go    incidents opened and resolved by alerts; signals_list.go the list
//	ingest_group.go        the group commit of Alertmanager notifications
//	pir_feedback.go        PIR KPIs (rule: pir.SetComputedKPIs) and checklist refinement;
//	                       pir_tags.go finding tags; pir_targets.go success criteria judged (rule: pir.Evaluate)
//	report_kpi.go          the KPI report (rule: internal/report): report_kpi_facts.go its facts, report_kpi_sql.go its SQL
//	report_patterns.go     the failure-patterns report and its drill-down; report_patterns_sql.go its SQL
//	controls.go            the governance controls' facts (rule: internal/control); assessments.go stores ASSESS-n
//	exports.go             ISO/IEC 20000 evidence documents (rendered by internal/export)
//	dashboard.go           what needs attention now; cab_board.go a CAB meeting's board
//	policy_versions.go     stored policy versions for pages
//	sessions_live.go       live sessions (admin page)
//	outbox.go              notifications for webhook subscribers (delivered by internal/webhook/delivery)
//	user_token_cache.go    validated tokens, kept for seconds
//	audit.go               the hash chain: append, verify, export; audit_tree.go the Merkle tree,
//	                       audit_checkpoints.go signed checkpoints and proofs, audit_reconcile.go
//	                       records against their last audited state; audit_list.go the audit page (bounded
//	                       filters); audit_since.go a record's events after a revision (stale-form answers)
//	backup.go              online SQLite backup
//	write_gate.go          SQLite's writers queue in FIFO order (the rollback bench's goal needs it)
//
// Plumbing: store.go (open, migrate, clock), tx.go (write transactions and
// the audit append), tx_cas.go (compare-and-set), tx_errors.go (driver error
// codes), tx_encode.go (times and JSON columns), query.go (filters, pages,
// name checks), new_ids.go (id ranges), migrations/ (one tree per database,
// kept equal by schema_test.go), snapshot.go (a read that may decide as a write would).
package store
