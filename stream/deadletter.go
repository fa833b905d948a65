package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/topics"
)

// maxReason bounds the reason header of a dead letter.
const maxReason = 2000

// truncatedKey is how much of a key a truncated dead letter keeps.
const truncatedKey = 1024

// deadLetter appends r to the dead-letter topic with the reason and where
// it came from: whole, or, when truncate is set, as a copy cut to fit, with
// the original sizes and SHA-256s. It fails only when even that cannot fit.
func (u *unit[S, I]) deadLetter(idx int, r *kgo.Record, reason string, truncate bool) error {
	reason = clip(reason, maxReason)
	now := wallClock()
	meta := []kgo.RecordHeader{
		{Key: topics.HeaderDLQError, Value: []byte(reason)},
		{Key: topics.HeaderDLQTopic, Value: []byte(r.Topic)},
		{Key: topics.HeaderDLQPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		{Key: topics.HeaderDLQOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		{Key: topics.HeaderDLQTime, Value: []byte(now.UTC().Format(time.RFC3339Nano))},
		{Key: topics.HeaderDLQTimestamp, Value: []byte(r.Timestamp.UTC().Format(time.RFC3339Nano))},
	}
	dl := &kgo.Record{Topic: u.c.top.DeadLetters, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: now,
		Headers: append(append([]kgo.RecordHeader(nil), r.Headers...), meta...)}
	if truncate {
		dl = truncated(dl, r, meta, u.c.limits.Record(u.c.top.DeadLetters))
	}
	if err := u.c.limits.Check(dl, "the dead letter"); err != nil {
		return err
	}
	u.out = append(u.out, dl)
	u.origin = append(u.origin, idx)
	u.tally.deadLetters++
	u.c.log.Warn("input dead-lettered", "role", u.c.top.Name, "topic", r.Topic, "partition", r.Partition,
		"offset", r.Offset, "orderId", clip(string(r.Key), 200), "truncated", truncate, "reason", reason)
	return nil
}

// truncated is a dead letter of r that fits limit bytes: its key and value
// cut, its own headers dropped, and what was cut described.
func truncated(dl, r *kgo.Record, meta []kgo.RecordHeader, limit int) *kgo.Record {
	vsum, ksum := sha256.Sum256(r.Value), sha256.Sum256(r.Key)
	key := r.Key
	if len(key) > truncatedKey {
		key = key[:truncatedKey]
	}
	hs := append(append([]kgo.RecordHeader(nil), meta...),
		kgo.RecordHeader{Key: topics.HeaderDLQTruncated, Value: []byte("true")},
		kgo.RecordHeader{Key: topics.HeaderDLQValueSize, Value: []byte(strconv.Itoa(len(r.Value)))},
		kgo.RecordHeader{Key: topics.HeaderDLQValueSHA256, Value: []byte(hex.EncodeToString(vsum[:]))},
		kgo.RecordHeader{Key: topics.HeaderDLQKeySize, Value: []byte(strconv.Itoa(len(r.Key)))},
		kgo.RecordHeader{Key: topics.HeaderDLQKeySHA256, Value: []byte(hex.EncodeToString(ksum[:]))},
		kgo.RecordHeader{Key: topics.HeaderDLQHeaderCount, Value: []byte(strconv.Itoa(len(r.Headers)))},
	)
	out := &kgo.Record{Topic: dl.Topic, Partition: dl.Partition, Key: key, Timestamp: dl.Timestamp, Headers: hs}
	room := limit - RecordSize(out)
	if room > 0 {
		out.Value = r.Value[:min(len(r.Value), room)]
	}
	return out
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
