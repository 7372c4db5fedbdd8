package main

import (
	"net"
	"os"
	"strings"
	"testing"

	"fixgate/internal/demo"
)

// demoFiles writes a stand-in for the database of a running demo in a
// fresh working directory and returns a check that it is untouched.
func demoFiles(t *testing.T) func() {
	t.Helper()
	t.Chdir(t.TempDir())
	files := map[string]string{"fixgate-demo.db": "the running demo's data", "fixgate-demo.db-wal": "its WAL"}
	for name, body := range files {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		for name, body := range files {
			if got, err := os.ReadFile(name); err != nil || string(got) != body {
				t.Fatalf("%s was touched: %d bytes, %v", name, len(got), err)
			}
		}
	}
}

// TestDemoRefusesTakenAddress: a second demo whose address is taken stops
// with exit 2 before it touches the database.
func TestDemoRefusesTakenAddress(t *testing.T) {
	untouched := demoFiles(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCLI(t, "demo", "--addr", ln.Addr().String(), "--data-dir", "data")
	if code != 2 || !strings.Contains(stderr, "addr: cannot listen") {
		t.Fatalf("exit %d, stderr %q; want 2 naming addr", code, stderr)
	}
	untouched()
}

// TestDemoRefusesLockedDatabase: while a demo holds the database's lock, a
// second demo on a free address stops with exit 2 and leaves it alone.
func TestDemoRefusesLockedDatabase(t *testing.T) {
	untouched := demoFiles(t)
	unlock, err := demo.Lock("fixgate-demo.db") // what the running demo holds
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	code, _, stderr := runCLI(t, "demo", "--addr", "127.0.0.1:0", "--data-dir", "data")
	if code != 2 || !strings.Contains(stderr, "another fixgate demo is running") {
		t.Fatalf("exit %d, stderr %q; want 2, another demo running", code, stderr)
	}
	untouched()
}
