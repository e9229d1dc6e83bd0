package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zeren-county/zeren/internal/devenv"
)

// A data file made before zeren chose one task queue partition keeps
// Temporal's four, so tasks waiting in partitions 1–3 are still read; a file
// made now says one.
func TestADataFileKeepsItsTaskQueuePartitions(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	if n, err := devenv.PartitionsOf(old); err != nil || n != 4 {
		t.Fatalf("a file without its partitions file: %d, %v; want 4", n, err)
	}
	if err := os.WriteFile(old+".partitions", []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := devenv.PartitionsOf(old); err != nil || n != 1 {
		t.Fatalf("a file made with one partition: %d, %v; want 1", n, err)
	}
	if err := os.WriteFile(old+".partitions", []byte("many\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := devenv.PartitionsOf(old); err == nil {
		t.Fatal("a partitions file that is not a number was accepted")
	}
}
