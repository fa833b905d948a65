package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ThreadTransactionalID is the transactional id of member i of n that
// NewThreads starts with cfg.TransactionalID id: id itself for one member,
// id-t<i> for several.
func ThreadTransactionalID(id string, i, n int) string {
	if n <= 1 {
		return id
	}
	return fmt.Sprintf("%s-t%d", id, i)
}

// CheckTransactionalIDs asks the brokers whether cl's principal may use
// each transactional id, the way a member's producer first uses it: by
// initialising a producer id for it (InitProducerId, which the authorizer
// allows with WRITE on the id, after FindCoordinator, with DESCRIBE). It
// returns the ids refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, so a
// missing ACL is found before a member joins its group, rather than at its
// first transaction, which would end its session again and again.
//
// Initialising bumps the id's epoch: a producer still using the id is
// fenced and its open transaction aborted, as the member's own producer
// does when it starts. Call it only for ids this process is about to use.
// Other failures (brokers not reachable within ctx) are an error.
func CheckTransactionalIDs(ctx context.Context, cl *kgo.Client, timeout time.Duration, ids ...string) (refused []string, err error) {
	for _, id := range ids {
		err := fence(ctx, cl, id, timeout)
		switch {
		case err == nil:
		case errors.Is(err, kerr.TransactionalIDAuthorizationFailed):
			refused = append(refused, id)
		default:
			return refused, fmt.Errorf("check transactional id %s: %w", id, err)
		}
	}
	return refused, nil
}

// refusal is the error Run returns, instead of starting a new session,
// when a session ended because the brokers' authorizer refused the
// member's principal its transactional id or its group (an ACL missing, or
// revoked while it ran): a new session would be refused the same, once a
// second, for good. nil for every other error.
func (m *Member[S, I]) refusal(err error) error {
	if !errors.Is(err, kerr.TransactionalIDAuthorizationFailed) && !errors.Is(err, kerr.GroupAuthorizationFailed) {
		return nil
	}
	return fmt.Errorf("%s: the brokers refuse this principal its transactional id %s or its group %s (a missing or revoked ACL: WRITE on the id, READ on the group); not starting another session: %w",
		m.top.Name, m.cfg.TransactionalID, m.cfg.Group, err)
}
