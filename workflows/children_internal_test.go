package workflows

import (
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// 1,200 children start in batches of childBatch and all their results come
// back. (Started at once, so many would also overflow the test environment's
// queue of 1,000 callbacks and hang it.)
func TestRunChildrenInBatches(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute) // real database activities on a saturated machine
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, n int) (int, error) { return n * 2, nil }, workflow.RegisterOptions{Name: "double"})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, n int) (int, error) {
		ids, inputs := make([]string, n), make([]any, n)
		for i := range n {
			ids[i], inputs[i] = fmt.Sprintf("child/%d", i), i
		}
		results, _, err := runChildren[int](ctx, "double", ids, inputs)
		sum := 0
		for _, r := range results {
			sum += r
		}
		return sum, err
	}, workflow.RegisterOptions{Name: "parent"})
	env.ExecuteWorkflow("parent", 1200)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := env.GetWorkflowResult(&sum); err != nil {
		t.Fatal(err)
	}
	if want := 1199 * 1200; sum != want {
		t.Fatalf("sum of the children's results %d, want %d", sum, want)
	}
}
