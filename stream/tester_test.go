package stream_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/stream"
	"github.com/orderlog/orderlog/topics"
)

// tally is the state of the test topology: the notes a key was sent, and a
// timer.
type tally struct {
	Notes []string  `json:"notes"`
	Due   time.Time `json:"due"`
	Fired int       `json:"fired"`
	Loud  int       `json:"loud"` // bytes the timer writes besides "fired"
}

// note is an input: text to keep, or a command for the test.
type note struct {
	Text  string `json:"text"`
	Echo  int    `json:"echo"`  // bytes of output to write besides the state
	Timer string `json:"timer"` // a duration after which to fire once
	Loud  int    `json:"loud"`  // with Timer: bytes the timer writes besides "fired"
	Fail  bool   `json:"fail"`  // the handler fails (poison)
	Retry bool   `json:"retry"` // the handler fails for now
}

const (
	in     = "in"
	out    = "out"
	state  = "state"
	dlq    = "dlq"
	refuse = "refusals"
)

func topology(withRefuse bool) stream.Topology[tally, note] {
	t := stream.Topology[tally, note]{
		Name: "test",
		Inputs: []stream.Input[note]{{Topic: in, Decode: func(r *kgo.Record) (note, error) {
			var n note
			err := json.Unmarshal(r.Value, &n)
			return n, err
		}}},
		Handle: func(m stream.Msg[note], st tally) (stream.Out[tally], error) {
			if m.Timer() {
				st.Fired++
				st.Due = time.Time{}
				o := stream.Out[tally]{State: st, Save: true, Records: []stream.Record{{Topic: out, Value: []byte("fired")}}}
				if st.Loud > 0 {
					o.Records = append(o.Records, stream.Record{Topic: out, Value: junk(st.Loud)})
				}
				return o, nil
			}
			n := m.Input
			switch {
			case n.Fail:
				return stream.Out[tally]{}, errors.New("this note cannot be handled")
			case n.Retry:
				return stream.Out[tally]{}, stream.Retry(errors.New("a registry is down"))
			}
			st.Notes = append(append([]string(nil), st.Notes...), n.Text)
			if n.Timer != "" {
				d, _ := time.ParseDuration(n.Timer)
				st.Due, st.Loud = m.Now.Add(d), n.Loud
			}
			o := stream.Out[tally]{State: st, Save: true, Records: []stream.Record{{Topic: out, Value: []byte(n.Text)}}}
			if n.Echo > 0 {
				o.Records = append(o.Records, stream.Record{Topic: out, Value: junk(n.Echo)})
			}
			return o, nil
		},
		State: stream.Changelog[tally]{Topic: state,
			Encode: func(s tally) ([]byte, error) { return json.Marshal(s) },
			Decode: func(b []byte) (tally, error) {
				var s tally
				err := json.Unmarshal(b, &s)
				return s, err
			}},
		Outputs:     []string{out, refuse},
		DeadLetters: dlq,
		Due: func(s tally) (time.Time, bool) {
			return s.Due, !s.Due.IsZero()
		},
	}
	if withRefuse {
		t.Refuse = func(m stream.Msg[note], st tally, why error) (stream.Out[tally], error) {
			return stream.Out[tally]{State: st, Records: []stream.Record{{Topic: refuse, Value: []byte("refused: " + why.Error())}}}, nil
		}
	}
	return t
}

// junk is n random bytes: a compressed batch of zeros would fit anything.
func junk(n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func newTester(t *testing.T, withRefuse bool, o stream.TesterOptions) *stream.Tester[tally, note] {
	t.Helper()
	if o.Partitions == 0 {
		o.Partitions = 3
	}
	tt, err := stream.NewTester(topology(withRefuse), o)
	require.NoError(t, err)
	return tt
}

func send(t *testing.T, tt *stream.Tester[tally, note], key string, n note) {
	t.Helper()
	v, err := json.Marshal(n)
	require.NoError(t, err)
	require.NoError(t, tt.Send(in, key, v))
}

func header(r *kgo.Record, k string) string {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

func values(rs []*kgo.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Value))
	}
	return out
}

