package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

func init() { recordCommands = append(recordCommands, newPolicyCmd) }

// newPolicyCmd groups the policy commands: check and test need no server;
// show and apply read and replace the server's policy.
func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Policy file: check and test it offline, show or apply it on the server"}
	cmd.AddCommand(policyCheckCmd(a), policyTestCmd(a), policyShowCmd(a), policyApplyCmd(a))
	return cmd
}

// readPolicy reads and parses a policy file; errors are faults (exit 2).
func readPolicy(path string) (*policy.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Field("FILE", "cannot read %s: %v", path, err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		fe := fault.As(err)
		return nil, fault.Field(path, "%s", fe.Message)
	}
	return p, nil
}

func policyCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "check FILE", Short: "Validate a policy file (exit 0 valid, 2 invalid with the line and the reason)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := readPolicy(args[0])
			if err != nil {
				return err
			}
			summary := map[string]any{"file": args[0], "valid": true, "version": p.Version, "hash": p.Hash(),
				"risk_rules": len(p.Risk.Rules), "custom_rules": len(p.Gate.Custom), "change_models": len(p.ChangeModels)}
			if a.output == "json" {
				return a.policyJSON(summary)
			}
			fmt.Fprintf(a.out, "%s: valid (version %d, %s; %d risk rules, %d custom rules, %d change models)\n",
				args[0], p.Version, p.Hash(), len(p.Risk.Rules), len(p.Gate.Custom), len(p.ChangeModels))
			return nil
		}}
}

func policyTestCmd(a *app) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{Use: "test FILE CASES", Short: "Run recorded gate inputs against a policy (exit 0 all pass, 1 a case fails, 2 invalid files)",
		Long: "CASES is a YAML or JSON file {cases: [{name, input, now, expect, expect_rules}]}; see docs/policy.md.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := readPolicy(args[0])
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[1])
			if err != nil {
				return fault.Field("CASES", "cannot read %s: %v", args[1], err)
			}
			cases, err := gate.ParseCases(data)
			if err != nil {
				return fault.Field(args[1], "%s", fault.As(err).Message)
			}
			results := gate.RunCases(p, cases)
			failed := 0
			for _, r := range results {
				if !r.Pass {
					failed++
				}
			}
			if err := a.printCases(p, results, failed, verbose); err != nil {
				return err
			}
			if failed > 0 {
				return negative{msg: fmt.Sprintf("%d of %d cases failed", failed, len(results))}
			}
			return nil
		}}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every rule of every verdict")
	return cmd
}

func (a *app) printCases(p *policy.Policy, results []gate.CaseResult, failed int, verbose bool) error {
	if a.output == "json" {
		return a.policyJSON(map[string]any{"policy_version": p.Version, "policy_hash": p.Hash(),
			"passed": len(results) - failed, "failed": failed, "cases": results})
	}
	for _, r := range results {
		mark := "PASS"
		if !r.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(a.out, "%s  %s (%s)\n", mark, r.Name, r.Verdict.Decision)
		for _, m := range r.Mismatches {
			fmt.Fprintf(a.out, "      %s\n", m)
		}
		if verbose {
			for _, l := range r.Verdict.Rules {
				fmt.Fprintf(a.out, "      %-5s %s: %s %s\n", l.Result, l.Rule, l.Reason, strings.Join(l.Records, ","))
			}
		}
	}
	fmt.Fprintf(a.out, "%d of %d cases passed\n", len(results)-failed, len(results))
	return nil
}

func (a *app) policyJSON(v any) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
