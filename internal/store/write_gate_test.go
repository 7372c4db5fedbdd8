package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// On SQLite a write does not wait for a pool connection: with every
// connection of the pool taken by readers, the admitted writer commits on
// the write gate's own connection.
func TestSQLiteWriteWhilePoolIsTaken(t *testing.T) {
	s, _ := storetest.Open(t)
	if s.Dialect() != store.SQLite {
		t.Skip("the write gate is SQLite's")
	}
	ctx := context.Background()
	seed(t, s)
	var held []*sql.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		c, err := s.DB().Conn(short)
		cancel()
		if err != nil {
			break
		}
		held = append(held, c)
	}
	if len(held) == 0 {
		t.Fatal("took no connection")
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := s.CreateCI(wctx, alice, ci.CI{Name: "web", Kind: "service"}); err != nil {
		t.Fatalf("write with %d pool connections taken: %v", len(held), err)
	}
}
