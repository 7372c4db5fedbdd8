package store

import (
	"context"
	"strings"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// Set-based bulk inserts of CreateProblems and CreateReleases on
// PostgreSQL, where every statement is a round trip (3 to 5 per record
// before): the ids are taken first (newIDs), then one INSERT per table
// writes the records and their links, the rows travelling as one JSON array
// parameter (json_to_recordset). SQLite keeps its per-row prepared
// statements (modernc binds many $N parameters in quadratic time).

// newIDs takes n new ids from table's identity in one statement
// (PostgreSQL), so a batch can name its records before it writes them.
// table is one of the constant names below, never input.
func (tx *Tx) newIDs(ctx context.Context, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	rows, err := tx.query(ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::int)`, table, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// link is one row of a link table (problem_cis, release_problems, …).
type link struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
	Ref  int64  `json:"ref,omitempty"`
}

// insertProblemsSet is CreateProblems' transaction on PostgreSQL: the same
// checks, records, links and audit events as insertProblem for each entry.
func (tx *Tx) insertProblemsSet(ctx context.Context, ps []problem.Problem) error {
	for i := range ps {
		p := &ps[i]
		if err := tx.requireNames(ctx, "cis", "cis", p.CIs); err != nil {
			return fault.In("problems", i, err)
		}
		if err := tx.requireNames(ctx, "environments", "environments", p.Environments); err != nil {
			return fault.In("problems", i, err)
		}
	}
	ids, err := tx.newIDs(ctx, "problems", len(ps))
	if err != nil {
		return err
	}
	type rec struct {
		ID          int64  `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Status      string `json:"status"`
		Priority    int    `json:"priority"`
		Owner       string `json:"owner"`
		Workaround  string `json:"workaround"`
		CIs         string `json:"cis_list"`
		Envs        string `json:"envs_list"`
	}
	recs := make([]rec, len(ps))
	var cis, envs []link
	for i := range ps {
		p := &ps[i]
		p.Status, p.Revision, p.RecurrenceCount = problem.New, 1, 0
		p.CreatedBy, p.CreatedAt, p.UpdatedAt = tx.actor.User, tx.now, tx.now
		p.ID = ident.Problem.Format(ids[i])
		recs[i] = rec{ids[i], p.Title, p.Description, p.Status, p.Priority, p.Owner, p.Workaround, joinList(p.CIs), joinList(p.Environments)}
		for _, c := range p.CIs {
			cis = append(cis, link{ID: ids[i], Name: c})
		}
		for _, e := range p.Environments {
			envs = append(envs, link{ID: ids[i], Name: e})
		}
	}
	if _, err := tx.exec(ctx, `INSERT INTO problems (id, title, description, status, priority, owner, workaround, rev,
			created_by, created_at, updated_at, cis_list, envs_list)
		SELECT r.id, r.title, r.description, r.status, r.priority, r.owner, r.workaround, 1, $2, $3::timestamptz, $3::timestamptz,
			r.cis_list, r.envs_list
		FROM json_to_recordset($1::json) AS r(id bigint, title text, description text, status text, priority int, owner text,
			workaround text, cis_list text, envs_list text)
		ORDER BY r.id`, jsonText(recs), tx.actor.User, ts(tx.now)); err != nil {
		return err
	}
	if err := tx.insertLinks(ctx, `INSERT INTO problem_cis (problem_id, ci) SELECT r.id, r.name`, cis); err != nil {
		return err
	}
	if err := tx.insertLinks(ctx, `INSERT INTO problem_envs (problem_id, env) SELECT r.id, r.name`, envs); err != nil {
		return err
	}
	for i := range ps {
		if err := tx.auditEvent(ctx, "problem.create", "problem", ps[i].ID, ps[i].Revision, nil, ps[i]); err != nil {
			return err
		}
	}
	return nil
}

// insertLinks runs head (an INSERT … SELECT of r.id, r.name or r.ref) over
// links in one statement.
func (tx *Tx) insertLinks(ctx context.Context, head string, links []link) error {
	if len(links) == 0 {
		return nil
	}
	_, err := tx.exec(ctx, head+` FROM json_to_recordset($1::json) AS r(id bigint, name text, ref bigint)`, jsonText(links))
	return err
}

