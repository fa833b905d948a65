package processor

// SetSessionCreated makes p call f right after each session's client is
// created, before the session goroutine goes on; f runs on that goroutine.
func SetSessionCreated(p *Processor, f func()) { p.sessionCreated = f }

// Joined reports whether the group assigned p its partitions in the current
// session (OnPartitionsAssigned completed).
func Joined(p *Processor) bool { return p.joined.Load() }
