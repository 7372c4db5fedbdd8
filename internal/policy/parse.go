package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"fixgate/internal/fault"
)

// MaxSize bounds a policy file.
const MaxSize = 1 << 20

// Parse reads a policy file (YAML). Keys the file leaves out keep the
// built-in values of Default; lists and the named sets change_models,
// retention_classes, gate.custom, paths, drivers and environments replace the
// built-in ones when present; observation_periods and approvals override per
// key; analysis_templates adds to the built-in templates recurrence and
// incidents, which a file keeps unless it redefines them. An invalid file —
// unknown key, wrong type, bad value, CEL expression that does not compile —
// is refused with an Invalid error on field "policy" whose message starts
// with the line: "line 12: gate.rules.open_problems.min_priority: must be 1..4".
func Parse(data []byte) (*Policy, error) {
	if len(data) > MaxSize {
		return nil, fault.Field("policy", "the file is larger than %d bytes", MaxSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fault.Field("policy", "line 1: the file is empty")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fault.Field("policy", "%s", yamlMessage(err, nil))
	}
	idx := index{}
	if err := idx.walk(&root, ""); err != nil {
		return nil, err
	}
	p := Default()
	models, retention := p.ChangeModels, p.RetentionClasses
	p.ChangeModels, p.RetentionClasses, p.Gate.Custom = nil, nil, nil
	if _, own := idx["retention_classes"]; own {
		p.Retention = RetentionRules{} // the built-in rules name built-in classes
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		return nil, fault.Field("policy", "%s", yamlMessage(err, idx))
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, fault.Field("policy", "line %d: only one YAML document is allowed", max(next.Line, 1))
	}
	if p.ChangeModels == nil {
		p.ChangeModels = models
	}
	if p.RetentionClasses == nil {
		p.RetentionClasses = retention
	}
	if p.Gate.Custom == nil {
		p.Gate.Custom = []CustomRule{}
	}
	if err := p.validate(); err != nil {
		return nil, idx.locate(err)
	}
	if err := p.compile(idx); err != nil {
		return nil, err
	}
	return p, nil
}

// lineError is an error that knows its line (from a field's UnmarshalYAML).
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// pathError is a validation error on a dotted path ("approvals.high[0].role").
type pathError struct{ path, msg string }

func (e *pathError) Error() string { return e.path + ": " + e.msg }

func bad(path, format string, args ...any) error {
	return &pathError{path: path, msg: fmt.Sprintf(format, args...)}
}

// index maps each dotted key path of the file to its line.
type index map[string]int

func (ix index) walk(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := ix.walk(c, path); err != nil {
				return err
			}
		}
		if len(n.Content) == 1 && n.Content[0].Kind != yaml.MappingNode {
			return fault.Field("policy", "line %d: the file must be a mapping of keys (version, risk, gate …)", n.Content[0].Line)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			ix[p] = k.Line
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return fault.Field("policy", "line %d: %s: has no value (remove the key to keep the built-in value)", k.Line, p)
			}
			if err := ix.walk(v, p); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			ix[p] = c.Line
			if err := ix.walk(c, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// line returns the line of path or of its nearest ancestor in the file, 0 if none.
func (ix index) line(path string) int {
	for path != "" {
		if l, ok := ix[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// locate turns a pathError into the "line N: path: reason" fault.
func (ix index) locate(err error) error {
	var pe *pathError
	if !errors.As(err, &pe) {
		return err
	}
	if l := ix.line(pe.path); l > 0 {
		return fault.Field("policy", "line %d: %s: %s", l, pe.path, pe.msg)
	}
	return fault.Field("policy", "%s: %s", pe.path, pe.msg)
}

// pathsAt returns the key paths that sit on line, sorted.
func (ix index) pathsAt(line int) []string {
	var out []string
	for p, l := range ix {
		if l == line {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

var (
	unknownKey = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)
	badType    = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+) `?(.*?)`? into (.+)$")
	wantType   = map[string]string{"int": "a whole number", "uint64": "a whole number", "bool": "true or false",
		"string": "a string", "[]string": "a list of strings"}
)

// yamlMessage rewrites yaml.v3's errors into "line N: path: reason" lines.
func yamlMessage(err error, ix index) string {
	var le *lineError
	if errors.As(err, &le) {
		if ps := ix.pathsAt(le.line); len(ps) > 0 {
			return fmt.Sprintf("line %d: %s: %s", le.line, ps[len(ps)-1], le.msg)
		}
		return le.Error()
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		msgs = append(msgs, typeMessage(e, ix))
	}
	return strings.Join(msgs, "; ")
}

func typeMessage(e string, ix index) string {
	if m := unknownKey.FindStringSubmatch(e); m != nil {
		line, _ := strconv.Atoi(m[1])
		for _, p := range ix.pathsAt(line) {
			if p == m[2] || strings.HasSuffix(p, "."+m[2]) {
				return fmt.Sprintf("line %d: %s: unknown key", line, p)
			}
		}
		return fmt.Sprintf("line %d: %s: unknown key", line, m[2])
	}
	if m := badType.FindStringSubmatch(e); m != nil {
		line, _ := strconv.Atoi(m[1])
		want, ok := wantType[m[4]]
		if !ok {
			want = strings.TrimPrefix(strings.TrimPrefix(m[4], "policy."), "map[")
			want = "a " + strings.ToLower(want)
		}
		what := m[3]
		if m[2] == "!!seq" || m[2] == "!!map" {
			what = map[string]string{"!!seq": "a list", "!!map": "a mapping"}[m[2]]
		} else {
			what = strconv.Quote(what)
		}
		where := ""
		if ps := ix.pathsAt(line); len(ps) > 0 {
			where = ps[len(ps)-1] + ": "
		}
		return fmt.Sprintf("line %d: %swant %s, got %s", line, where, want, what)
	}
	return e
}