// insertReleasesSet is CreateReleases' transaction on PostgreSQL: the same
// checks, records, links and audit events as insertRelease for each entry.
func (tx *Tx) insertReleasesSet(ctx context.Context, rs []release.Release) error {
	refs, err := tx.releaseRefsSet(ctx, rs)
	if err != nil {
		return err
	}
	ids, err := tx.newIDs(ctx, "releases", len(rs))
	if err != nil {
		return err
	}
	type rec struct {
		ID      int64  `json:"id"`
		Version string `json:"version"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Notes   string `json:"notes"`
	}
	recs := make([]rec, len(rs))
	var prbs, cvs []link
	for i := range rs {
		r := &rs[i]
		r.Status, r.Revision, r.CreatedBy, r.CreatedAt, r.UpdatedAt = release.Planned, 1, tx.actor.User, tx.now, tx.now
		r.ID = ident.Release.Format(ids[i])
		recs[i] = rec{ids[i], r.Version, r.Type, r.Title, r.Notes}
		for _, p := range refs[i].problems {
			prbs = append(prbs, link{ID: ids[i], Ref: p})
		}
		for _, c := range refs[i].components {
			cvs = append(cvs, link{ID: ids[i], Ref: c})
		}
	}
	if _, err := tx.exec(ctx, `INSERT INTO releases (id, version, type, status, title, notes, rev, created_by, created_at, updated_at)
		SELECT r.id, r.version, r.type, $2, r.title, r.notes, 1, $3, $4::timestamptz, $4::timestamptz
		FROM json_to_recordset($1::json) AS r(id bigint, version text, type text, title text, notes text)
		ORDER BY r.id`, jsonText(recs), release.Planned, tx.actor.User, ts(tx.now)); err != nil {
		return err
	}
	if err := tx.insertLinks(ctx, `INSERT INTO release_problems (release_id, problem_id) SELECT r.id, r.ref`, prbs); err != nil {
		return err
	}
	if err := tx.insertLinks(ctx, `INSERT INTO release_components (release_id, component_version_id) SELECT r.id, r.ref`, cvs); err != nil {
		return err
	}
	for i := range rs {
		if err := tx.auditEvent(ctx, "release.create", "release", rs[i].ID, rs[i].Revision, nil, rs[i]); err != nil {
			return err
		}
	}
	return nil
}

type releaseLinks struct{ problems, components []int64 }

// releaseRefsSet is releaseRefs for every entry, with two queries in all:
// the problems that exist, and the component versions named. Errors name
// the entry as CreateReleases does.
func (tx *Tx) releaseRefsSet(ctx context.Context, rs []release.Release) ([]releaseLinks, error) {
	var pids []int64
	type cv struct {
		CI      string `json:"ci"`
		Version string `json:"version"`
	}
	var cvs []cv
	for _, r := range rs {
		for _, p := range r.Resolves {
			pid, _ := ident.Problem.Parse("resolves", p)
			pids = append(pids, pid)
		}
		for _, c := range r.Components {
			name, ver, _ := strings.Cut(c, "@")
			cvs = append(cvs, cv{name, ver})
		}
	}
	have := map[int64]bool{}
	if len(pids) > 0 {
		if err := tx.eachRow(ctx, func(scan func(...any) error) error {
			var id int64
			err := scan(&id)
			have[id] = true
			return err
		}, `SELECT id FROM problems WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)`, jsonText(pids)); err != nil {
			return nil, err
		}
	}
	type cvRow struct {
		id     int64
		status string
	}
	versions := map[cv]cvRow{}
	if len(cvs) > 0 {
		if err := tx.eachRow(ctx, func(scan func(...any) error) error {
			var k cv
			var v cvRow
			err := scan(&k.CI, &k.Version, &v.id, &v.status)
			versions[k] = v
			return err
		}, `SELECT c.ci, c.version, c.id, c.status FROM component_versions c
			JOIN json_to_recordset($1::json) AS r(ci text, version text) ON c.ci = r.ci AND c.version = r.version`, jsonText(cvs)); err != nil {
			return nil, err
		}
	}
	out := make([]releaseLinks, len(rs))
	for i, r := range rs {
		for _, p := range r.Resolves {
			pid, _ := ident.Problem.Parse("resolves", p)
			if !have[pid] {
				return nil, fault.Field("releases", "entry %d: %v", i, fault.Field("resolves", "problem %s does not exist", p))
			}
			out[i].problems = append(out[i].problems, pid)
		}
		for _, c := range r.Components {
			name, ver, _ := strings.Cut(c, "@")
			v, ok := versions[cv{name, ver}]
			switch {
			case !ok:
				return nil, fault.Field("releases", "entry %d: %v", i, fault.Field("components", "component version %s does not exist", c))
			case v.status == ci.Revoked:
				return nil, fault.Field("releases", "entry %d: %v", i,
					fault.Field("components", "component version %s is revoked and cannot be released", c))
			}
			out[i].components = append(out[i].components, v.id)
		}
	}
	return out, nil
}

// eachRow runs q and calls fn with each row's Scan.
func (tx *Tx) eachRow(ctx context.Context, fn func(scan func(...any) error) error, q string, args ...any) error {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
