package store

import (
	"context"
	"strconv"

	"fixgate/internal/problem"
)

// ProblemFilter selects problems for ListProblems; zero fields do not filter.
type ProblemFilter struct {
	Status   string
	Priority int
	CI       string
	Env      string
	Page
}

// ProblemScan bounds the problems one page reads when it combines filters
// that each select more than ProblemScan problems past the cursor (see
// ListProblemsPage).
var ProblemScan = 2000 // a variable for tests

// problemProbe is the first bound a combination's filters are counted to
// before ProblemScan: a filter selecting fewer drives without the second
// count, so a rare filter costs the same on any history.
var problemProbe = 64

// ProblemPage is one page of problems.
type ProblemPage struct {
	Items []problem.Problem
	// Next is the cursor of the following page (Page.After), 0 when there
	// is none.
	Next int64
	// Driver is the filter whose index the page read ("status",
	// "priority", "ci" or "env"; "" without filters).
	Driver string
	// Bounded is set when the page stopped after reading ProblemScan
	// problems of its Driver filter past the cursor, up to problem Next,
	// with fewer than Limit of them matching the other filters: Next reads
	// on from there.
	Bounded bool
}

// problemIndex is where a filter's index in id order lives: the table
// (problems, or a link table keyed by problem_id), the filtered column and
// the key. Indexes: problems_status, problems_priority,
// problem_cis_ci_problem, problem_envs_env_problem.
type problemIndex struct{ table, col, key string }

var problemIndexes = map[string]problemIndex{
	"status":   {"problems", "status", "id"},
	"priority": {"problems", "priority", "id"},
	"ci":       {"problem_cis", "ci", "problem_id"},
	"env":      {"problem_envs", "env", "problem_id"},
}

// problemCond is one filter of a page: its name (a key of problemIndexes)
// and value.
type problemCond struct {
	name string
	val  any
}

func problemConds(f ProblemFilter) []problemCond {
	var conds []problemCond
	if f.Status != "" {
		conds = append(conds, problemCond{"status", f.Status})
	}
	if f.Priority != 0 {
		conds = append(conds, problemCond{"priority", f.Priority})
	}
	if f.CI != "" {
		conds = append(conds, problemCond{"ci", f.CI})
	}
	if f.Env != "" {
		conds = append(conds, problemCond{"env", f.Env})
	}
	return conds
}

