// Package changelog reads a compacted state topic back into memory: the
// processor's order.state and the saga's order.saga-state, when a member is
// given partitions.
//
// ReadToEnd reads read_committed up to the high watermark the partitions
// have when it is called, with control records kept so the position can be
// compared with that end even when the log ends in a transaction marker.
//
// The end is the high watermark, not the last stable offset: a member killed
// inside a transaction leaves it open until the broker times it out, and the
// last stable offset stays behind it while the next owners commit states
// after it. Reading only up to the last stable offset would then miss those
// committed states, while the group's committed offsets (which are stable)
// already lie past their inputs: the new owner would decide on a stale state.
// The same holds for the commit markers of the previous owner's last
// transaction, which the broker writes after answering EndTxn. Reading
// read_committed up to the high watermark waits until every transaction that
// wrote before it has ended.
package changelog
