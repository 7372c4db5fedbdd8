package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	docInline = regexp.MustCompile("`[^`]*`")
	// a command starts a line (maybe after "- ", "run: " or "sh '") or follows && ; | or $(
	docCommand = regexp.MustCompile(`(?:^\s*(?:- |run: |sh ['"])?|&& |; |\| |\$\()(?:\./)?fixgate((?: [a-z][a-z0-9-]*)+)`)
	docComment = regexp.MustCompile(`\s#.*$`)
)

// TestDocCommandsExist: every "fixgate WORD …" in the README's and docs'
// code (fenced or indented blocks, inline code) names a command that exists,
// so no page claims a command the CLI does not have.
func TestDocCommandsExist(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	root := newRoot()
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			code := docInline.FindAllString(line, -1)
			if fenced || strings.HasPrefix(line, "    ") {
				code = []string{line}
			}
			for _, c := range code {
				for _, m := range docCommand.FindAllStringSubmatch(docComment.ReplaceAllString(strings.Trim(c, "`"), ""), -1) {
					seen++
					words := strings.Fields(m[1])
					cmd, rest, err := root.Find(words)
					if err != nil || cmd == root {
						t.Errorf("%s:%d: fixgate%s: %v", f, i+1, m[1], err)
					} else if len(cmd.Commands()) > 0 && len(rest) > 0 {
						t.Errorf("%s:%d: fixgate%s: %q is not a subcommand of %q", f, i+1, m[1], rest[0], cmd.CommandPath())
					}
				}
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d commands in the docs: the scan is broken", seen)
	}
}
