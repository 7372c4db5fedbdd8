package main

import "github.com/spf13/cobra"

// Temporary, branch govern only: registers `fixgate report controls` under
// a bare `report` command so it runs before the merge. At merge the lead
// adds newReportControlsCmd to the real `report` command and deletes this file.
func init() {
	recordCommands = append(recordCommands, func(a *app) *cobra.Command {
		cmd := &cobra.Command{Use: "report", Short: "Reports: governance control assessments"}
		cmd.AddCommand(newReportControlsCmd(a))
		return cmd
	})
}
