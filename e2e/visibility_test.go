package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/internal/devenv"
)

// TestEmbeddedServerKeepsTheVisibilityIndexesItListsBy: the embedded server
// drops the visibility indexes nothing lists by — on a new file, again when
// it starts on that file, and in memory — and a list by a column whose index
// is gone still answers, by scanning.
func TestEmbeddedServerKeepsTheVisibilityIndexesItListsBy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.db")
	want := slices.Sorted(slices.Values(devenv.KeptVisibilityIndexes))
	for i, data := range []string{file, file, ""} {
		ts, err := devenv.StartTemporal(devenv.TemporalOptions{DatabaseFile: data, Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		got, err := ts.VisibilityIndexes(ctx)
		if err != nil || !slices.Equal(got, want) {
			cancel()
			_ = ts.Stop()
			t.Fatalf("start %d (%q): visibility indexes %v (%v)\nwant %v", i, data, got, err, want)
		}
		c, err := client.Dial(client.Options{HostPort: ts.HostPort, Namespace: "default"})
		if err != nil {
			cancel()
			_ = ts.Stop()
			t.Fatal(err)
		}
		// A workflow no worker runs, ended: its closed record has a history
		// length, a column whose index was dropped.
		id := "visibility-" + time.Now().Format("150405.000000")
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "nobody"}, "NoSuchWorkflow")
		if err == nil {
			err = c.TerminateWorkflow(ctx, id, run.GetRunID(), "test")
		}
		found := false
		for err == nil && !found && ctx.Err() == nil {
			var page *workflowservice.ListWorkflowExecutionsResponse
			page, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: `WorkflowId = '` + id + `' AND ExecutionStatus = 'Terminated' AND HistoryLength > 0`})
			found = err == nil && len(page.Executions) == 1
			time.Sleep(100 * time.Millisecond)
		}
		c.Close()
		cancel()
		if stopErr := ts.Stop(); stopErr != nil {
			t.Fatal(stopErr)
		}
		if err != nil || !found {
			t.Fatalf("start %d: the ended workflow listed by its history length: found %v (%v)", i, found, err)
		}
	}
}
