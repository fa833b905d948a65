package gather

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultWait is the wait the consumers use unless told otherwise: a
// fetch round trip on a loaded broker, and a small part of a batch.
const DefaultWait = 2 * time.Millisecond

// Poll is a client's (or a GroupTransactSession's) PollRecords.
type Poll func(ctx context.Context, maxRecords int) kgo.Fetches

// More returns fs with what one more poll brings within wait, when fs has
// records and fewer than limit; else fs as it is. wait <= 0 never polls.
func More(ctx context.Context, fs kgo.Fetches, limit int, wait time.Duration, poll Poll) kgo.Fetches {
	n := fs.NumRecords()
	if wait <= 0 || n == 0 || n >= limit {
		return fs
	}
	gctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return append(fs, poll(gctx, limit-n)...)
}
