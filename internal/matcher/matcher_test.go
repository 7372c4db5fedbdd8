package matcher

import (
	"encoding/json"
	"strings"
	"testing"

	"fixgate/internal/fault"
)

func TestParseCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{alertname="HighErrorRate",service="checkout",env=~"prod-.*",error_code!~"4.."}`,
			`{alertname="HighErrorRate",env=~"prod-.*",error_code!~"4..",service="checkout"}`},
		{` { service = "checkout" , alertname="X" , } `, `{alertname="X",service="checkout"}`},
		{`alertname="X"`, `{alertname="X"}`},                                   // braces optional
		{`{a="1",a="1",b!="2"}`, `{a="1",b!="2"}`},                             // exact duplicates collapse
		{`{a="1",a!="1"}`, `{a!="1",a="1"}`},                                   // contradictions are kept (they match nothing)
		{`{msg="say \"hi\"\\now\n"}`, `{msg="say \"hi\"\\now\n"}`},             // escapes
		{`{msg="tab\there \u00e9 \x41"}`, `{msg="tab\there é A"}`},             // Go escapes, canonical form re-quoted
		{`{path="/api/v1/{id}?q=a,b&x=}"}`, `{path="/api/v1/{id}?q=a,b&x=}"}`}, // odd characters in values
		{`{svc="café ☕"}`, `{svc="café ☕"}`},
		{"{\n  alertname=\"X\",\n  env=~\"prod-(eu|us)\"\n}", `{alertname="X",env=~"prod-(eu|us)"}`},
		{`{_private="1",Upper_9="2"}`, `{Upper_9="2",_private="1"}`},
		// unquoted values, as Alertmanager (amtool, silences, routes) takes them
		{`alertname=HighErrorRate`, `{alertname="HighErrorRate"}`},
		{`{alertname = HighErrorRate , env=~prod-.* ,}`, `{alertname="HighErrorRate",env=~"prod-.*"}`},
		{`{service=checkout api, severity!=info}`, `{service="checkout api",severity!="info"}`},
		{`{path=C:\dir\x,a="1"}`, `{a="1",path="C:\\dir\\x"}`},
		{`{a="1",b=}`, `{a="1",b=""}`},
	} {
		sel, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := sel.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %s, want %s", tc.in, got, tc.want)
		}
		again, err := Parse(sel.String())
		if err != nil || !again.Equal(sel) {
			t.Errorf("round trip of %s: %v, %v", sel, again, err)
		}
	}
}

func TestEqualSignaturesCompareEqual(t *testing.T) {
	a := MustParse(`{b=~"x|y", a="1"}`)
	b := MustParse(`{ a = "1", b =~ "x|y", }`)
	if !a.Equal(b) || a.String() != b.String() {
		t.Fatalf("%s != %s", a, b)
	}
	if c := MustParse(`{a="1",b=~"y|x"}`); c.Equal(a) {
		t.Fatalf("%s should differ from %s", c, a)
	}
}

func TestParseErrorsNameFieldAndColumn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, "column 2: empty selector"},
		{`  `, "column 3: empty selector"},
		{`{,a="1"}`, `column 2: expected a label name`},
		{`{a="1",,}`, `column 8: expected a label name`},
		{`{a="1"`, "column 7: missing closing '}'"},
		{`{a="1" b="2"}`, `column 8: expected ',' or '}'`},
		{`{a="1"} x`, `column 9: unexpected "x"`},
		{`{a "1"}`, `column 4: expected =, !=, =~ or !~ after "a"`},
		{`{a==1}`, `column 4: unquoted value "=1" starts with '='`},
		{`{a='1'}`, `column 4: unquoted value "'1'" starts with '\''`},
		{`{a=~~x}`, `column 5: unquoted value "~x" starts with '~'`},
		{`{a=x"y"}`, `column 5: a '"' inside an unquoted value`},
		{"{a=x\ny}", "column 5: newline in a value"},
		{`{alertname=}`, "every matcher also matches"},
		{`{1a="x"}`, `column 2: label name "1a" must not start with a digit`},
		{`{a-b="x"}`, `column 3: expected =, !=, =~ or !~ after "a"`},
		{`{a="x}`, `column 4: unterminated quoted value`},
		{`{a="x\q"}`, `column 4: invalid escape`},
		{`{a="x\"}`, `column 4: unterminated quoted value`},
		{"{a=\"x\ny\"}", "column 6: newline in quoted value"},
		{`{é="x"}`, `column 2: expected a label name`},
		{`{a="\xff"}`, `column 4: quoted value "\xff" is not valid UTF-8`},
		{"{a=\"\xff\"}", "column 5: invalid UTF-8"},
		{`{alertname="X",code=~"5(0"}`, "column 22: matcher code=~\"5(0\": invalid regular expression: missing closing )"},
		{`{alertname="X",code!~"*"}`, `column 22: matcher code!~"*": invalid regular expression: missing argument to repetition operator`},
		{`{a=~"x)|(y"}`, `invalid regular expression: unexpected )`}, // cannot escape the anchoring
		{`{env!="prod"}`, "every matcher also matches alerts that lack the label"},
		{`{env=~".*",a=""}`, "every matcher also matches"},
		{`{env!~"x"}`, "every matcher also matches"},
		{`{env=~"prod|"}`, "every matcher also matches"},
		{"{a=\"" + strings.Repeat("x", MaxSelectorBytes) + "\"}", "longer than 4096 bytes"},
	} {
		_, err := Parse(tc.in)
		fe := fault.As(err)
		if fe == nil || fe.Code != fault.Invalid || fe.Field != "signature" {
			t.Errorf("Parse(%q) = %v, want Invalid naming signature", tc.in, err)
			continue
		}
		if !strings.Contains(fe.Message, tc.want) {
			t.Errorf("Parse(%q) message %q, want it to contain %q", tc.in, fe.Message, tc.want)
		}
	}
}

