package store

import (
	"database/sql"

	"fixgate/internal/ident"
	"fixgate/internal/problem"
)

// resolvingReleases reads, for each problem the release resolves that is
// resolved or closed, the release of its latest resolution (NULL for a
// hand resolution: a deviation) into g.fixedBy, for gate rule 2
// (problems[].resolved_by_release). One indexed lookup per such problem
// (problem_resolutions(problem_id, id)); none for problems in progress.
func (g *gatherer) resolvingReleases() []readStmt {
	g.fixedBy = map[string]string{}
	var out []readStmt
	for _, p := range g.problems {
		if p.Status != problem.Resolved && p.Status != problem.Closed {
			continue
		}
		n, err := ident.Problem.Parse("problem", p.ID)
		if err != nil {
			continue
		}
		out = append(out, readStmt{`SELECT release_id FROM problem_resolutions WHERE problem_id = $1 ORDER BY id DESC LIMIT 1`,
			[]any{n}, func(sc rowScanner) error {
				var rel sql.NullInt64
				err := sc.Scan(&rel)
				if rel.Valid {
					g.fixedBy[p.ID] = ident.Release.Format(rel.Int64)
				}
				return err
			}})
	}
	return out
}
