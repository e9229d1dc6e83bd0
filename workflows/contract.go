// Package workflows holds zeren's processes: deterministic code only. This file
// is the contract: the task queue, every workflow, Update, Signal and Query name,
// the workflow-ID builders, and the input and result of each.
package workflows

import "time"

// DefaultTaskQueue is the queue zeren's worker polls unless temporal.yaml says otherwise.
const DefaultTaskQueue = "zeren"

// Workflow type names, as registered with the worker.
const (
	// SystemCheckWorkflow proves the whole loop: API → Temporal → worker → PostgreSQL → answer.
	SystemCheckWorkflow = "SystemCheck"
)

// SystemCheckID is the workflow id of one system check, by request id.
func SystemCheckID(requestID string) string { return "system-check/" + requestID }

// SystemCheckInput asks the worker to look at the database and answer.
type SystemCheckInput struct {
	// RequestedBy is the person key of who asked.
	RequestedBy string `json:"requested_by"`
}

// SystemCheckResult is what the worker found.
type SystemCheckResult struct {
	// Units and People are counts read from PostgreSQL by an activity.
	Units  int `json:"units"`
	People int `json:"people"`
	// SchemaVersion is the newest applied migration.
	SchemaVersion int64 `json:"schema_version"`
	// CheckedAt is workflow time when the answer was made.
	CheckedAt time.Time `json:"checked_at"`
	// RequestedBy echoes the input.
	RequestedBy string `json:"requested_by"`
}
