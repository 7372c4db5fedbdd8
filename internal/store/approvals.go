package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/cab"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

const approvalCols = `id, record_type, record_id, record_rev, approver, role, decision, comment, at, meeting_id, record_content`

func scanApproval(sc interface{ Scan(...any) error }) (approval.Approval, error) {
	var x approval.Approval
	var id int64
	var meeting sql.NullInt64
	err := sc.Scan(&id, &x.RecordType, &x.Record, &x.RecordRevision, &x.Approver, &x.Role, &x.Decision, &x.Comment, timeCol{&x.At}, &meeting,
		&x.RecordContent)
	if meeting.Valid {
		x.Meeting = cab.Meeting.Format(meeting.Int64)
	}
	x.ID = ident.Approval.Format(id)
	return x, err
}

// CreateApproval records a.User's decision about x.Record, in the role
// a.Role, after x.Validate. In one transaction it reads the record's current
// revision (ifRev, when not 0, must match it: the approver decides about
// what they read), gathers the separation-of-duties facts and applies
// approval.CheckSoD and approval.CheckOpen. Returns NotFound for an unknown
// record, Forbidden for a separation-of-duties breach, PreconditionFailed for
// a stale ifRev, Conflict for a record that can no longer change course.
// Nothing is written on error.
func (s *Store) CreateApproval(ctx context.Context, a audit.Actor, x approval.Approval, ifRev int64) (approval.Approval, error) {
	x.Approver, x.Role, x.Meeting = a.User, a.Role, ""
	if err := x.Validate(); err != nil {
		return x, err
	}
	err := s.write(ctx, a, func(tx *Tx) error { return tx.createApproval(ctx, a, &x, ifRev, nil) })
	return x, err
}

// createApproval is CreateApproval inside tx; meeting (CAB-n id, or nil)
// links a decision taken in a CAB meeting.
func (tx *Tx) createApproval(ctx context.Context, a audit.Actor, xp *approval.Approval, ifRev int64, meeting any) error {
	x := *xp
	err := func() error {
		rev, status, facts, err := tx.approvalFacts(ctx, x.RecordType, x.Record)
		if err != nil {
			return err
		}
		if err := checkRev(x.RecordType+" "+x.Record, rev, ifRev); err != nil {
			return err
		}
		if err := approval.CheckOpen(x.RecordType, x.Record, status); err != nil {
			return err
		}
		bypass, err := tx.sodBypass(ctx, a, x, facts)
		if err != nil {
			return err
		}
		content, err := tx.recordContent(ctx, x.RecordType, x.Record)
		if err != nil {
			return err
		}
		x.RecordRevision, x.RecordContent, x.At = rev, content, tx.now
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO approvals (record_type, record_id, record_rev, approver, role, decision, comment, at, meeting_id,
			record_content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			x.RecordType, x.Record, x.RecordRevision, x.Approver, x.Role, x.Decision, x.Comment, ts(x.At), meeting, x.RecordContent).Scan(&id)
		if err != nil {
			return err
		}
		x.ID = ident.Approval.Format(id)
		if bypass != "" {
			if err := tx.auditEvent(ctx, "approval.sod_bypass", "approval", x.ID, 1, nil,
				map[string]string{"approval": x.ID, "record": x.Record, "approver": x.Approver, "deviation": bypass}); err != nil {
				return err
			}
		}
		return tx.auditEvent(ctx, "approval."+x.Decision, "approval", x.ID, 1, nil, x)
	}()
	*xp = x
	return err
}

// sodBypass applies approval.CheckSoD. An admin acting as admin may approve
// despite a conflict only under an approved separation-of-duties deviation
// on the change (or an open change of the release): never silently, the
// deviation is the record with the reason, and the bypass is audited and
// listed (GET /api/v1/deviations?kind=sod). It returns that deviation's id
// for a bypass, "" when there was no conflict.
func (tx *Tx) sodBypass(ctx context.Context, a audit.Actor, x approval.Approval, facts approval.SoDFacts) (string, error) {
	sodErr := approval.CheckSoD(x.Approver, facts)
	if sodErr == nil {
		return "", nil
	}
	if a.Role != string(auth.Admin) {
		return "", sodErr
	}
	dev, err := tx.sodDeviation(ctx, x.RecordType, x.Record)
	if err != nil || dev == "" {
		return "", firstErr(err, sodErr)
	}
	return dev, nil
}

