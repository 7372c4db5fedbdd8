package artifact

import (
	"strings"
	"time"

	"fixgate/internal/fault"
)

// Hold is a legal hold on an artifact or a release: while one is set, the
// artifact (or every artifact of the release) is never purged, expired or
// not. The zero Hold is no hold.
type Hold struct {
	Reason string     `json:"reason,omitempty"`
	By     string     `json:"by,omitempty"`
	At     *time.Time `json:"at,omitempty"`
}

// Held reports whether the hold is set.
func (h Hold) Held() bool { return h.Reason != "" }

// Set returns the hold placed by by at now for reason. what names the held
// record in errors. Returns Invalid naming "reason" when it is blank or
// longer than 2000 characters, and Conflict when a hold is already set (it
// says by whom and why; release it first to change the reason).
func (h Hold) Set(what, reason, by string, now time.Time) (Hold, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 2000 {
		return h, fault.Field("reason", "is required (at most 2000 characters): say why %s must be kept", what)
	}
	if h.Held() {
		return h, fault.Conflictf("%s is already on legal hold (by %s: %s)", what, h.By, h.Reason)
	}
	return Hold{Reason: reason, By: by, At: &now}, nil
}

// Release checks that a hold may be lifted: Invalid naming "reason" when
// reason is blank (the audit trail keeps why), Conflict when there is no
// hold. It returns the zero Hold.
func (h Hold) Release(what, reason string) (Hold, error) {
	if strings.TrimSpace(reason) == "" {
		return h, fault.Field("reason", "is required: say why %s may be purged again", what)
	}
	if !h.Held() {
		return h, fault.Conflictf("%s is not on legal hold", what)
	}
	return Hold{}, nil
}
