package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAuditRecordTypesCoverTheStore: the audit page's record-type filter
// offers every record type internal/store audits (the string literals
// passed as record type to tx.auditEvent), so no event of the trail is out
// of the filter's reach.
func TestAuditRecordTypesCoverTheStore(t *testing.T) {
	files, err := filepath.Glob("../store/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("store sources: %v %v", files, err)
	}
	fs := token.NewFileSet()
	found := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fs, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) < 3 {
				return true
			}
			if sel, ok := c.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "auditEvent" {
				return true
			}
			if lit, ok := c.Args[2].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				rt, _ := strconv.Unquote(lit.Value)
				found[rt] = fs.Position(c.Pos()).String()
			}
			return true
		})
	}
	if len(found) < 20 {
		t.Fatalf("found only %d record types in the store's auditEvent calls: %v", len(found), found)
	}
	for rt, where := range found {
		if !slices.Contains(auditRecordTypes, rt) {
			t.Errorf("record type %q (audited at %s) is not in auditRecordTypes", rt, where)
		}
	}
}

// TestAuditLinksChecklistEventsToTheChange: the audit page offers
// change_checklist as a record type, and its events link to the change
// page's checklist.
func TestAuditLinksChecklistEventsToTheChange(t *testing.T) {
	tw := newTestWeb(t)
	changeScenario(tw)
	tw.apiCall("rm", "POST", "/api/v1/changes/CHG-1/checklist", `{"item":"`+soakItem+`","ticked":true,"revision":1}`, 200)
	p := tw.signIn("aud").get("/audit?" + url.Values{"record_type": {"change_checklist"}, "record_id": {"CHG-1"}}.Encode())
	if p.status != 200 || !strings.Contains(p.body, `<option value="change_checklist" selected>`) {
		t.Fatalf("audit filter: %d %s", p.status, between(p.body, `id="a-type"`, "</select>"))
	}
	rows := between(p.body, "<tbody>", "</tbody>")
	if !strings.Contains(rows, "change.checklist_check") || !strings.Contains(rows, `<a href="/changes/CHG-1#checklist">open CHG-1</a>`) {
		t.Fatalf("checklist events and their link: %s", rows)
	}
}
