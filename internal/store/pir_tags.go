package store

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"fixgate/internal/pir"
)

// The finding tags of post-implementation reviews (pir.SetFindingTags
// decides which are allowed), one row per tag in pir_finding_tags so that
// reports count deployments per tag with a join.

// savePIRTags makes the stored tags of review id equal to after (sorted,
// deduplicated), given before as stored: it deletes and inserts only the
// difference.
func (tx *Tx) savePIRTags(ctx context.Context, id int64, before, after []string) error {
	for _, t := range before {
		if !slices.Contains(after, t) {
			if _, err := tx.exec(ctx, `DELETE FROM pir_finding_tags WHERE pir_id = $1 AND tag = $2`, id, t); err != nil {
				return err
			}
		}
	}
	for _, t := range after {
		if !slices.Contains(before, t) {
			if _, err := tx.exec(ctx, `INSERT INTO pir_finding_tags (pir_id, tag) VALUES ($1, $2)`, id, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// attachPIRTags sets the finding tags of reviews ps (never nil), whose ids
// are ids, with one query.
func attachPIRTags(ctx context.Context, query queryFunc, ps []pir.PIR, ids []int64) error {
	for i := range ps {
		ps[i].FindingTags = []string{}
	}
	if len(ids) == 0 {
		return nil
	}
	ph, args := make([]string, len(ids)), make([]any, len(ids))
	for i, id := range ids {
		ph[i], args[i] = "$"+strconv.Itoa(i+1), id
	}
	rows, err := query(ctx, `SELECT pir_id, tag FROM pir_finding_tags WHERE pir_id IN (`+strings.Join(ph, ", ")+`) ORDER BY pir_id, tag`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			ps[i].FindingTags = append(ps[i].FindingTags, tag)
		}
	}
	return rows.Err()
}
