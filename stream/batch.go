package stream

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/topics"
)

// errNotRestored means a record arrived for a partition whose store is not
// ready, or was assigned again during the batch: the batch must be aborted
// and polled again.
var errNotRestored = errors.New("partition not restored")

// errRerun asks for a partition's work to be done again from the start,
// with one more input isolated (a state that grew too large).
var errRerun = errors.New("rerun with an input isolated")

// tally counts what a batch did, for the metrics once it commits.
type tally struct {
	inputs, deadLetters, rerouted, refused, skipped, timers int
}

func (t *tally) add(o tally) {
	t.inputs += o.inputs
	t.deadLetters += o.deadLetters
	t.rerouted += o.rerouted
	t.refused += o.refused
	t.skipped += o.skipped
	t.timers += o.timers
}

// unit is one partition's share of a batch. Partitions are independent (a
// key lives in one), so units run in parallel, each in offset order.
type unit[S, I any] struct {
	c         *core[S, I]
	partition int32
	now       time.Time
	pt        *part[S] // the assignment decided from
	overlay   map[string]S
	coded     map[string][]byte // with a state cache: the changelog record of each state in overlay, once finished
	forget    map[string]bool
	touched   []string
	saver     map[string]int // key -> the input that last changed its state
	inputs    []*kgo.Record  // the records handled, in order; origin indexes them
	steps     []step         // the step each input was handled at
	timers    []timerRef     // the timers fired, in order
	out       []*kgo.Record
	slab      []kgo.Record // where newRecord takes the next output from
	origin    []int        // out[i] came from inputs[origin[i]], or from timers[-1-origin[i]]
	after     []func()
	tally     tally
}

// timerRef is a timer that fired: its key and when it was due.
type timerRef struct {
	key string
	due time.Time
}

// timerOrigin is the origin of the outputs of u.timers[j].
func timerOrigin(j int) int { return -1 - j }

// newUnit makes a unit for about n inputs: its maps are sized for them,
// since growing a map of states copies every state in it.
func (c *core[S, I]) newUnit(p int32, now time.Time, n int) *unit[S, I] {
	u := &unit[S, I]{c: c, partition: p, now: now, overlay: make(map[string]S, n), forget: map[string]bool{}, saver: make(map[string]int, n)}
	if c.stores.cache > 0 {
		u.coded = make(map[string][]byte, n)
	}
	return u
}

// run handles one partition's records and due timers, then appends the
// changed states. A state that does not fit its changelog isolates the
// input that last changed it and runs the partition again, in memory:
// handlers are pure, so a run can be thrown away.
func (c *core[S, I]) run(p int32, now time.Time, records []*kgo.Record, due []string) (*unit[S, I], error) {
	for range 4*len(records) + 2 {
		u := c.newUnit(p, now, len(records)+len(due))
		err := u.handleAll(records, due)
		if err == nil {
			err = u.finish()
		}
		if !errors.Is(err, errRerun) {
			return u, err
		}
	}
	return nil, fmt.Errorf("partition %d: the states still do not fit after isolating every input", p)
}

func (u *unit[S, I]) handleAll(records []*kgo.Record, due []string) error {
	for _, r := range records {
		if err := u.record(r); err != nil {
			return err
		}
	}
	for _, k := range due {
		if err := u.timer(k); err != nil {
			return err
		}
	}
	return nil
}

// assignment pins the unit to the partition's current assignment.
func (u *unit[S, I]) assignment() error {
	cur := u.c.stores.current(u.partition)
	switch {
	case cur == nil:
		return fmt.Errorf("partition %d: %w", u.partition, errNotRestored)
	case u.pt == nil:
		u.pt = cur
	case u.pt != cur:
		return fmt.Errorf("partition %d was assigned again during the batch: %w", u.partition, errNotRestored)
	}
	return nil
}