// ListProblems returns the problems f selects in id order after f.After,
// at most f.Limit: all of them (it reads on past ListProblemsPage's bounded
// pages, so a rare combination of filters may read many).
func (s *Store) ListProblems(ctx context.Context, f ProblemFilter) ([]problem.Problem, error) {
	f.Page = f.Page.Norm()
	out := []problem.Problem{}
	for {
		p, err := s.ListProblemsPage(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if !p.Bounded {
			return out, nil
		}
		f.After, f.Limit = p.Next, f.Limit-len(p.Items)
	}
}

// ListProblemsPage returns problems f selects in id order after f.After,
// at most f.Limit. Each filter has an index in id order (problemIndexes);
// one filter reads at most Limit entries of it past the cursor. With
// several, each is counted past the cursor through its own index, up to
// problemProbe and then ProblemScan (one query per round); the one
// selecting fewest, fewer than the bound, drives the page through its
// index and the others are checked on its rows: exact, at most ProblemScan
// problems read. When every filter selects more, the one whose
// ProblemScan-th problem has the highest id (its ProblemScan problems
// reach furthest) drives, and the page reads its problems up to that one
// only: it may end with fewer than Limit (Bounded) and Next goes on from
// there. On SQLite, which has no statistics to choose an index by, "+col"
// keeps it off the other filters' indexes.
func (s *Store) ListProblemsPage(ctx context.Context, f ProblemFilter) (ProblemPage, error) {
	f.Page = f.Page.Norm()
	conds := problemConds(f)
	drive, cut := 0, int64(0)
	if len(conds) > 1 {
		var err error
		if drive, cut, err = s.problemDriver(ctx, f.After, conds); err != nil {
			return ProblemPage{}, errf(err, "list problems")
		}
	}
	items, last, err := s.problemRows(ctx, conds, drive, f.After, cut, f.Limit)
	if err != nil {
		return ProblemPage{}, errf(err, "list problems")
	}
	page := ProblemPage{Items: items}
	if len(conds) > 0 {
		page.Driver = conds[drive].name
	}
	switch {
	case len(items) == f.Limit:
		page.Next = last
	case cut > 0:
		page.Next, page.Bounded = cut, true
	}
	return page, nil
}

// problemRows reads the page: conds[drive] through its index (a join for
// a link table), the others checked on each of its rows, keys in
// (after, cut] (cut 0: no upper bound); last is the last one's id.
func (s *Store) problemRows(ctx context.Context, conds []problemCond, drive int, after, cut int64, limit int) (out []problem.Problem, last int64, err error) {
	var w filter
	from, key := "", "id"
	for i, c := range conds {
		ix := problemIndexes[c.name] // table and col are problemIndexes' literals
		switch {
		case i == drive && ix.table != "problems":
			from, key = ` JOIN `+ix.table+` d ON d.problem_id = id`, "d.problem_id"
			w.add("d."+ix.col+" = ?", c.val)
		case ix.table == "problems":
			col := ix.col
			if i != drive && s.dialect == SQLite {
				col = "+" + col
			}
			w.add(col+" = ?", c.val)
		default: // per row, through the link table's primary key (problem_id, col)
			w.add(`EXISTS (SELECT 1 FROM `+ix.table+` x WHERE x.problem_id = problems.id AND x.`+ix.col+` = ?)`, c.val)
		}
	}
	w.add(key+" > ?", after)
	if cut > 0 {
		w.add(key+" <= ?", cut)
	}
	if key != "id" { // the same range on problems.id: PostgreSQL merge-joins the link table with another
		// filter's index (problems_status), which read from its start up to the cursor without it
		w.add("id > ?", after)
		if cut > 0 {
			w.add("id <= ?", cut)
		}
	}
	rows, err := s.db.QueryContext(ctx, problemSelect+from+w.where()+` ORDER BY `+key+` LIMIT `+w.next(limit), w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = []problem.Problem{}
	for rows.Next() {
		p, id, err := scanProblem(rows)
		if err != nil {
			return nil, 0, err
		}
		out, last = append(out, p), id
	}
	return out, last, rows.Err()
}

// problemDriver counts each of conds past after through its own index, up
// to problemProbe then ProblemScan, and returns the filter selecting
// fewest when it is under the bound (cut 0: the page is exact); else the
// filter whose ProblemScan-th problem has the highest id, with that id as
// cut.
func (s *Store) problemDriver(ctx context.Context, after int64, conds []problemCond) (drive int, cut int64, err error) {
	bounds := []int{ProblemScan}
	if problemProbe < ProblemScan {
		bounds = []int{problemProbe, ProblemScan}
	}
	for _, bound := range bounds {
		counts, lasts, err := s.problemCounts(ctx, after, conds, bound)
		if err != nil {
			return 0, 0, err
		}
		fewest := -1
		for i := range conds {
			if counts[i] < int64(bound) && (fewest < 0 || counts[i] < counts[fewest]) {
				fewest = i
			}
		}
		if fewest >= 0 {
			return fewest, 0, nil
		}
		if bound == ProblemScan { // every filter selects ProblemScan or more
			for i := range conds {
				if lasts[i] > cut {
					drive, cut = i, lasts[i]
				}
			}
		}
	}
	return drive, cut, nil
}

// problemCounts returns, for each of conds, how many problems past after
// it selects up to bound, and the key of the last of them (its index
// alone, in one query).
func (s *Store) problemCounts(ctx context.Context, after int64, conds []problemCond, bound int) (counts, lasts []int64, err error) {
	var w filter
	q := ""
	for i, c := range conds {
		ix := problemIndexes[c.name]
		if i > 0 {
			q += ` UNION ALL `
		}
		q += `SELECT ` + strconv.Itoa(i) + `, COUNT(*), COALESCE(MAX(k), 0) FROM (SELECT ` + ix.key + ` AS k FROM ` + ix.table +
			` WHERE ` + ix.col + ` = ` + w.next(c.val) + ` AND ` + ix.key + ` > ` + w.next(after) +
			` ORDER BY ` + ix.key + ` LIMIT ` + w.next(bound) + `) c` + strconv.Itoa(i)
	}
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	counts, lasts = make([]int64, len(conds)), make([]int64, len(conds))
	for rows.Next() {
		var i int
		var n, last int64
		if err := rows.Scan(&i, &n, &last); err != nil {
			return nil, nil, err
		}
		counts[i], lasts[i] = n, last
	}
	return counts, lasts, rows.Err()
}
