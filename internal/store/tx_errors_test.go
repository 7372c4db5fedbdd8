package store_test

import (
	"context"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/store/storetest"
)

// TestDuplicateIsConflictByDriverCode: the real driver's unique violation
// (SQLite's extended code or PostgreSQL's SQLSTATE 23505) becomes Conflict
// and keeps its cause.
func TestDuplicateIsConflictByDriverCode(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	u := auth.User{Name: "ann", Roles: []auth.Role{auth.Engineer}}
	if _, _, err := s.CreateUser(ctx, audit.System("test"), u); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.CreateUser(ctx, audit.System("test"), u)
	fe := fault.As(err)
	if fe == nil || fe.Code != fault.Conflict || fe.Err == nil || fe.Field != "name" || fe.Message != "user ann already exists" {
		t.Fatalf("duplicate user: %#v, want Conflict naming user ann, with the driver's error as cause", err)
	}
}
