package artifact_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fixgate/internal/artifact"
	"fixgate/internal/fault"
)

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestFSPutOpenDelete(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	st := artifact.FS{Dir: dir}
	const body = "# RCA\npool too small\n"
	sha := digest(body)
	obj, err := st.Put(ctx, strings.NewReader(body), sha)
	if err != nil || obj.SHA256 != sha || obj.Size != int64(len(body)) || !obj.Created {
		t.Fatalf("put %+v %v", obj, err)
	}
	if again, err := st.Put(ctx, strings.NewReader(body), ""); err != nil || again.Created {
		t.Fatalf("second put %+v %v", again, err)
	}
	if got := files(t, dir); len(got) != 1 || got[0] != filepath.Join(dir, "artifacts", sha[:2], sha) {
		t.Fatalf("files %v", got)
	}
	f, err := artifact.OpenVerified(ctx, st, sha, obj.Size)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != body {
		t.Fatalf("read %q", b)
	}
	if n, err := st.Stat(ctx, sha); err != nil || n != obj.Size {
		t.Fatalf("stat %d %v", n, err)
	}
	if err := st.Delete(ctx, sha); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, sha); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := st.Open(ctx, sha); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("open after delete: %v", err)
	}
}

func TestFSRefusesAndWritesNothing(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	st := artifact.FS{Dir: dir}
	_, err := st.Put(ctx, strings.NewReader("the real bytes"), digest("other bytes"))
	if fe := fault.As(err); fe == nil || fe.Field != "sha256" {
		t.Fatalf("digest mismatch: %v", err)
	}
	_, err = st.Put(ctx, strings.NewReader(""), "")
	if fe := fault.As(err); fe == nil || fe.Field != "body" {
		t.Fatalf("empty: %v", err)
	}
	if _, err := st.Open(ctx, "../../etc/passwd"); fault.As(err) == nil || fault.As(err).Field != "sha256" {
		t.Fatalf("a path as digest: %v", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("refused puts left %v", got)
	}
}

func TestOpenVerifiedRefusesCorruptBytes(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	st := artifact.FS{Dir: dir}
	obj, err := st.Put(ctx, strings.NewReader("release 1.4.3 package"), "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "artifacts", obj.SHA256[:2], obj.SHA256)
	if err := os.WriteFile(p, []byte("release 1.4.3 packagX"), 0o640); err != nil { // bit rot, same size
		t.Fatal(err)
	}
	f, err := artifact.OpenVerified(ctx, st, obj.SHA256, obj.Size)
	if !errors.Is(err, artifact.ErrCorrupt) || f != nil || fault.CodeOf(err) != fault.Internal {
		t.Fatalf("corrupt file: %v", err)
	}
}

// BenchmarkOpenVerified64MiB: the cost of hashing a largest upload before serving it.
func BenchmarkOpenVerified64MiB(b *testing.B) {
	ctx, st := context.Background(), artifact.FS{Dir: b.TempDir()}
	obj, err := st.Put(ctx, strings.NewReader(strings.Repeat("x", 64<<20)), "")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(obj.Size)
	for b.Loop() {
		f, err := artifact.OpenVerified(ctx, st, obj.SHA256, obj.Size)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
