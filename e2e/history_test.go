package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/zeren-county/zeren/workflows"
)

// checkHistory replays a finished workflow's history on the current code and,
// with ZEREN_WRITE_HISTORY=1, saves it to workflows/testdata/NAME.json for the
// replay test that runs on every `make test`.
func checkHistory(t *testing.T, c client.Client, workflowID, name string) {
	t.Helper()
	ctx := context.Background()
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, 0)
	hist := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, e)
	}
	if os.Getenv("ZEREN_WRITE_HISTORY") != "" {
		saveHistory(t, hist, name)
	}
	r := worker.NewWorkflowReplayer()
	workflows.RegisterWorkflows(r)
	if err := r.ReplayWorkflowHistory(nil, hist); err != nil {
		t.Fatalf("replay %s: %v", workflowID, err)
	}
}

func saveHistory(t *testing.T, hist *historypb.History, name string) {
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %d events to %s", len(hist.Events), path)
}
