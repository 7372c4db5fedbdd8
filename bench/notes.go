package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"fixgate/internal/audit"
	"fixgate/internal/gitrange"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

const (
	notesProblems = 200
	notesCommits  = 10_000
	notesRuns     = 10
)

// benchNotes measures the notes of a release resolving 200 problems over
// a 10,000-commit range of a synthetic on-disk repository (go-git): the
// whole `release notes --repo` path (store facts, range walk, grouping,
// Markdown), the range walk alone (gitrange.Walk) and the baseline, a
// plain go-git log walk of the same range reading each message.
func benchNotes(ctx context.Context, c config) error {
	fmt.Printf("\n[notes] %d problems, %d-commit range (loose objects on disk), %d runs; %s\n", notesProblems, notesCommits, notesRuns, dbLabel(c.db))
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return err
	}
	defer done()
	relID, resolves, err := notesLoad(ctx, st)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "fixgate-bench-notes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	base, err := notesRepo(dir)
	if err != nil {
		return err
	}
	fmt.Printf("  repository built in %s (load average %s)\n", time.Since(t0).Round(time.Millisecond), loadAvg())
	var full, walk, plain []time.Duration
	var grouped *release.CodeChanges
	for range notesRuns {
		t0 = time.Now()
		n, err := st.ReleaseNotes(ctx, relID)
		if err != nil {
			return err
		}
		commits, err := gitrange.Walk(dir, "v0", "HEAD")
		if err != nil {
			return err
		}
		grouped = release.GroupCommits("v0", "HEAD", resolves, commits)
		_ = n.WithCode(grouped).Markdown()
		full = append(full, time.Since(t0))
		t0 = time.Now()
		if _, err := gitrange.Walk(dir, "v0", "HEAD"); err != nil {
			return err
		}
		walk = append(walk, time.Since(t0))
		t0 = time.Now()
		if k, err := plainLog(dir, base); err != nil || k != notesCommits {
			return fmt.Errorf("plain log walked %d commits: %v", k, err)
		}
		plain = append(plain, time.Since(t0))
	}
	fmt.Printf("  %d commits: %d problems named, %d commits name none, %d claimed problems named by none\n",
		grouped.Commits, len(grouped.Problems), len(grouped.Unlinked), len(grouped.Unnamed))
	b50 := percentile(plain, 0.5)
	for _, x := range []struct {
		what string
		d    []time.Duration
	}{{"notes with the range (facts+walk+md)", full}, {"range walk (gitrange.Walk)", walk}, {"baseline: plain go-git log walk", plain}} {
		p50 := percentile(x.d, 0.5)
		fmt.Printf("  %-40s p50 %-10s p99 %-10s ratio to log %.2f\n", x.what, p50.Round(time.Microsecond),
			percentile(x.d, 0.99).Round(time.Microsecond), float64(p50)/float64(b50))
	}
	fmt.Printf("  load average %s\n", loadAvg())
	return nil
}

// notesLoad stores 200 problems and a problem-fix release resolving them.
func notesLoad(ctx context.Context, st *store.Store) (int64, []string, error) {
	a := audit.System("bench")
	ps := make([]problem.Problem, notesProblems)
	resolves := make([]string, notesProblems)
	for i := range ps {
		ps[i] = problem.Problem{Title: fmt.Sprintf("bench problem %d", i+1), Priority: 1 + i%4}
		resolves[i] = ident.Problem.Format(int64(i + 1))
	}
	if _, err := st.CreateProblems(ctx, a, ps); err != nil {
		return 0, nil, err
	}
	r, err := st.CreateRelease(ctx, a, release.Release{Version: "2.0.1", Type: release.ProblemFix, Resolves: resolves})
	if err != nil {
		return 0, nil, err
	}
	id, err := ident.Release.Parse("id", r.ID)
	return id, resolves, err
}

// notesRepo writes a base commit tagged v0 and 10,000 commits on it as
// loose objects: 6 in 10 name a problem in a Fixes: trailer, 3 in 10 in the
// subject, 1 in 10 none; every 50th is a merge of a one-commit side branch.
func notesRepo(dir string) (plumbing.Hash, error) {
	r, err := git.PlainInit(dir, false)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	st := r.Storer
	treeHash, err := put(st, &object.Tree{})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	commit := func(msg string, parents ...plumbing.Hash) (plumbing.Hash, error) {
		when = when.Add(time.Minute)
		sig := object.Signature{Name: "dev", Email: "dev@example.org", When: when}
		return put(st, &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: treeHash, ParentHashes: parents})
	}
	base, err := commit("base")
	if err != nil {
		return base, err
	}
	head, side := base, plumbing.ZeroHash
	for i := 1; i <= notesCommits; i++ {
		prb := i%notesProblems + 1
		var msg string
		switch i % 10 {
		case 0:
			msg = fmt.Sprintf("Refactor module %d\n\nNo problem here.", i)
		case 1, 2, 3:
			msg = fmt.Sprintf("PRB-%d: adjust timeout %d", prb, i)
		default:
			msg = fmt.Sprintf("Change %d\n\nLonger body of the change.\n\nFixes: PRB-%d\nSigned-off-by: dev <dev@example.org>", i, prb)
		}
		switch {
		case i%50 == 1:
			side, err = commit(msg, head) // a side branch of one commit
		case i%50 == 2:
			head, err = commit(msg, head, side) // merged into the main line
		default:
			head, err = commit(msg, head)
		}
		if err != nil {
			return base, err
		}
	}
	if err := st.SetReference(plumbing.NewHashReference("refs/heads/master", head)); err != nil {
		return base, err
	}
	return base, st.SetReference(plumbing.NewHashReference("refs/tags/v0", base))
}

func put(st storer.EncodedObjectStorer, o interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	obj := st.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

// plainLog is the baseline: open the repository and git log from HEAD,
// reading each commit's message, over the range and base (the whole
// history: go-git's log cannot stop at base without missing merged side
// commits). Returns the range commits seen.
func plainLog(dir string, base plumbing.Hash) (int, error) {
	r, err := git.PlainOpen(dir)
	if err != nil {
		return 0, err
	}
	head, err := r.Head()
	if err != nil {
		return 0, err
	}
	iter, err := r.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		return 0, err
	}
	n, chars := 0, 0 // chars: the messages are read, as the range walk reads them
	err = iter.ForEach(func(c *object.Commit) error {
		if c.Hash != base {
			n++
		}
		chars += len(c.Message)
		return nil
	})
	return n, err
}
