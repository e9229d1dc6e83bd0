package workflows_test

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/contract"
)

// The harness every workflow test shares for sending Updates in the
// time-skipping environment.

// updateCallback hands an Update's rejection, or its handler's error, to fail.
func updateCallback(fail func(error)) *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: fail,
		OnComplete: func(_ any, err error) {
			if err != nil {
				fail(err)
			}
		}}
}

// collect is a fail that keeps each error in errs, named by what it was for.
func collect(errs *[]error, what string) func(error) {
	return func(err error) { *errs = append(*errs, fmt.Errorf("%s: %w", what, err)) }
}

// completeRequest is a person's complete-task request with a payload.
func completeRequest(ids map[string]int64, taskID, kind, person string, payload any) contract.CompleteTaskRequest {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err) // a test's own payload
	}
	return contract.CompleteTaskRequest{TaskID: taskID, Kind: kind, PersonID: ids[person], PersonKey: person, Payload: raw}
}
