package stream

// SetSessionCreated makes m call f right after each session's client is
// created, before the session goroutine goes on; f runs on that goroutine.
func SetSessionCreated[S, I any](m *Member[S, I], f func()) { m.sessionCreated = f }

// Joined reports whether the group assigned m its partitions in the current
// session (OnPartitionsAssigned completed).
func Joined[S, I any](m *Member[S, I]) bool { return m.joined.Load() }

// ListTopicsSettled is listTopicsSettled, for the tests.
var ListTopicsSettled = listTopicsSettled
