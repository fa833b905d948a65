package stream_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderlog/orderlog/stream"
)

// TestStartWaitsForATopicJustCreated: a broker that has not yet learnt of
// a topic just created answers UNKNOWN_TOPIC_OR_PARTITION; a member asks
// again instead of exiting with "topic missing". Here the topic is created
// only once the first answer, without it, has gone out.
func TestStartWaitsForATopicJustCreated(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	defer c.Close()
	first := make(chan struct{})
	var once sync.Once
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		for _, rt := range req.(*kmsg.MetadataRequest).Topics {
			if rt.Topic != nil && *rt.Topic == "late" {
				once.Do(func() { close(first) })
			}
		}
		return nil, nil, false
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)

	// A topic that never comes: the answer after the wait is final.
	td, err := stream.ListTopicsSettled(context.Background(), adm, []string{"never"}, 300*time.Millisecond)
	require.NoError(t, err)
	require.Error(t, td["never"].Err, "still missing after the wait")

	type listed struct {
		td  kadm.TopicDetails
		err error
	}
	done := make(chan listed, 1)
	go func() {
		td, err := stream.ListTopicsSettled(context.Background(), adm, []string{"late"}, 30*time.Second)
		done <- listed{td, err}
	}()
	<-first // the first metadata request for "late" is being answered without it
	_, err = adm.CreateTopic(context.Background(), 3, 1, nil, "late")
	require.NoError(t, err)
	got := <-done
	require.NoError(t, got.err)
	require.NoError(t, got.td["late"].Err)
	require.Len(t, got.td["late"].Partitions, 3)
}
