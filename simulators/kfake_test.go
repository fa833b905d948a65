package simulators_test

// Component test: the simulators on kfake, an in-process Kafka.

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestSimulatorsAnswerEverySystemOnKfake(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	exerciseEverySystem(t, newWorld(t, c.ListenAddrs(), "", nil))
}
