package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/internal/store"
)

// SteerInput tells a campaign's processes it paused or resumed.
type SteerInput struct {
	CampaignID string        `json:"campaign_id"`
	Paused     bool          `json:"paused"`
	ShiftBy    time.Duration `json:"shift_by"`
	Key        string        `json:"key"`
	// Update is the Update name the processes answer (workflows.UpdateCampaignPause).
	Update string `json:"update"`
}

// steerRequest is the Update's argument, as workflows.CampaignPauseRequest reads it.
type steerRequest struct {
	Paused  bool          `json:"paused"`
	ShiftBy time.Duration `json:"shift_by,omitempty"`
	Key     string        `json:"key,omitempty"`
}

// SteerCampaignProcesses sends the pause or resume to every process of the
// campaign that holds an open task, a few at a time. Each Update has an id made
// of the pause's key, so a retried activity changes nothing twice; a process
// that has closed meanwhile is skipped.
func (a *Activities) SteerCampaignProcesses(ctx context.Context, in SteerInput) error {
	if a.Temporal == nil {
		return errors.New("steer campaign processes: the worker has no Temporal client")
	}
	ids, err := store.OpenCampaignProcesses(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return err
	}
	stage := "resume"
	if in.Paused {
		stage = "hold"
	}
	req := steerRequest{Paused: in.Paused, ShiftBy: in.ShiftBy, Key: in.Key}
	work := make(chan string)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: in.Update,
					UpdateID: in.Key + ":" + stage, Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted})
				if err == nil {
					err = h.Get(ctx, nil)
				}
				var gone *serviceerror.NotFound
				if err != nil && !errors.As(err, &gone) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", id, err))
					mu.Unlock()
				}
			}
		}()
	}
	for i, id := range ids {
		if i%100 == 0 {
			activity.RecordHeartbeat(ctx, i)
		}
		work <- id
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}