func TestAHandledInputWritesItsOutputsAndStateAndSurvivesARestart(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{})
	send(t, tt, "k1", note{Text: "a"})
	send(t, tt, "k1", note{Text: "b"})
	send(t, tt, "k2", note{Text: "c"})
	assert.Equal(t, []string{"a", "b", "c"}, values(tt.Records(out)))
	for _, r := range tt.Records(out) {
		assert.Equal(t, tt.PartitionOf(string(r.Key)), r.Partition, "outputs go to the partition of their key")
	}
	require.NoError(t, tt.Restart())
	st, ok := tt.State("k1")
	require.True(t, ok)
	assert.Equal(t, []string{"a", "b"}, st.Notes)
}

func TestPoisonIsDeadLetteredWithItsReasonAndTheNextInputIsHandled(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{})
	require.NoError(t, tt.Send(in, "k", []byte("not json")))
	send(t, tt, "k", note{Fail: true})
	require.NoError(t, tt.SendRecords(&kgo.Record{Topic: in, Value: []byte(`{"text":"no key"}`)}))
	send(t, tt, "k", note{Text: "fine"})
	dl := tt.Records(dlq)
	require.Len(t, dl, 3)
	assert.Contains(t, header(dl[0], topics.HeaderDLQError), "invalid character")
	assert.Contains(t, header(dl[1], topics.HeaderDLQError), "cannot be handled")
	assert.Contains(t, header(dl[2], topics.HeaderDLQError), "no key")
	assert.Equal(t, in, header(dl[0], topics.HeaderDLQTopic))
	assert.Equal(t, "0", header(dl[0], topics.HeaderDLQOffset))
	assert.Equal(t, []string{"fine"}, values(tt.Records(out)))
}

func TestARetryErrorAbortsTheBatch(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{})
	v, _ := json.Marshal(note{Retry: true})
	err := tt.Send(in, "k", v)
	require.Error(t, err)
	assert.True(t, stream.IsRetry(err))
	assert.Empty(t, tt.Records(dlq))
}

func TestAnOutputTooLargeIsRefusedAndChangesNothing(t *testing.T) {
	tt := newTester(t, true, stream.TesterOptions{MaxMessageBytes: map[string]int{out: 10_000}})
	send(t, tt, "k", note{Text: "before"})
	send(t, tt, "k", note{Text: "huge", Echo: 20_000})
	send(t, tt, "k", note{Text: "after"})
	assert.Equal(t, []string{"before", "after"}, values(tt.Records(out)))
	ref := tt.Records(refuse)
	require.Len(t, ref, 1)
	assert.Contains(t, string(ref[0].Value), "for topic out would be")
	st, _ := tt.State("k")
	assert.Equal(t, []string{"before", "after"}, st.Notes, "the refused input changed nothing")
}

func TestWithoutRefuseAnOutputTooLargeDeadLettersTheInput(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{MaxMessageBytes: map[string]int{out: 10_000}})
	send(t, tt, "k", note{Text: "huge", Echo: 20_000})
	send(t, tt, "k", note{Text: "after"})
	require.Len(t, tt.Records(dlq), 1)
	assert.Contains(t, header(tt.Records(dlq)[0], topics.HeaderDLQError), "would be")
	assert.Equal(t, []string{"after"}, values(tt.Records(out)))
}

func TestAStateTooLargeIsolatesTheInputThatGrewItAndTheRestGoOn(t *testing.T) {
	tt := newTester(t, true, stream.TesterOptions{MaxMessageBytes: map[string]int{state: 3_000}})
	var rs []*kgo.Record
	for i := range 8 {
		v, _ := json.Marshal(note{Text: strings.Repeat(strconv.Itoa(i), 500)})
		rs = append(rs, &kgo.Record{Topic: in, Partition: tt.PartitionOf("k"), Key: []byte("k"), Value: v})
	}
	other, _ := json.Marshal(note{Text: "other"})
	rs = append(rs, &kgo.Record{Topic: in, Partition: tt.PartitionOf("k2"), Key: []byte("k2"), Value: other})
	require.NoError(t, tt.SendRecords(rs...), "one batch")
	st, _ := tt.State("k")
	assert.Len(t, st.Notes, 5, "notes were kept while the state fit")
	assert.Len(t, tt.Records(refuse), 3, "each input that would grow the state past its limit is refused")
	for _, r := range tt.Records(state) {
		assert.LessOrEqual(t, stream.RecordSize(r), 3_000)
	}
	st2, _ := tt.State("k2")
	assert.Equal(t, []string{"other"}, st2.Notes)
}