// state is key's state as the batch has it so far. An error is a stored
// state that cannot be decoded: an input of the key is dead-lettered with
// it as its reason (replayable once the state is mended), a timer's
// batch fails.
func (u *unit[S, I]) state(key string) (S, error) {
	if st, ok := u.overlay[key]; ok {
		return st, nil
	}
	st, err := u.c.stores.get(u.pt, key)
	if err != nil {
		return st, fmt.Errorf("partition %d: %w", u.partition, err)
	}
	return st, nil
}

// record handles one input record at the step its isolation says.
func (u *unit[S, I]) record(r *kgo.Record) error {
	idx := len(u.inputs)
	u.inputs = append(u.inputs, r)
	u.steps = append(u.steps, stepHandle)
	u.tally.inputs++
	at, reason := stepHandle, ""
	if q, ok := u.c.quarantine.get(coordOf(r)); ok {
		at, reason = q.step, q.reason
	}
	if at == stepHandle {
		var err error
		if at, reason, err = u.handle(idx, r); err != nil || at == stepHandle {
			return err
		}
	}
	return u.escalate(idx, r, at, reason)
}

// handle decodes, routes and handles r. It returns the step r must go on
// at (stepHandle when it is done) and why.
func (u *unit[S, I]) handle(idx int, r *kgo.Record) (step, string, error) {
	c := u.c
	if len(r.Key) == 0 {
		return stepDeadLetter, "the record has no key; " + c.top.Name + " inputs are keyed", nil
	}
	in, ok := c.inputs[r.Topic]
	if !ok {
		return stepDeadLetter, fmt.Sprintf("%s is not an input of %s", r.Topic, c.top.Name), nil
	}
	v, err := in.Decode(r)
	if IsRetry(err) {
		return stepHandle, "", fmt.Errorf("record at %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	if err != nil {
		return stepDeadLetter, err.Error(), nil
	}
	if want := c.partitionOf(r.Key); want != r.Partition {
		return u.reroute(idx, r, want)
	}
	if err := u.assignment(); err != nil {
		return stepHandle, "", err
	}
	key := string(r.Key)
	m := Msg[I]{Key: key, Partition: r.Partition, Input: v, Record: r, Now: u.now}
	st, err := u.state(key)
	if err != nil {
		// Its key's stored state cannot be read: deciding on another
		// would be wrong, and holding the batch would stop the partition.
		return stepDeadLetter, err.Error(), nil
	}
	out, err := c.top.Handle(m, st)
	if IsRetry(err) {
		return stepHandle, "", fmt.Errorf("record at %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	if err != nil {
		return stepDeadLetter, err.Error(), nil
	}
	if err := u.take(idx, key, r.Key, out); err != nil {
		return stepRefuse, err.Error(), nil
	}
	return stepHandle, "", nil
}

// escalate handles r at step at or above: refused, dead-lettered whole or
// truncated, or skipped, whichever first fits.
func (u *unit[S, I]) escalate(idx int, r *kgo.Record, at step, reason string) error {
	c := u.c
	if at == stepRefuse {
		// A stray (its re-routed copy refused) has no state here to
		// refuse against: it is dead-lettered.
		if c.top.Refuse == nil || len(r.Key) == 0 || c.partitionOf(r.Key) != r.Partition {
			at = stepDeadLetter
		} else if err := u.refuse(idx, r, reason); err != nil {
			if !errors.Is(err, errNotRefused) {
				return err // a Retry, or the partition reassigned
			}
			reason, at = fmt.Sprintf("%s; its refusal did not fit either: %v", reason, errors.Unwrap(err)), stepDeadLetter
		} else {
			u.steps[idx] = stepRefuse
			return nil
		}
	}
	if at == stepDeadLetter {
		if err := u.deadLetter(idx, r, reason, false); err == nil {
			u.steps[idx] = stepDeadLetter
			return nil
		}
		at = stepTruncate
	}
	if at == stepTruncate {
		if err := u.deadLetter(idx, r, reason, true); err == nil {
			u.steps[idx] = stepTruncate
			return nil
		}
	}
	u.steps[idx] = stepSkip
	u.tally.skipped++
	c.log.Error("input skipped: not even a truncated copy could be written to the dead-letter topic",
		"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "reason", reason)
	return nil
}

var errNotRefused = errors.New("refusal does not fit")

func (u *unit[S, I]) refuse(idx int, r *kgo.Record, reason string) error {
	c := u.c
	in, ok := c.inputs[r.Topic]
	if !ok {
		return fmt.Errorf("%w: %s is not an input", errNotRefused, r.Topic)
	}
	v, err := in.Decode(r)
	if IsRetry(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errNotRefused, err)
	}
	if err := u.assignment(); err != nil {
		return err
	}
	key := string(r.Key)
	st, err := u.state(key)
	if err != nil {
		return fmt.Errorf("%w: %v", errNotRefused, err)
	}
	out, err := c.top.Refuse(Msg[I]{Key: key, Partition: r.Partition, Input: v, Record: r, Now: u.now}, st, errors.New(reason))
	if IsRetry(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errNotRefused, err)
	}
	if err := u.take(idx, key, r.Key, out); err != nil {
		return fmt.Errorf("%w: %v", errNotRefused, err)
	}
	u.tally.refused++
	return nil
}

// take checks and keeps a handler's outputs; on a record that does not fit
// it keeps nothing and says which.
// keyBytes is the key as the record had it (shared by every output, never
// written), or nil to convert key once.
func (u *unit[S, I]) take(idx int, key string, keyBytes []byte, out Out[S]) error {
	for i, o := range out.Records {
		if !u.c.outputs[o.Topic] {
			return fmt.Errorf("output %d goes to %q, which is not an output of %s", i, o.Topic, u.c.top.Name)
		}
		if n, limit := recordSize(len(key), o.Value, o.Headers), u.c.limits.Record(o.Topic); n > limit {
			return &TooLargeError{Topic: o.Topic, What: "a record", Size: n, Limit: limit}
		}
	}
	if keyBytes == nil && len(out.Records) > 0 {
		keyBytes = []byte(key)
	}
	for _, o := range out.Records {
		ts := o.Time
		if ts.IsZero() {
			ts = wallClock()
		}
		r := u.newRecord()
		*r = kgo.Record{Topic: o.Topic, Partition: u.partition, Key: keyBytes, Value: o.Value, Headers: o.Headers, Timestamp: ts}
		u.out = append(u.out, r)
		u.origin = append(u.origin, idx)
	}
	u.after = append(u.after, out.After...)
	switch {
	case out.Forget:
		u.touch(key, idx)
		var zero S
		u.overlay[key] = zero
		u.forget[key] = true
	case out.Save:
		u.touch(key, idx)
		u.overlay[key] = out.State
		delete(u.forget, key)
	}
	return nil
}

// newRecord returns a zero record for an output, from a slab: a batch's
// outputs are allocated a few dozen at a time, not one by one.
func (u *unit[S, I]) newRecord() *kgo.Record {
	if len(u.slab) == 0 {
		u.slab = make([]kgo.Record, 64)
	}
	r := &u.slab[0]
	u.slab = u.slab[1:]
	return r
}

func (u *unit[S, I]) touch(key string, idx int) {
	if _, seen := u.saver[key]; !seen {
		u.touched = append(u.touched, key)
	}
	u.saver[key] = idx
}

// timer fires the due timer of key.
func (u *unit[S, I]) timer(key string) error {
	if err := u.assignment(); err != nil {
		return err
	}
	st, err := u.state(key)
	if err != nil {
		return err
	}
	t, ok := u.c.top.Due(st)
	if !ok || t.After(u.now) {
		return nil // a record of this batch moved or cleared it
	}
	if u.c.quarantine.timerHeld(u.partition, key, t) {
		return nil
	}
	j := len(u.timers)
	u.timers = append(u.timers, timerRef{key, t})
	var zero I
	out, err := u.c.top.Handle(Msg[I]{Key: key, Partition: u.partition, Input: zero, Now: u.now}, st)
	if err == nil {
		err = u.take(timerOrigin(j), key, nil, out)
	}
	if IsRetry(err) {
		return err
	}
	if err != nil {
		// No record to dead-letter: the timer is held until an input
		// changes its state.
		u.holdTimer(j, err.Error())
		return nil
	}
	u.tally.timers++
	return nil
}

// reroute re-produces r onto the partition of its key, for the member that
// owns it.
func (u *unit[S, I]) reroute(idx int, r *kgo.Record, to int32) (step, string, error) {
	kr := &kgo.Record{Topic: r.Topic, Partition: to, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp,
		Headers: append(append([]kgo.RecordHeader(nil), r.Headers...),
			kgo.RecordHeader{Key: topics.HeaderReroutedFrom, Value: []byte(strconv.Itoa(int(r.Partition)))})}
	if err := u.c.limits.Check(kr, "the re-routed record"); err != nil {
		return stepDeadLetter, fmt.Sprintf("the record belongs on partition %d and cannot be re-routed: %v", to, err), nil
	}
	u.out = append(u.out, kr)
	u.origin = append(u.origin, idx)
	u.tally.rerouted++
	return stepHandle, "", nil
}

// finish appends the state record of every key the unit changed. A state
// too large for the changelog isolates the input that last changed it.
func (u *unit[S, I]) finish() error {
	c := u.c
	for _, k := range u.touched {
		kr := &kgo.Record{Topic: c.top.State.Topic, Partition: u.partition, Key: []byte(k), Timestamp: wallClock()}
		if !u.forget[k] {
			v, err := c.top.State.Encode(u.overlay[k])
			if err != nil {
				// A codec that cannot encode a state is the code's fault,
				// not an input's: dead-lettering would throw away every
				// input of the key. The batch fails, the partition is
				// reported stuck, and nothing is lost.
				return fmt.Errorf("partition %d: the state of %s cannot be encoded: %w", u.partition, clip(k, 200), err)
			}
			kr.Value = v
			if c.stores.cache > 0 {
				u.coded[k] = v
			}
			if err := c.limits.Check(kr, "the state record"); err != nil {
				return u.isolateState(k, err.Error())
			}
		}
		u.out = append(u.out, kr)
		u.origin = append(u.origin, u.saver[k])
	}
	return nil
}

func (u *unit[S, I]) isolateState(key, reason string) error {
	idx := u.saver[key]
	if idx < 0 {
		u.holdTimer(-1-idx, reason)
		return errRerun
	}
	r := u.inputs[idx]
	u.c.quarantine.raise(coordOf(r), u.steps[idx]+1, reason)
	u.c.log.Warn("input isolated: the state it leads to does not fit", "role", u.c.top.Name,
		"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "reason", reason)
	return errRerun
}

// apply makes a committed unit's states the member's, in the assignment
// it decided from only: a partition lost and assigned again meanwhile was
// restored from the changelog, which holds these states or newer.
func (u *unit[S, I]) apply() {
	if u.pt == nil {
		return
	}
	for _, k := range u.touched {
		if u.forget[k] {
			u.c.stores.remove(u.partition, u.pt, k)
		} else {
			u.c.stores.put(u.partition, u.pt, k, u.overlay[k], u.coded[k])
		}
	}
}

// holdTimer keeps u.timers[j] from firing again until an input changes
// its key's state (its due time): with no input record, a timer whose
// outputs cannot be written has nothing to dead-letter, and firing it
// again and again would hold its partition.
func (u *unit[S, I]) holdTimer(j int, reason string) {
	t := u.timers[j]
	u.c.quarantine.holdTimer(u.partition, t.key, t.due)
	u.c.log.Error("due timer held: its outputs cannot be written; it fires again once an input moves it",
		"role", u.c.top.Name, "orderId", clip(t.key, 200), "partition", u.partition, "due", t.due, "reason", reason)
}
