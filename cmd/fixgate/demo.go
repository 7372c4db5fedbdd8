package main

import (
	"github.com/spf13/cobra"
)

func newDemoCmd() *cobra.Command {
	return &cobra.Command{Use: "demo", Short: "Run the server with demo data", RunE: func(cmd *cobra.Command, args []string) error { return nil }}
}
