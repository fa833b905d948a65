package simulators_test

// Integration test: the simulators on the test bed's real Kafka broker, and
// its schema registry when ORDERLOG_SCHEMA_REGISTRY_URL is set (Confluent
// framing instead of single-object encoding).

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/schemas"
)

func TestSimulatorsAnswerEverySystemOnARealBroker(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	var optsFor func(string) []schemas.Option
	url := os.Getenv("ORDERLOG_SCHEMA_REGISTRY_URL")
	if url != "" {
		cl, err := sr.NewClient(sr.URLs(url))
		require.NoError(t, err)
		optsFor = func(topic string) []schemas.Option { return []schemas.Option{schemas.WithRegistry(cl, topic+"-value")} }
	}
	w := newWorld(t, brokers, testenv.TopicPrefix(t), optsFor)
	exerciseEverySystem(t, w)
	if url != "" {
		for _, r := range w.results {
			require.EqualValues(t, 0, r.Value[0], "%s: Confluent framing (magic byte 0) with a registry", r.Topic)
		}
	}
}
