package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"fixgate/internal/ci"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// catalogue is an immutable snapshot of the slowly changing configuration
// the gate reads on every evaluation: the CI graph and every component
// version. It is shared by concurrent evaluations and never modified.
type catalogue struct {
	version  int64
	cis      []gate.CI                   // by name; DependsOn sorted
	versions map[string][]gate.Component // by CI, in id order
	revs     map[string]int64            // component version id → revision
	// every CI name the graph or a version mentions, numbered, and for
	// each what an evaluation reaching it reaches next (reach)
	names []string
	index map[string]int32
	leads [][]int32
}

// catalogueCache holds the newest snapshot of one store; mu makes
// concurrent evaluations that find it stale load it once.
type catalogueCache struct {
	mu  sync.Mutex
	cur atomic.Pointer[catalogue]
}

// bumpCatalogue marks the catalogue changed. Every write to cis,
// ci_dependencies or component_versions calls it in its transaction, so a
// snapshot older than the write is never used once the write committed.
func (tx *Tx) bumpCatalogue(ctx context.Context) error {
	_, err := tx.exec(ctx, `UPDATE catalogue_version SET version = version + 1 WHERE id = 1`)
	return err
}

// catalogueVersion reads the catalogue's version into v.
func catalogueVersion(v *int64) readStmt {
	return readStmt{`SELECT version FROM catalogue_version WHERE id = 1`, nil, func(sc rowScanner) error { return sc.Scan(v) }}
}

// catalogueAt returns the snapshot of catalogue version v, which the caller
// read through r (the evaluation's read-only transaction, so the version
// and the rows agree). It loads the snapshot through r when the version
// moved since the last load.
func (s *Store) catalogueAt(ctx context.Context, r stmtRunner, v int64) (*catalogue, error) {
	cache := &s.cat
	if c := cache.cur.Load(); c != nil && c.version == v {
		return c, nil
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if c := cache.cur.Load(); c != nil && c.version == v {
		return c, nil
	}
	c := &catalogue{version: v, versions: map[string][]gate.Component{}, revs: map[string]int64{}}
	if err := r.run(ctx, c.graphStmt(), c.versionsStmt()); err != nil {
		return nil, err
	}
	c.number()
	if old := cache.cur.Load(); old == nil || old.version < v {
		cache.cur.Store(c)
	}
	return c, nil
}

// graphStmt reads the CIs with their dependencies into c.cis.
func (c *catalogue) graphStmt() readStmt {
	return readStmt{`SELECT c.name, c.criticality, d.depends_on FROM cis c
		LEFT JOIN ci_dependencies d ON d.ci = c.name ORDER BY c.name, d.depends_on`, nil, func(sc rowScanner) error {
		var name, crit string
		var dep sql.NullString
		if err := sc.Scan(&name, &crit, &dep); err != nil {
			return err
		}
		if n := len(c.cis); n == 0 || c.cis[n-1].Name != name {
			c.cis = append(c.cis, gate.CI{Name: name, Criticality: crit, DependsOn: []string{}})
		}
		if dep.Valid {
			last := &c.cis[len(c.cis)-1]
			last.DependsOn = append(last.DependsOn, dep.String)
		}
		return nil
	}}
}

// catalogueCols are the columns the gate needs of a catalogue version (the
// catalogue is the largest read of an evaluation: no times to parse).
const catalogueCols = `id, ci, version, status, dependencies, rev`

// versionsStmt reads every component version into c.versions and c.revs.
func (c *catalogue) versionsStmt() readStmt {
	return readStmt{`SELECT ` + catalogueCols + ` FROM component_versions ORDER BY ci, id`, nil, func(sc rowScanner) error {
		var x gate.Component
		var id, rev int64
		if err := sc.Scan(&id, &x.CI, &x.Version, &x.Status, jsonCol{&x.Dependencies}, &rev); err != nil {
			return err
		}
		x.ID = ident.Component.Format(id)
		if x.Dependencies == nil {
			x.Dependencies = []ci.Dependency{}
		}
		c.versions[x.CI] = append(c.versions[x.CI], x)
		c.revs[x.ID] = rev
		return nil
	}}
}

// number numbers every CI name of c and lists, for each, the CIs it leads
// to: those it depends on in the graph, then those any of its versions
// depends on, in the order reach adds them.
func (c *catalogue) number() {
	c.index = map[string]int32{}
	id := func(name string) int32 {
		i, ok := c.index[name]
		if !ok {
			i = int32(len(c.names))
			c.index[name] = i
			c.names = append(c.names, name)
			c.leads = append(c.leads, nil)
		}
		return i
	}
	deps := make(map[string][]string, len(c.cis))
	for _, x := range c.cis {
		deps[x.Name] = x.DependsOn
		id(x.Name)
	}
	for name := range c.versions {
		id(name)
	}
	for i := 0; i < len(c.names); i++ { // names mentioned as dependencies are numbered as they come
		name := c.names[i]
		var leads []int32
		for _, d := range deps[name] {
			leads = append(leads, id(d))
		}
		for _, v := range c.versions[name] {
			for _, d := range v.Dependencies {
				leads = append(leads, id(d.CI))
			}
		}
		c.leads[i] = leads
	}
}

// reach returns the versions of every CI the release's components reach:
// through the CI graph from their CIs, and through the dependencies the
// versions themselves name (which may go beyond the graph). A cycle ends
// when no new CI appears.
func (c *catalogue) reach(own []gate.Component) map[string][]gate.Component {
	out := map[string][]gate.Component{}
	seen := make([]bool, len(c.names))
	queue := make([]int32, 0, len(c.names))
	add := func(i int32) {
		if !seen[i] {
			seen[i] = true
			queue = append(queue, i)
		}
	}
	addName := func(name string) {
		if i, ok := c.index[name]; ok { // a CI the catalogue does not know has no versions and leads nowhere
			add(i)
		}
	}
	for _, x := range own {
		addName(x.CI)
		for _, d := range x.Dependencies {
			addName(d.CI)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, d := range c.leads[i] {
			add(d)
		}
		if vs := c.versions[c.names[i]]; len(vs) > 0 {
			out[c.names[i]] = vs
		}
	}
	return out
}
