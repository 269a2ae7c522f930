package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m5.csv")
	var stdout, stderr bytes.Buffer
	args := []string{"demo", "-stores", "2", "-skus", "3", "-days", "40", "-seed", "9", "-out", out}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "date,store,sku,quantity,price,promo" {
		t.Fatalf("header %q", lines[0])
	}
	if !strings.Contains(stderr.String(), "wrote 6 series") {
		t.Errorf("stderr %q does not count 6 series", stderr.String())
	}
	// The same seed writes the same file.
	out2 := filepath.Join(t.TempDir(), "again.csv")
	args[len(args)-1] = out2
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	if b2, _ := os.ReadFile(out2); !bytes.Equal(b, b2) {
		t.Error("the same seed wrote a different file")
	}
	// A bad size is a refused configuration (exit 2), and writes nothing.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if code := run(context.Background(), []string{"demo", "-skus", "0", "-out", bad}, &stdout, &stderr); code != exitConfig {
		t.Errorf("-skus 0: exit %d, want %d", code, exitConfig)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("-skus 0 left %s: %v", bad, err)
	}
}
