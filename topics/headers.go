package topics

// Record headers: the contract between everything that writes and reads
// orderlog's topics (the processor, the saga, the API, orderctl, downstream
// services). Names are lower-case, dash-separated.
const (
	// On order.events: the event type, and the ids that tie it to the
	// request and the command that caused it.
	HeaderEventType     = "event-type"
	HeaderCorrelationID = "correlation-id"
	HeaderCausationID   = "causation-id"
	// On order.command-results and order.commands: the command's type,
	// and (results) its outcome.
	HeaderCommandType = "command-type"
	HeaderStatus      = "status"

	// On the dead-letter topic: why the record is there and where it came
	// from.
	HeaderDLQError     = "dlq-error"
	HeaderDLQTopic     = "dlq-source-topic"
	HeaderDLQPartition = "dlq-source-partition"
	HeaderDLQOffset    = "dlq-source-offset"
	HeaderDLQTime      = "dlq-time"
	// HeaderDLQTimestamp is the source record's own timestamp (RFC 3339);
	// the dead letter is stamped with the time it was written.
	HeaderDLQTimestamp = "dlq-source-timestamp"
	// A dead letter too large to keep whole is a truncated copy: these say
	// so, how large the original key and value were, and their SHA-256
	// (hex) so the original can be matched; its own headers are dropped and
	// counted.
	HeaderDLQTruncated   = "dlq-truncated"
	HeaderDLQValueSize   = "dlq-original-value-size"
	HeaderDLQValueSHA256 = "dlq-original-value-sha256"
	HeaderDLQKeySize     = "dlq-original-key-size"
	HeaderDLQKeySHA256   = "dlq-original-key-sha256"
	HeaderDLQHeaderCount = "dlq-original-header-count"

	// HeaderReroutedFrom marks a record re-produced onto the partition of
	// its key, naming the partition it arrived on.
	HeaderReroutedFrom = "rerouted-from-partition"
)
