// Package approval holds the approval record (who decided what about which
// release or change, in which role, about which revision, and why) and the
// pure rules over it: which approvals count, and separation of duties.
// It does no I/O.
package approval

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Decisions.
const (
	Approve = "approve"
	Reject  = "reject"
)

// Record types that can be approved.
const (
	RecordRelease = "release"
	RecordChange  = "change"
)

// Roles are the roles an approver may act in, strongest first. An approval
// records the strongest one the approver holds unless they name another.
// Engineers and validators approve as peers (docs/policy.md: a peer is
// anyone but an auditor or a pipeline); separation of duties still bars
// the authors of the fix, the RCA or the release.
var Roles = []auth.Role{auth.Admin, auth.ReleaseManager, auth.ProblemManager, auth.CABMember, auth.Engineer, auth.Validator}

// MaxComment bounds a comment.
const MaxComment = 4000

// Approval is one immutable decision about one revision of a record.
type Approval struct {
	ID             string `json:"id"`
	Record         string `json:"record"`      // REL-n or CHG-n
	RecordType     string `json:"record_type"` // release or change
	RecordRevision int64  `json:"record_revision"`
	// RecordContent is the fingerprint of what was approved (release or
	// change Fingerprint): the decision stands while the content is unchanged.
	RecordContent string    `json:"record_content"`
	Approver      string    `json:"approver"`
	Role          string    `json:"role"`
	Decision      string    `json:"decision"`
	Comment       string    `json:"comment"`
	At            time.Time `json:"at"`
	// Meeting is the CAB meeting (CAB-n) the decision was taken in, if any.
	Meeting string `json:"meeting,omitempty"`
}

// ParseRecord returns the record type and normalised id of an approvable
// record ("rel-3" → "release", "REL-3", 3). Returns Invalid naming "record".
func ParseRecord(s string) (recordType, id string, n int64, err error) {
	if s == "" {
		return "", "", 0, fault.Field("record", "is required (REL-n or CHG-n)")
	}
	k, ok := ident.KindOf(s)
	switch {
	case ok && k == ident.Release:
		recordType = RecordRelease
	case ok && k == ident.Change:
		recordType = RecordChange
	default:
		return "", "", 0, fault.Field("record", "%q cannot be approved: only releases (REL-n) and changes (CHG-n) are", s)
	}
	n, err = k.Parse("record", s)
	if err != nil {
		return "", "", 0, err
	}
	return recordType, k.Format(n), n, nil
}

// Validate checks the fields an approver sets: the record id, the
// decision, the role and the comment (required to reject). Returns Invalid
// naming the field.
func (a *Approval) Validate() error {
	t, id, _, err := ParseRecord(a.Record)
	if err != nil {
		return err
	}
	a.RecordType, a.Record = t, id
	if a.Decision != Approve && a.Decision != Reject {
		return fault.Field("decision", "must be %s or %s, got %q", Approve, Reject, a.Decision)
	}
	if !slices.Contains(Roles, auth.Role(a.Role)) {
		return fault.Field("role", "%q cannot approve (approving roles: %s)", a.Role, roleList(Roles))
	}
	a.Comment = strings.TrimSpace(a.Comment)
	if a.Decision == Reject && a.Comment == "" {
		return fault.Field("comment", "is required to reject: say why")
	}
	if len(a.Comment) > MaxComment {
		return fault.Field("comment", "is longer than %d bytes", MaxComment)
	}
	return nil
}

// ActingRole returns the role an approver acts in: asked if given (it must
// be an approving role the approver holds), else the strongest approving
// role held. Returns Forbidden if the approver holds none or not asked,
// Invalid naming "role" if asked is not an approving role.
func ActingRole(held []auth.Role, asked string) (auth.Role, error) {
	if asked != "" {
		r := auth.Role(asked)
		if !slices.Contains(Roles, r) {
			return "", fault.Field("role", "%q cannot approve (approving roles: %s)", asked, roleList(Roles))
		}
		if !slices.Contains(held, r) {
			return "", fault.Refused("role", "you do not hold the role %s (you have %s)", asked, roleList(held))
		}
		return r, nil
	}
	for _, r := range Roles {
		if slices.Contains(held, r) {
			return r, nil
		}
	}
	return "", fault.Refused("role", "approving needs one of the roles %s; you have %s", roleList(Roles), roleList(held))
}

func roleList(rs []auth.Role) string {
	xs := make([]string, len(rs))
	for i, r := range rs {
		xs[i] = string(r)
	}
	return strings.Join(xs, ", ")
}

