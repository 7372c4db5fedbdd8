package prom

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"fixgate/internal/policy"
)

// placeholder is policy's {{name}} syntax (see policy.Placeholders).
var placeholder = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// escaper escapes a value for use inside a PromQL double-quoted string.
var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)

// Render substitutes each {{name}} placeholder of query (version,
// previous_version, env, ci, stage: policy.QueryVariables) with vars[name],
// escaped for a PromQL double-quoted string (backslash, double quote and
// line breaks), so a placeholder belongs inside "…": `{env="{{env}}"}`. A
// placeholder that is not one of policy.QueryVariables, or that vars gives
// no value for, is an error naming it; an empty value is a value (a first
// deployment has previous_version "").
func Render(query string, vars map[string]string) (string, error) {
	var err error
	out := placeholder.ReplaceAllStringFunc(query, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		switch {
		case err != nil:
		case !slices.Contains(policy.QueryVariables, name):
			err = fmt.Errorf("query uses unknown variable {{%s}}; the variables are {{%s}}", name, strings.Join(policy.QueryVariables, "}}, {{"))
		case !ok:
			err = fmt.Errorf("query uses {{%s}}, which has no value for this deployment", name)
		}
		return escaper.Replace(v)
	})
	if err != nil {
		return "", err
	}
	return out, nil
}
