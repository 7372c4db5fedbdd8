package api

import (
	"testing"
)

// The validation comment is stored with the validator's acting role and
// audited (rca.validation, after = the validation with its comment); a
// refused validation stores no comment.
func TestAPIValidateRCAComment(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"t","priority":2,"cis":["checkout-api"]}`, 201)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca"}`, 200)
	ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small"}`, 200)
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{"comment":"stale","revision":1}`), 412, "")
	if l := ta.must("aud", "GET", "/api/v1/problems/PRB-1/rca/validations", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("a refused validation stored %v", l)
	}
	p := ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{"comment":"load test reproduces it"}`, 200)
	if p["rca"].(map[string]any)["validated_by"] != "pm" {
		t.Fatalf("validated %v", p)
	}
	l := ta.must("aud", "GET", "/api/v1/problems/PRB-1/rca/validations", "", 200)
	items := l["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("validations %v", l)
	}
	v := items[0].(map[string]any)
	if v["comment"] != "load test reproduces it" || v["validator"] != "pm" || v["role"] != "problem_manager" || v["problem_revision"] != p["revision"] {
		t.Fatalf("validation %v", v)
	}
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=rca_validation&record_id=PRB-1%231", "", 200)
	evs := aud["items"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["action"] != "rca.validation" || evs[0].(map[string]any)["actor"] != "pm" {
		t.Fatalf("audit %v", evs)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/problems/PRB-9/rca/validations", ""), 404, "")
}
