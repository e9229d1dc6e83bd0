package workflows_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The system check runs its real activity against a real PostgreSQL in the SDK's
// test environment and answers with what the database holds.
func TestSystemCheckReadsTheDatabase(t *testing.T) {
	s := testdb.New(t)
	if _, err := seed.Load(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute) // real database activities on a saturated machine
	engine.Register(env, &activities.Activities{Store: s})
	start := time.Date(2020, 4, 1, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	env.ExecuteWorkflow(contract.SystemCheckWorkflow, contract.SystemCheckInput{RequestedBy: "linyou-admin"})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res contract.SystemCheckResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	var units int
	if err := s.DB.Get(&units, `SELECT count(*) FROM units`); err != nil {
		t.Fatal(err)
	}
	// 41 units of the organisation and the demo's production units below them.
	if units <= 41 || res.Units != units || res.People == 0 || res.SchemaVersion < 1 || res.RequestedBy != "linyou-admin" {
		t.Fatalf("result %+v", res)
	}
	if !res.CheckedAt.Equal(start) {
		t.Fatalf("checked at %v, want workflow time %v", res.CheckedAt, start)
	}
}
