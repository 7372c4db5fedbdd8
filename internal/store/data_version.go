package store

import "fixgate/internal/audit"

// gateNeutral are the audited record types the gate input never reads.
// flushAudit still raises audit_head.data_version for every other commit,
// but nothing reads the data version any more (the gate snapshot reuse it
// served is gone): this file and the bump go together.
var gateNeutral = map[string]bool{
	"gate_evaluation": true, "signal": true, "incident": true, "known_error": true, "pir": true,
	"webhook": true, "token": true, "request": true,
}

// gateDataChanged returns 1 if any of evs is about a record the gate may
// read, else 0: the increment of audit_head.data_version for a commit.
func gateDataChanged(evs []audit.Event) int {
	for i := range evs {
		if !gateNeutral[evs[i].RecordType] {
			return 1
		}
	}
	return 0
}