func TestAnInputTooLargeToDeadLetterWholeIsDeadLetteredTruncatedWithItsHash(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{MaxMessageBytes: map[string]int{dlq: 50_000}})
	big := []byte(strings.Repeat("x", 49_900)) // fits the input topic, not with the dead letter's headers
	require.NoError(t, tt.Send(in, "k", big))
	send(t, tt, "k", note{Text: "after"})
	dl := tt.Records(dlq)
	require.Len(t, dl, 1)
	r := dl[0]
	assert.LessOrEqual(t, stream.RecordSize(r), 50_000)
	assert.Equal(t, "true", header(r, topics.HeaderDLQTruncated))
	assert.Equal(t, "49900", header(r, topics.HeaderDLQValueSize))
	assert.Len(t, header(r, topics.HeaderDLQValueSHA256), 64)
	assert.Equal(t, "0", header(r, topics.HeaderDLQOffset))
	assert.True(t, strings.HasPrefix(string(big), string(r.Value)), "the copy is the start of the original")
	assert.Equal(t, []string{"after"}, values(tt.Records(out)))
}

func TestAStrayInputIsReroutedToItsKeysPartition(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{})
	right := tt.PartitionOf("k")
	v, _ := json.Marshal(note{Text: "a"})
	require.NoError(t, tt.SendRecords(&kgo.Record{Topic: in, Partition: (right + 1) % 3, Key: []byte("k"), Value: v}))
	rs := tt.Records(in)
	require.Len(t, rs, 2)
	assert.Equal(t, right, rs[1].Partition)
	assert.Equal(t, fmt.Sprint((right+1)%3), header(rs[1], topics.HeaderReroutedFrom))
	assert.Empty(t, tt.Records(out), "the stray is handled where it belongs, not here")
}

func TestATimerFiresOnceWhenDue(t *testing.T) {
	tt := newTester(t, false, stream.TesterOptions{})
	send(t, tt, "k", note{Text: "a", Timer: "1m"})
	require.NoError(t, tt.Tick())
	assert.Equal(t, []string{"a"}, values(tt.Records(out)), "not due yet")
	tt.Advance(time.Minute)
	require.NoError(t, tt.Tick())
	require.NoError(t, tt.Tick())
	assert.Equal(t, []string{"a", "fired"}, values(tt.Records(out)))
	st, _ := tt.State("k")
	assert.Equal(t, 1, st.Fired)
}

// A timer whose outputs cannot be written has no record to dead-letter: it
// is held, the rest of the partition goes on, and an input that moves the
// timer releases it.
func TestATimerWhoseOutputsDoNotFitIsHeldUntilAnInputMovesIt(t *testing.T) {
	tt := newTester(t, true, stream.TesterOptions{MaxMessageBytes: map[string]int{out: 10_000}})
	send(t, tt, "k", note{Text: "a", Timer: "1m", Loud: 20_000})
	tt.Advance(time.Minute)
	require.NoError(t, tt.Tick(), "a timer that cannot write holds nothing up")
	require.NoError(t, tt.Tick())
	send(t, tt, "k2", note{Text: "other"})
	assert.Equal(t, []string{"a", "other"}, values(tt.Records(out)), "the timer wrote nothing; the others go on")
	st, _ := tt.State("k")
	assert.Zero(t, st.Fired)

	send(t, tt, "k", note{Text: "b", Timer: "1m"}) // moves the timer, quietly
	tt.Advance(time.Minute)
	require.NoError(t, tt.Tick())
	assert.Equal(t, []string{"a", "other", "b", "fired"}, values(tt.Records(out)))
}