func TestTooManyMatchers(t *testing.T) {
	var b strings.Builder
	for i := range MaxMatchers + 1 {
		b.WriteString("l")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(`="v",`)
	}
	if _, err := Parse(b.String()); err == nil || !strings.Contains(err.Error(), "at most 32") {
		t.Fatalf("got %v", err)
	}
}

func TestMatchSemantics(t *testing.T) {
	labels := map[string]string{"alertname": "HighErrorRate", "env": "prod-eu", "code": "503",
		"msg": `upstream "payments" said: 50% \ fail`, "empty": ""}
	for _, tc := range []struct {
		sel  string
		want bool
	}{
		{`{alertname="HighErrorRate"}`, true},
		{`{alertname="HighErrorRat"}`, false},
		{`{env=~"prod"}`, false},                         // anchored: not a substring match
		{`{env=~"prod-.*"}`, true},                       //
		{`{env=~"rod-eu"}`, false},                       // anchored at the start too
		{`{env=~"prod-eu|staging"}`, true},               // alternation inside the anchor group
		{`{env=~"staging|prod-e"}`, false},               // ... and anchored for every branch
		{`{alertname=~".+",code!~"4.."}`, true},          //
		{`{alertname=~".+",code!~"5.."}`, false},         //
		{`{alertname=~".+",code!="503"}`, false},         //
		{`{alertname="HighErrorRate",missing=""}`, true}, // absent label is ""
		{`{alertname="HighErrorRate",missing!=""}`, false},
		{`{alertname="HighErrorRate",missing=~".*"}`, true},
		{`{alertname="HighErrorRate",missing=~".+"}`, false},
		{`{alertname="HighErrorRate",empty=""}`, true},
		{`{msg="upstream \"payments\" said: 50% \\ fail"}`, true},
		{`{msg=~"upstream \"payments\".*"}`, true},
		{`{alertname="HighErrorRate",alertname!="HighErrorRate"}`, false},
	} {
		if got := MustParse(tc.sel).Matches(labels); got != tc.want {
			t.Errorf("%s matches = %v, want %v", tc.sel, got, tc.want)
		}
	}
	if (Selector{}).Matches(labels) {
		t.Error("an empty selector must match nothing")
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	if _, err := New("a-b", Equal, "x"); err == nil {
		t.Error("bad label name accepted")
	}
	if _, err := New("a", "~", "x"); err == nil {
		t.Error("unknown operator accepted")
	}
	if m, err := New("a", Regex, "x+"); err != nil || !m.Matches("xx") || m.Matches("xxy") {
		t.Errorf("New regex: %v", err)
	}
}

// FuzzParse checks that Parse never panics and that a parsed selector is
// canonical: parse(String(s)) gives the same selector and the same text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{alertname="HighErrorRate",service="checkout",env=~"prod-.*",error_code!~"4.."}`,
		`{a="say \"hi\"\\now\n",}`, `a="1"`, `{}`, `{a=~"x)|(y"}`, `{msg="\u00e9\x41\t"}`, `{a!="",b=~".+"}`,
		`{ a = "1" , b != "2" , }`, `{a="1"`, "{a=\"\xff\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sel, err := Parse(in)
		if err != nil {
			if fe := fault.As(err); fe == nil || fe.Field != "signature" {
				t.Fatalf("Parse(%q) error %v does not name the signature", in, err)
			}
			return
		}
		text := sel.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok but Parse(String()=%q): %v", in, text, err)
		}
		if !again.Equal(sel) || again.String() != text {
			t.Fatalf("round trip: %q → %s → %s", in, text, again)
		}
		constrains := false
		for _, m := range sel {
			constrains = constrains || !m.MatchesEmpty()
		}
		if !constrains || sel.Matches(map[string]string{}) {
			t.Fatalf("%s accepted but matches an empty label set", text)
		}
	})
}

func TestLiteralMatcherAndJSON(t *testing.T) {
	lit := Selector{{Name: "code", Op: NotRegex, Value: "4.."}, {Name: "alertname", Op: Equal, Value: "A"}}
	if !lit.Matches(map[string]string{"alertname": "A", "code": "503"}) || lit.Matches(map[string]string{"alertname": "A", "code": "404"}) {
		t.Error("literal matchers without a compiled regexp misbehave")
	}
	if (Matcher{Name: "a", Op: NotRegex, Value: "("}).Matches("x") {
		t.Error("an invalid literal regexp must match nothing")
	}
	var doc struct {
		Sig Selector `json:"signature"`
	}
	if err := json.Unmarshal([]byte(`{"signature":"{ b=~\"x\", a=\"1\" }"}`), &doc); err != nil || doc.Sig.String() != `{a="1",b=~"x"}` {
		t.Fatalf("unmarshal: %v %v", doc.Sig, err)
	}
	out, _ := json.Marshal(doc)
	if string(out) != `{"signature":"{a=\"1\",b=~\"x\"}"}` {
		t.Fatalf("marshal: %s", out)
	}
	err := json.Unmarshal([]byte(`{"signature":"{}"}`), &doc)
	if fe := fault.As(err); fe == nil || fe.Field != "signature" {
		t.Fatalf("bad signature in JSON: %v", err)
	}
}
