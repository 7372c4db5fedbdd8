package release

import (
	"slices"
	"strconv"
	"strings"

	"fixgate/internal/ident"
)

// Commit is one commit of a walked git range as the notes show it.
type Commit struct {
	Hash     string   `json:"hash"`
	Subject  string   `json:"subject"`
	Author   string   `json:"author"`
	Problems []string `json:"problems"` // the problem ids its message names (CommitProblems)
}

// CodeChanges are the commits of a git range grouped by the problems they name.
type CodeChanges struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Commits int    `json:"commits"`
	// Problems lists each problem named by a commit, in id order, with its
	// commits in walk order; Claimed says whether the release resolves it.
	Problems []ProblemCommits `json:"problems"`
	// Unlinked are the commits that name no problem: a sign the release is
	// not a pure fix.
	Unlinked []Commit `json:"unlinked"`
	// Unnamed are the problems the release claims to resolve that no commit names.
	Unnamed []string `json:"unnamed"`
}

// ProblemCommits are the commits that name one problem.
type ProblemCommits struct {
	Problem string   `json:"problem"`
	Claimed bool     `json:"claimed"`
	Commits []Commit `json:"commits"`
}

// trailerKeys are the trailers whose values name problems (case-insensitive).
var trailerKeys = []string{"fixes", "refs", "resolves"}

// CommitProblems returns the problem ids (PRB-n, normalised, sorted by
// number, unique) a commit message names: anywhere in its subject (first
// line), and in the values of its Fixes:, Refs: and Resolves: trailer
// lines. Other mentions in the body do not count. It never fails: text
// that is not a valid id is ignored.
func CommitProblems(message string) []string {
	subject, body, _ := strings.Cut(message, "\n")
	ids := problemIDs(subject, nil)
	for _, line := range strings.Split(body, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && slices.Contains(trailerKeys, strings.ToLower(strings.TrimSpace(key))) {
			ids = problemIDs(value, ids)
		}
	}
	slices.SortFunc(ids, compareIDs)
	return slices.Compact(ids)
}

// problemIDs appends to out every PRB-n token of s: "PRB-" in any case,
// not preceded by a letter, digit, '-' or '_', followed by digits that are
// not followed by one.
func problemIDs(s string, out []string) []string {
	for i := 0; i+4 <= len(s); i++ {
		if !strings.EqualFold(s[i:i+4], "PRB-") || i > 0 && wordByte(s[i-1]) {
			continue
		}
		j := i + 4
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+4 || j < len(s) && wordByte(s[j]) {
			continue
		}
		if n, err := ident.Problem.Parse("commit", s[i:j]); err == nil {
			out = append(out, ident.Problem.Format(n))
		}
		i = j - 1
	}
	return out
}

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-'
}

// GroupCommits groups commits (in walk order, Problems set) by the
// problems they name, against the problems the release resolves.
func GroupCommits(from, to string, resolves []string, commits []Commit) *CodeChanges {
	c := &CodeChanges{From: from, To: to, Commits: len(commits), Problems: []ProblemCommits{}, Unlinked: []Commit{}, Unnamed: []string{}}
	byProblem := map[string][]Commit{}
	for _, cm := range commits {
		if cm.Problems == nil {
			cm.Problems = []string{}
		}
		if len(cm.Problems) == 0 {
			c.Unlinked = append(c.Unlinked, cm)
		}
		for _, p := range cm.Problems {
			byProblem[p] = append(byProblem[p], cm)
		}
	}
	ids := make([]string, 0, len(byProblem))
	for p := range byProblem {
		ids = append(ids, p)
	}
	slices.SortFunc(ids, compareIDs)
	for _, p := range ids {
		c.Problems = append(c.Problems, ProblemCommits{Problem: p, Claimed: slices.Contains(resolves, p), Commits: byProblem[p]})
	}
	for _, p := range sortedBy(resolves, func(s string) string { return s }) {
		if _, ok := byProblem[p]; !ok {
			c.Unnamed = append(c.Unnamed, p)
		}
	}
	return c
}

// WithCode adds the walked range to n, with its highlights: commits that
// name no problem, and claimed problems no commit names.
func (n Notes) WithCode(c *CodeChanges) Notes {
	n.Code = c
	n.Highlights = slices.Clone(n.Highlights)
	if k := len(c.Unlinked); k > 0 {
		n.Highlights = append(n.Highlights, plural(k, "commit names", "commits name")+" no problem: the release is not a pure fix")
	}
	if len(c.Unnamed) > 0 {
		n.Highlights = append(n.Highlights, "No commit names "+strings.Join(c.Unnamed, ", "))
	}
	return n
}

func plural(k int, one, many string) string {
	if k == 1 {
		return "1 " + one
	}
	return strconv.Itoa(k) + " " + many
}