// approvalFacts reads the current revision and status of the record and
// who must not approve it. For a change linked to a release, the release's
// creator and the people who analysed or resolved its problems are included:
// authorising the deployment of one's own fix is self-approval too.
func (tx *Tx) approvalFacts(ctx context.Context, recordType, record string) (int64, string, approval.SoDFacts, error) {
	f := approval.SoDFacts{Record: record}
	var rev int64
	var status string
	var relID sql.NullInt64
	var err error
	if recordType == approval.RecordChange {
		n, _ := ident.Change.Parse("record", record)
		f.ChangeID = record
		err = tx.queryRow(ctx, `SELECT rev, status, requested_by, release_id FROM changes WHERE id = $1`, n).
			Scan(&rev, &status, &f.Requester, &relID)
	} else {
		n, _ := ident.Release.Parse("record", record)
		relID = sql.NullInt64{Int64: n, Valid: true}
		err = tx.queryRow(ctx, `SELECT rev, status FROM releases WHERE id = $1`, n).Scan(&rev, &status)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", f, fault.NotFoundf("%s %s not found", recordType, record)
	}
	if err != nil || !relID.Valid {
		return rev, status, f, err
	}
	f.ReleaseID = ident.Release.Format(relID.Int64)
	if err := tx.queryRow(ctx, `SELECT created_by FROM releases WHERE id = $1`, relID.Int64).Scan(&f.ReleaseCreator); err != nil {
		return 0, "", f, err
	}
	rows, err := tx.query(ctx, `SELECT p.id, p.rca_author, p.resolved_by FROM release_problems rp JOIN problems p ON p.id = rp.problem_id
		WHERE rp.release_id = $1 ORDER BY p.id`, relID.Int64)
	if err != nil {
		return 0, "", f, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p approval.ProblemFacts
		if err := rows.Scan(&id, &p.RCAAuthor, &p.ResolvedBy); err != nil {
			return 0, "", f, err
		}
		p.ID = ident.Problem.Format(id)
		f.Problems = append(f.Problems, p)
	}
	return rev, status, f, rows.Err()
}

// recordContent returns the fingerprint of the release or change record
// (REL-n, CHG-n) as it stands in tx: what an approval of it approves.
func (tx *Tx) recordContent(ctx context.Context, recordType, record string) (string, error) {
	if recordType == approval.RecordChange {
		n, _ := ident.Change.Parse("record", record)
		c, _, err := scanChange(tx.queryRow(ctx, `SELECT `+changeCols+` FROM changes WHERE id = $1`, n))
		if errors.Is(err, sql.ErrNoRows) {
			return "", fault.NotFoundf("change %s not found", record)
		}
		return c.Fingerprint(), err
	}
	n, _ := ident.Release.Parse("record", record)
	r, err := tx.getRelease(ctx, n)
	return r.Fingerprint(), err
}

// GetApproval returns one approval. Returns NotFound if there is none.
func (s *Store) GetApproval(ctx context.Context, id int64) (approval.Approval, error) {
	x, err := scanApproval(s.db.QueryRowContext(ctx, `SELECT `+approvalCols+` FROM approvals WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, fault.NotFoundf("approval %s not found", ident.Approval.Format(id))
	}
	return x, errf(err, "get approval")
}

// ApprovalFilter selects approvals; zero fields do not filter. Record is a
// release or change id (REL-3, CHG-7).
type ApprovalFilter struct {
	Record   string
	Approver string
	Page
}

// ListApprovals returns approvals in id order (the order they were made)
// after f.After, at most f.Limit.
func (s *Store) ListApprovals(ctx context.Context, f ApprovalFilter) ([]approval.Approval, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Record != "" {
		t, id, _, err := approval.ParseRecord(f.Record)
		if err != nil {
			return nil, err
		}
		w.add("record_type = ?", t)
		w.add("record_id = ?", id)
	}
	if f.Approver != "" {
		w.add("approver = ?", f.Approver)
	}
	q := `SELECT ` + approvalCols + ` FROM approvals` + w.where() + ` ORDER BY id LIMIT ` + w.next(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "list approvals")
	}
	defer rows.Close()
	out := []approval.Approval{}
	for rows.Next() {
		x, err := scanApproval(rows)
		if err != nil {
			return nil, errf(err, "scan approval")
		}
		out = append(out, x)
	}
	return out, errf(rows.Err(), "list approvals")
}

// ApprovalVerdict returns what the approvals of record (REL-n or CHG-n)
// amount to as it stands (approval.Current: decisions about its current
// content count). The record is read first, so an approval racing an edit
// of the record counts as stale, never the reverse. Returns NotFound for an
// unknown record.
func (s *Store) ApprovalVerdict(ctx context.Context, record string) (approval.Verdict, error) {
	t, id, n, err := approval.ParseRecord(record)
	if err != nil {
		return approval.Verdict{}, err
	}
	var rev int64
	var content string
	if t == approval.RecordChange {
		c, err := s.GetChange(ctx, n)
		if err != nil {
			return approval.Verdict{}, err
		}
		rev, content = c.Revision, c.Fingerprint()
	} else {
		r, err := s.GetRelease(ctx, n)
		if err != nil {
			return approval.Verdict{}, err
		}
		rev, content = r.Revision, r.Fingerprint()
	}
	all, err := recordApprovals(ctx, s.db, t, id)
	if err != nil {
		return approval.Verdict{}, errf(err, "approval verdict")
	}
	return approval.Current(all, rev, content), nil
}

// recordApprovals returns the decisions about one record in the order they were made.
func recordApprovals(ctx context.Context, q querier, recordType, record string) ([]approval.Approval, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+approvalCols+` FROM approvals WHERE record_type = $1 AND record_id = $2 ORDER BY id`, recordType, record)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []approval.Approval
	for rows.Next() {
		x, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, x)
	}
	return all, rows.Err()
}
