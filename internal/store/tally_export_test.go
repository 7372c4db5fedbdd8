package store

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"
)

// RedoMigration migrates s down to just before the migration whose file
// name contains name, then up again: that migration's Up runs on the data
// stored meanwhile.
func (s *Store) RedoMigration(ctx context.Context, name string) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, s.db, sub)
	if err != nil {
		return err
	}
	for _, src := range p.ListSources() {
		if strings.Contains(src.Path, name) {
			if _, err := p.DownTo(ctx, src.Version-1); err != nil {
				return err
			}
			_, err = p.Up(ctx)
			return err
		}
	}
	return fmt.Errorf("no migration named %q", name)
}
