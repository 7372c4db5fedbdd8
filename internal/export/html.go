package export

import (
	"bytes"
	"html/template"
)

var page = template.Must(template.New("doc").Funcs(template.FuncMap{"stamp": stamp}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.D.Record}} — {{.D.Title}}</title></head>
<body>
<h1>{{.D.Record}} — {{.D.Title}}</h1>
{{range .Header}}<p>{{.}}</p>
{{end}}<h2>Statements</h2>
<ol>
{{range .Rows}}<li><p><time>{{stamp .S.At}}</time> — {{.S.Text}}</p><p class="evidence">Evidence: {{.Evidence}}.</p></li>
{{end}}</ol>
</body></html>
`))

// renderHTML writes a self-contained page without script or style (the
// server's CSP forbids inline ones; the page needs neither).
func renderHTML(d *Document) ([]byte, error) {
	type row struct {
		S        Statement
		Evidence string
	}
	rows := make([]row, len(d.Statements))
	for i, s := range d.Statements {
		rows[i] = row{s, d.Evidence(s)}
	}
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		D      *Document
		Header []string
		Rows   []row
	}{d, d.header(), rows})
	return b.Bytes(), err
}
