package store_test

import (
	"context"
	"fmt"
	"testing"

	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// BenchmarkKnownErrorSearch: the known-error search of GET /known-errors
// (ListKnownErrors, one page of 50) over catalogues of 1k, 10k and 50k
// known errors (one in four "leaks memory", the others "times out"; half
// labelled ci=ci-000, one in 1,000 ci=ci-007). A text no known error
// holds reads the whole catalogue; a common one stops at the 50th match;
// a label reads its label rows. Rows past the first are inserted with one
// statement (the search reads rows only).
func BenchmarkKnownErrorSearch(b *testing.B) {
	s, _ := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateKnownError(ctx, alice, knownerror.KnownError{Title: "ci-000 leaks memory under load",
		Symptoms: "p99 above the SLO", Workaround: "scale out", Labels: labels.Set{"ci": "ci-000"}}); err != nil {
		b.Fatal(err)
	}
	have := 1
	for _, n := range []int{1000, 10000, 50000} {
		if err := growKnownErrors(ctx, s, have, n); err != nil {
			b.Fatal(err)
		}
		have = n
		for _, c := range []struct {
			name string
			f    store.KnownErrorFilter
		}{
			{"q=miss", store.KnownErrorFilter{Q: "no such text"}},
			{"q=leak", store.KnownErrorFilter{Q: "leak"}},
			{"label=ci-000", store.KnownErrorFilter{Labels: labels.Set{"ci": "ci-000"}}},
			{"label=ci-007", store.KnownErrorFilter{Labels: labels.Set{"ci": "ci-007"}}},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) {
				defer reportBackendCPU(b, s)() // cpu-µs/op (and pg-µs/op): the machine is shared
				for b.Loop() {
					if _, err := s.ListKnownErrors(ctx, c.f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// growKnownErrors adds known errors have+1..n as copies of KE-1 with their
// titles and label rows.
func growKnownErrors(ctx context.Context, s *store.Store, have, n int) error {
	_, err := s.DB().ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT CAST($1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $2)
		INSERT INTO known_errors (title, symptoms, root_cause, workaround, status, labels, rev, created_by, created_at, updated_at)
		SELECT CASE WHEN n.i % 4 = 0 THEN 'ci-001 leaks memory under load' ELSE 'ci-001 times out under load' END,
			k.symptoms, k.root_cause, k.workaround, k.status, k.labels, k.rev, k.created_by, k.created_at, k.updated_at
		FROM n, known_errors k WHERE k.id = 1 ORDER BY n.i`, have+1, n)
	if err != nil {
		return err
	}
	_, err = s.DB().ExecContext(ctx, `INSERT INTO known_error_labels (known_error_id, name, value)
		SELECT id, 'ci', CASE WHEN id % 2 = 0 THEN 'ci-000' WHEN id % 1000 = 1 THEN 'ci-007' ELSE 'ci-001' END
		FROM known_errors WHERE id > $1`, have)
	return err
}
