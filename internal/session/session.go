package session

import (
	"context"
	"time"
)

// Run calls run until ctx is done or run returns nil (a clean stop). When
// run returns an error, a failed transaction (a fenced or timed-out producer
// epoch, a commit that could not be confirmed) ended the session and its
// client is in an unknown state: Run reports it to failed, waits pause and
// starts a new session, which rejoins the group, restores its partitions
// and resumes at the committed offsets.
func Run(ctx context.Context, pause time.Duration, run func(context.Context) error, failed func(error)) {
	for {
		err := run(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		failed(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}
