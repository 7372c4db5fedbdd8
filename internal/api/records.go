package api

import (
	"context"
	"net/http"

	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// revisionFor returns the revision a write is guarded by: required for
// PATCH (strict), optional for lifecycle actions.
func revisionFor(r *http.Request, bodyRev int64, strict bool) (int64, error) {
	if strict {
		return requireIfMatch(r, bodyRev)
	}
	return ifMatch(r, bodyRev)
}

// answerGet answers GET of the numbered record of kind k named by the
// {id} path value, with its revision as the ETag.
func answerGet[T any](w http.ResponseWriter, r *http.Request, k ident.Kind,
	get func(context.Context, int64) (T, error), revOf func(T) int64) error {
	id, err := k.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := get(r.Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, revOf(out))
}

// answerUpdate runs update on the numbered record of kind k named by the
// {id} path value, guarded by the revision the caller read, and answers
// the result with status.
func answerUpdate[T any](w http.ResponseWriter, r *http.Request, k ident.Kind, bodyRev int64, strict bool, status int,
	update func(id, rev int64) (T, error), revOf func(T) int64) error {
	id, err := k.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	rev, err := revisionFor(r, bodyRev, strict)
	if err != nil {
		return err
	}
	out, err := update(id, rev)
	if err != nil {
		return err
	}
	return writeRecord(w, status, out, revOf(out))
}

// answerList answers one page of numbered records of kind k, with the
// cursor after the last one when the page was full.
func answerList[T any](w http.ResponseWriter, items []T, pg store.Page, k ident.Kind, idOf func(T) string) error {
	if items == nil {
		items = []T{}
	}
	out := List[T]{Items: items}
	if len(items) > 0 {
		last, _ := k.Parse("id", idOf(items[len(items)-1]))
		out.NextCursor = nextCursor(len(items), pg, last)
	}
	return writeJSON(w, http.StatusOK, out)
}
