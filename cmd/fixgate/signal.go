package main

import (
	"github.com/spf13/cobra"
)

func init() { recordCommands = append(recordCommands, newSignalCmd) }

var signalCols = []string{"id", "status", "labels.alertname", "fingerprint", "env", "ci", "incident", "problem", "signature", "decision", "received_at"}

func newSignalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "signal", Short: "Received signals (Alertmanager alerts): their incident, problem, signature and decision"}
	cmd.AddCommand(listCmd(a, "List received signals, oldest first (filters: --problem PRB-n, --fingerprint HEX); "+
		"--output json adds labels and the attributed deployments", "/api/v1/signals", []string{"problem", "fingerprint"}, signalCols))
	return cmd
}
