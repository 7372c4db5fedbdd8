package main

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/demo"
	"fixgate/internal/store"
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

// TestDemoQuickStart runs the README's quick start word for word against
// a freshly loaded demo: every `./fixgate …` line of its shell blocks after
// `demo` started (with FIXGATE_TOKEN=$USER as the line says), each ending
// in the exit code its comment names (0 without one); a gate check that
// exits 0 says ALLOWED, one that exits 1 BLOCKED. It ends with REL-14
// allowed into staging and blocked from prod-eu.
func TestDemoQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	quick, _, _ := strings.Cut(string(readme[strings.Index(string(readme), "## Quick start"):]), "\n## ")
	var lines []string
	inBlock := false
	for _, line := range strings.Split(quick, "\n") {
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		if cmd, _, _ := strings.Cut(line, "#"); inBlock && strings.Contains(cmd, "./fixgate ") {
			lines = append(lines, line)
		}
	}
	if len(lines) < 15 || !strings.Contains(lines[len(lines)-2], "gate check REL-14 --env staging") {
		t.Fatalf("the quick start changed shape; %d command lines: %q", len(lines), lines)
	}

	dsn := "sqlite:" + t.TempDir() + "/demo.db"
	res, err := demo.Load(context.Background(), dsn, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := api.New(api.Config{Store: st, DataDir: t.TempDir()})
	if err := srv.InitPolicy(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	tokens := map[string]string{}
	for _, u := range res.Users {
		tokens[strings.ToUpper(strings.ReplaceAll(u.Name, "-", "_"))] = u.Token
	}
	t.Setenv("FIXGATE_URL", hs.URL)
	for _, line := range lines {
		cmd, comment, _ := strings.Cut(line, "#")
		want := 0
		if _, after, ok := strings.Cut(comment, "exit "); ok {
			want = int(after[0] - '0')
		}
		token := res.AdminToken
		if v, ok := strings.CutPrefix(strings.TrimSpace(cmd), "FIXGATE_TOKEN=$"); ok {
			name, _, _ := strings.Cut(v, " ")
			token = tokens[name]
		}
		_, rest, _ := strings.Cut(cmd, "./fixgate ")
		t.Setenv("FIXGATE_TOKEN", token)
		code, stdout, stderr := runCLI(t, shellWords(t, rest)...)
		if code != want {
			t.Fatalf("%s\nexit %d, want %d\n%s%s", line, code, want, stdout, stderr)
		}
		if gate := strings.Contains(line, "gate check"); gate && want == 0 && !strings.Contains(stdout, "ALLOWED") ||
			gate && want == 1 && !strings.Contains(stdout, "BLOCKED") {
			t.Fatalf("%s\n%s", line, stdout)
		}
	}
}

// shellWords splits a command line of the README as sh would (blanks,
// double quotes; nothing else is used there).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
