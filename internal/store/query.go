package store

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"fixgate/internal/fault"
)

// filter builds the WHERE clause of a list query from literal fragments,
// numbering the $N placeholders as conditions are added. Each fragment
// holds one "?" that becomes the next $N.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, arg any) {
	f.args = append(f.args, arg)
	f.conds = append(f.conds, strings.Replace(cond, "?", "$"+strconv.Itoa(len(f.args)), 1))
}

// where returns " WHERE a AND b" (or "") and the next placeholder number.
func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// next returns the placeholder for one more argument appended after the conditions.
func (f *filter) next(arg any) string {
	f.args = append(f.args, arg)
	return "$" + strconv.Itoa(len(f.args))
}

// placeholders returns "$start, $start+1, …" for n arguments.
func placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(start+i))
	}
	return b.String()
}

// requireNames returns an Invalid error naming field when any of names is
// not a row of the given named-record table ("cis", "environments", "users").
func (tx *Tx) requireNames(ctx context.Context, field, table string, names []string) error {
	var q string
	switch table {
	case "cis":
		q = `SELECT COUNT(*) FROM cis WHERE name = $1`
	case "environments":
		q = `SELECT COUNT(*) FROM environments WHERE name = $1`
	case "users":
		q = `SELECT COUNT(*) FROM users WHERE name = $1`
	default:
		panic("requireNames: unknown table " + table)
	}
	for _, n := range names {
		key := table + "\x00" + n
		if tx.seen[key] {
			continue
		}
		var c int
		if err := tx.queryRow(ctx, q, n).Scan(&c); err != nil {
			return err
		}
		if c == 0 {
			return fault.Field(field, "%q does not exist", n)
		}
		if tx.seen == nil {
			tx.seen = map[string]bool{}
		}
		tx.seen[key] = true // named records are never deleted: it stays true in this transaction
	}
	return nil
}

// Page is a cursor position: list queries return rows with id > After.
type Page struct {
	After int64
	Limit int
}

// MaxLimit caps one page of any list.
const MaxLimit = 500

// Norm clamps the limit to 1..MaxLimit (default 50).
func (p Page) Norm() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > MaxLimit {
		p.Limit = MaxLimit
	}
	return p
}

// batchGetter groups concurrent reads of records by id into one query: on
// PostgreSQL a GET by id is one loopback round trip, whose fixed cost (two
// context switches, a write and a read on each side, executor start-up)
// outweighs reading the row; 32 clients then pay it once per batch.
//
// A read joins a batch only while the batch's query has not been sent, so
// the query starts after every caller in it asked and sees every write
// committed (acknowledged) before that: batching never returns an older
// version than an unbatched read would. Nothing is cached.
//
// There is no goroutine of its own: at most maxBatchRunners callers run a
// query at a time. A caller that finds a free slot runs its own id at once;
// the others wait, and a runner that finishes hands its slot, with the
// waiting ids (up to maxBatch, oldest first), to the oldest waiting caller.
// So ids wait only while all slots are busy, and then share one query.
type batchGetter[V any] struct {
	mu      sync.Mutex
	pending []*batchGet[V] // empty whenever a slot is free
	running int
}

type batchGet[V any] struct {
	id    int64
	wake  chan struct{}  // one send: the result is set, or next is
	next  []*batchGet[V] // the batch to run (this caller first), when woken to run it
	v     V
	found bool
	err   error
}

// One query in flight measured best under 32 clients on 2 cores: batches of
// ~12 ids and 8–13 µs of PostgreSQL CPU per GET, against ~6 ids and 22–29 µs
// with two, ~3 ids and 31–42 µs with four. A 32-id query costs PostgreSQL
// about 0.1 ms, so one runner serves far more GETs than the HTTP side can.
const (
	maxBatchRunners = 1  // batch queries in flight at once
	maxBatch        = 64 // ids per batch query
)

// errBatchAborted is what the callers of a batch get if its fetch panicked.
var errBatchAborted = fault.New(fault.Internal, "batched read aborted")

// get returns record id as fetch (ids → records found) reads it, possibly
// in one call with other concurrent callers' ids; found is false when fetch
// did not return id. fetch's error is the error of every caller it served.
func (b *batchGetter[V]) get(id int64, fetch func(ids []int64) (map[int64]V, error)) (v V, found bool, err error) {
	r := &batchGet[V]{id: id, wake: make(chan struct{}, 1)}
	var batch []*batchGet[V]
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if b.running < maxBatchRunners {
		b.running++
		batch = b.take() // pending was empty: just r
	}
	b.mu.Unlock()
	if batch == nil {
		<-r.wake
		batch = r.next
	}
	if batch != nil {
		b.run(batch, fetch)
	}
	return r.v, r.found, r.err
}

// take removes up to maxBatch pending callers, oldest first. Needs b.mu.
func (b *batchGetter[V]) take() []*batchGet[V] {
	n := min(len(b.pending), maxBatch)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	if len(b.pending) == 0 {
		b.pending = nil
	}
	return batch
}

// run answers batch with one fetch, then hands the slot to the oldest
// waiting caller with the next batch, or frees it.
func (b *batchGetter[V]) run(batch []*batchGet[V], fetch func(ids []int64) (map[int64]V, error)) {
	var vals map[int64]V
	err := error(errBatchAborted)
	defer func() {
		for _, r := range batch {
			r.v, r.found = vals[r.id]
			r.err = err
			r.wake <- struct{}{} // buffered; the runner's own send is never read
		}
		b.mu.Lock()
		if len(b.pending) > 0 {
			next := b.take()
			next[0].next = next
			next[0].wake <- struct{}{}
		} else {
			b.running--
		}
		b.mu.Unlock()
	}()
	ids := make([]int64, len(batch))
	for i, r := range batch {
		ids[i] = r.id
	}
	vals, err = fetch(ids)
}
