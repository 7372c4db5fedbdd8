package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestKnownErrorSearchByTextAndLabel: a responder finds a known error's
// workaround by text in its title, symptoms or workaround and by label;
// other searches do not find it; a malformed label is shown on the page.
func TestKnownErrorSearchByTextAndLabel(t *testing.T) {
	tw := newTestWeb(t)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/known-errors", `{"title":"Cart cache nil map","symptoms":"HTTP 500 on checkout",
		"workaround":"Restart the cart pods","problem":"PRB-1","labels":{"service":"checkout"}}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/known-errors", `{"title":"Search disk fills up","symptoms":"slow search",
		"workaround":"rotate the logs","labels":{"service":"search"}}`, 201)
	b := tw.user("eng")
	get := func(q url.Values) page_ { return b.get("/known-errors?" + q.Encode()) }

	byText := get(url.Values{"q": {"RESTART the cart"}})
	wantAll(t, "by workaround text", byText, 200, "KE-1 Cart cache nil map", "Restart the cart pods", `href="/problems/PRB-1"`)
	wantNone(t, "by workaround text", byText, "KE-2")
	wantAll(t, "by symptom", get(url.Values{"q": {"slow search"}}), 200, "KE-2 Search disk fills up", "rotate the logs")

	byLabel := get(url.Values{"label": {"service=search"}})
	wantAll(t, "by label", byLabel, 200, "KE-2 Search disk fills up", "rotate the logs")
	wantNone(t, "by label", byLabel, "KE-1")
	both := get(url.Values{"q": {"cart"}, "label": {"service=search"}})
	wantAll(t, "text and label", both, 200, "No known error matches this search.")
	wantNone(t, "text and label", both, "KE-1", "KE-2")
	wantAll(t, "no match", get(url.Values{"q": {"kernel panic"}}), 200, "No known error matches this search.")
	wantAll(t, "label value case", get(url.Values{"label": {"service=Search"}}), 200, "No known error matches this search.")

	bad := get(url.Values{"label": {"service"}})
	wantAll(t, "malformed label", bad, http.StatusBadRequest, `role="alert"`, "label: ", `id="ke-label" name="label" value="service"`)
	wantAll(t, "a problem's known errors", get(url.Values{"problem": {"PRB-1"}}), 200, "KE-1", "Known errors of")
}
