package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
)

// setState records where the process now stands as its ZerenState search
// attribute, so an operator finds it by its state in Temporal's CLI and Web
// UI. A process gets its other search attributes, and its first state, when
// it starts (contract.SearchAttributesOf). Histories from before
// contract.SearchStateVersion upserted nothing, and replay as they were.
func setState(ctx workflow.Context, state string) error {
	if workflow.GetVersion(ctx, contract.SearchStateVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, contract.SearchState.ValueSet(state))
}
