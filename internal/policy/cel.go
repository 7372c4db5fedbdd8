package policy

import (
	"fmt"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
)

// RiskInputs are the variables of a risk rule's CEL expression.
type RiskInputs struct {
	// ProblemPriority is the highest priority (lowest number, 1–4) of the
	// problems the release resolves; 5 when it resolves none.
	ProblemPriority int `json:"problem_priority"`
	// CICriticality is the highest criticality (low … critical) of the release's CIs.
	CICriticality string `json:"ci_criticality"`
	EnvTier       string `json:"env_tier"`
	// ChangeType is standard, normal or emergency; "" without a change record.
	ChangeType string `json:"change_type"`
	// ReleaseSize is the number of component versions in the release.
	ReleaseSize int    `json:"release_size"`
	ReleaseType string `json:"release_type"`
}

// InputVariables are the variables a custom rule may use: the top-level keys
// of the gate input document (see docs/policy.md), plus risk_class and now.
// at and now are CEL timestamps; every other value is plain JSON data.
var InputVariables = []string{"release", "problems", "components", "catalogue", "open_problems", "cis",
	"environment", "live", "approvals", "revisions", "change", "path", "at", "authors", "risk_class", "now",
	"deployments", "firing_alerts", "open_incidents"}

var (
	envOnce           sync.Once
	riskEnv, inputEnv *cel.Env
	envErr            error
)

func envs() (*cel.Env, *cel.Env, error) {
	envOnce.Do(func() {
		riskEnv, envErr = cel.NewEnv(cel.CrossTypeNumericComparisons(true),
			cel.Variable("problem_priority", cel.IntType), cel.Variable("ci_criticality", cel.StringType),
			cel.Variable("env_tier", cel.StringType), cel.Variable("change_type", cel.StringType),
			cel.Variable("release_size", cel.IntType), cel.Variable("release_type", cel.StringType))
		if envErr != nil {
			return
		}
		opts := []cel.EnvOption{cel.CrossTypeNumericComparisons(true)}
		for _, v := range InputVariables {
			t := cel.DynType
			switch v {
			case "at", "now":
				t = cel.TimestampType
			case "risk_class":
				t = cel.StringType
			}
			opts = append(opts, cel.Variable(v, t))
		}
		inputEnv, envErr = cel.NewEnv(opts...)
	})
	return riskEnv, inputEnv, envErr
}

// program is a compiled CEL expression.
type program struct{ prg cel.Program }

// eval runs the program; the result must be a boolean. A panic inside CEL
// becomes an error: a rule that cannot be evaluated never passes.
func (p program) eval(vars map[string]any) (ok bool, err error) {
	if p.prg == nil {
		return false, fmt.Errorf("rule is not compiled")
	}
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("evaluation failed: %v", r)
		}
	}()
	out, _, err := p.prg.Eval(vars)
	if err != nil {
		return false, err
	}
	b, isBool := out.(types.Bool)
	if !isBool {
		return false, fmt.Errorf("the expression gave %s, not a boolean", out.Type().TypeName())
	}
	return bool(b), nil
}

// compileOne compiles expr in env; errors are located at path.
func compileOne(env *cel.Env, expr string, limit uint64, path string, idx index) (program, error) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		msg := strings.SplitN(iss.Err().Error(), "\n", 2)[0]
		msg = strings.TrimPrefix(msg, "ERROR: ")
		msg = strings.TrimPrefix(msg, "<input>:")
		return program{}, idx.locate(bad(path, "does not compile: %s", msg))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return program{}, idx.locate(bad(path, "must be a boolean expression, not %s", t))
	}
	prg, err := env.Program(ast, cel.CostLimit(limit))
	if err != nil {
		return program{}, idx.locate(bad(path, "does not compile: %v", err))
	}
	return program{prg: prg}, nil
}

// compile compiles every risk and custom rule; idx (may be nil) locates errors.
func (p *Policy) compile(idx index) error {
	re, ie, err := envs()
	if err != nil {
		return fmt.Errorf("policy: CEL environment: %w", err)
	}
	for i := range p.Risk.Rules {
		r := &p.Risk.Rules[i]
		if r.prg, err = compileOne(re, r.When, p.Gate.CostLimit, fmt.Sprintf("risk.rules[%d].when", i), idx); err != nil {
			return err
		}
	}
	for i := range p.Gate.Custom {
		c := &p.Gate.Custom[i]
		if c.prg, err = compileOne(ie, c.Expr, p.Gate.CostLimit, fmt.Sprintf("gate.custom[%d].expr", i), idx); err != nil {
			return err
		}
	}
	return p.compileTemplates(idx)
}

// Classify returns the risk class for in: the class of the first rule that
// holds, else risk.default; by names which ("risk.rules[2]" or "risk.default").
// A rule that cannot be evaluated is an error: no class is guessed.
func (p *Policy) Classify(in RiskInputs) (class, by string, err error) {
	vars := map[string]any{"problem_priority": in.ProblemPriority, "ci_criticality": in.CICriticality,
		"env_tier": in.EnvTier, "change_type": in.ChangeType, "release_size": in.ReleaseSize, "release_type": in.ReleaseType}
	for i, r := range p.Risk.Rules {
		ok, err := r.prg.eval(vars)
		if err != nil {
			return "", "", fmt.Errorf("risk.rules[%d] (%s): %v", i, r.When, err)
		}
		if ok {
			return r.Class, fmt.Sprintf("risk.rules[%d]", i), nil
		}
	}
	return p.Risk.Default, "risk.default", nil
}

// Holds evaluates the custom rule over vars (every name of InputVariables).
// An error (division by zero, missing key, cost limit) means the rule could
// not be decided.
func (c *CustomRule) Holds(vars map[string]any) (bool, error) { return c.prg.eval(vars) }