// Verdict is what the approvals of a record amount to at one revision.
type Verdict struct {
	Revision  int64      `json:"revision"`
	Content   string     `json:"content"`   // the record's current fingerprint
	Approvals []Approval `json:"approvals"` // approvals that count
	Rejection []Approval `json:"rejections"`
	Stale     int        `json:"stale"` // decisions about content edited since, which no longer count
}

// Blocked reports whether a current rejection blocks the record.
func (v Verdict) Blocked() bool { return len(v.Rejection) > 0 }

// Approvers returns the distinct users whose approval counts.
func (v Verdict) Approvers() []string {
	out := make([]string, len(v.Approvals))
	for i, a := range v.Approvals {
		out[i] = a.Approver
	}
	return out
}

// Binds reports whether a decision given at revision rev about content
// still bears on the record now at curRev with curContent. Decisions bind
// to what was approved: a lifecycle move (a new revision, same content)
// keeps them, a content edit voids them. A decision recorded before content
// fingerprints existed (content "") binds to its revision only. The gate
// (rule 7 and 8) and Current use this one rule.
func Binds(rev int64, content string, curRev int64, curContent string) bool {
	if content != "" && curContent != "" {
		return content == curContent
	}
	return rev == curRev
}

// Current sorts the approvals of one record (in the order they were made)
// into those that count for the record at recordRevision with content
// (see Binds): decisions about content edited since are stale. Each
// approver's latest binding decision replaces their earlier ones, so
// someone who rejected can approve after the concern is settled (and vice
// versa); a rejection that stands blocks.
func Current(approvals []Approval, recordRevision int64, content string) Verdict {
	v := Verdict{Revision: recordRevision, Content: content, Approvals: []Approval{}, Rejection: []Approval{}}
	latest := map[string]int{}
	var order []string
	for i, a := range approvals {
		if !Binds(a.RecordRevision, a.RecordContent, recordRevision, content) {
			v.Stale++
			continue
		}
		if _, seen := latest[a.Approver]; !seen {
			order = append(order, a.Approver)
		}
		latest[a.Approver] = i
	}
	for _, who := range order {
		a := approvals[latest[who]]
		if a.Decision == Reject {
			v.Rejection = append(v.Rejection, a)
		} else {
			v.Approvals = append(v.Approvals, a)
		}
	}
	return v
}

// SoDFacts are the people whose work an approval would review. For a
// change that authorises a release, the store fills the release's facts too.
type SoDFacts struct {
	Record         string // REL-n or CHG-n being approved
	ReleaseID      string // the release under review (itself, or the one the change authorises)
	ReleaseCreator string
	ChangeID       string
	Requester      string // who requested the change
	Problems       []ProblemFacts
}

// ProblemFacts names who analysed and who resolved a problem the release resolves.
type ProblemFacts struct {
	ID         string
	RCAAuthor  string
	ResolvedBy string
}

// CheckSoD returns Forbidden, with the reason, when approver reviewed their
// own work: they created the release, requested the change, recorded the
// root cause analysis of, or resolved, a problem the release resolves.
// Roles grant no exemption, admin included.
func CheckSoD(approver string, f SoDFacts) error {
	deny := func(format string, args ...any) error {
		return &fault.Error{Code: fault.Forbidden,
			Message: "separation of duties: " + fmt.Sprintf(format, args...) + "; someone else must decide about " + f.Record,
			Extra:   map[string]any{"rule": "separation_of_duties"}}
	}
	if approver == "" {
		return fault.Refused("separation_of_duties", "an approval needs an identified approver")
	}
	if f.ChangeID != "" && f.Requester == approver {
		return deny("%s requested %s", approver, f.ChangeID)
	}
	if f.ReleaseID != "" && f.ReleaseCreator == approver {
		return deny("%s created %s", approver, f.ReleaseID)
	}
	for _, p := range f.Problems {
		if p.RCAAuthor == approver {
			return deny("%s recorded the root cause analysis of %s, which %s resolves", approver, p.ID, f.ReleaseID)
		}
		if p.ResolvedBy == approver {
			return deny("%s resolved %s, which %s resolves", approver, p.ID, f.ReleaseID)
		}
	}
	return nil
}

// CheckOpen refuses decisions about a record that can no longer change
// course: a canceled or verified release, a closed, canceled or failed change.
func CheckOpen(recordType, id, status string) error {
	final := map[string][]string{
		RecordRelease: {"canceled", "verified"},
		RecordChange:  {"closed", "canceled", "failed"},
	}
	if slices.Contains(final[recordType], status) {
		return &fault.Error{Code: fault.Conflict, Message: fmt.Sprintf("%s is %s; decisions about it no longer matter", id, status),
			Extra: map[string]any{"current_status": status}}
	}
	return nil
}
