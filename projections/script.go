package projections

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// applySource writes one order's keys; doc.go states its contract. It gets
// a run of consecutive events of one order (sequence numbers first ..
// first+n-1) and appends them with the order's new view only if the run
// starts right after the order's projected version; otherwise it writes
// nothing. Both keys are tagged by the order: one slot.
//
//	KEYS[1] the order hash (fields version, view); KEYS[2] its event list
//	ARGV[1] n, ARGV[2] first, ARGV[3] the view after the run ("" = none),
//	ARGV[4 … 3+n] the events' JSON
//
// It returns {code, projected version}: 0 duplicate (last <= version),
// 1 applied (first == version+1), 2 gap (first > version+1), 3 stale (the
// run overlaps the version, or carries no view: the caller's base view was
// not the projected one).
const applySource = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
local n = tonumber(ARGV[1])
local first = tonumber(ARGV[2])
if n == nil or first == nil or n < 1 then
  return redis.error_reply('orderlog apply: bad run')
end
local last = first + n - 1
if last <= cur then return {0, cur} end
if first > cur + 1 then return {2, cur} end
if first <= cur or ARGV[3] == '' then return {3, cur} end
if #KEYS ~= 2 or #ARGV ~= 3 + n then
  return redis.error_reply('orderlog apply: want 2 keys and ' .. n .. ' events')
end
redis.call('RPUSH', KEYS[2], unpack(ARGV, 4, 3 + n))
redis.call('HSET', KEYS[1], 'version', last, 'view', ARGV[3])
return {1, cur}
`

// shardSource writes one order's share of one shard's indexes and counters
// (doc.go, "The apply scripts"). KEYS[1] is the shard's applied hash
// (orderId -> the last sequence number whose writes the shard has), KEYS[2…]
// the keys the ops name; all carry the shard's tag: one slot.
//
//	ARGV[1] orderId, ARGV[2] first, ARGV[3] n, then ops: code, key index,
//	argc, args…
//	  Z: ZADD key args   R: ZREM key args   H: HINCRBY key field delta
//	  C: HINCRBY key field delta, deleting the field when it reaches 0
//	  E: EXPIREAT key unix-seconds
//
// The ops are the run's writes summed. With a the order's applied seq in the
// shard: last <= a is a duplicate ({0, a}); first > a+1 a gap ({2, a});
// first <= a < last an overlap ({3, a}: the caller sends the run from a+1
// again, with its writes summed from there); first == a+1 applies the ops,
// sets a = last and replies {1, a}. Ops are checked before anything is
// written.
const shardSource = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1])) or 0
local first = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
if n == nil or first == nil or n < 1 then
  return redis.error_reply('orderlog shard: bad run')
end
local last = first + n - 1
if last <= cur then return {0, cur} end
if first > cur + 1 then return {2, cur} end
if first <= cur then return {3, cur} end
local cmds = {Z = 'ZADD', R = 'ZREM', H = 'HINCRBY', C = 'HINCRBY', E = 'EXPIREAT'}
local i = 4
while i <= #ARGV do
  local k, c = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if cmds[ARGV[i]] == nil or k == nil or k < 2 or KEYS[k] == nil or c == nil or c < 1 or i + 2 + c > #ARGV then
    return redis.error_reply('orderlog shard: bad op at ARGV[' .. i .. ']')
  end
  i = i + 3 + c
end
i = 4
while i <= #ARGV do
  local op, k, c = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  local v = redis.call(cmds[op], k, unpack(ARGV, i + 3, i + 2 + c))
  if op == 'C' and v == 0 then redis.call('HDEL', k, ARGV[i + 3]) end
  i = i + 3 + c
end
redis.call('HSET', KEYS[1], ARGV[1], last)
return {1, cur}
`

var (
	applyScript = redis.NewScript(applySource)
	shardScript = redis.NewScript(shardSource)
)

// Script result codes.
const (
	codeDuplicate = 0
	codeApplied   = 1
	codeGap       = 2
	codeStale     = 3
)

// parseReply reads a script's {code, version} reply.
func parseReply(v any) (code, version int64, err error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return 0, 0, fmt.Errorf("apply script replied %#v, want {code, version}", v)
	}
	c, ok1 := arr[0].(int64)
	ver, ok2 := arr[1].(int64)
	if !ok1 || !ok2 || c < codeDuplicate || c > codeStale {
		return 0, 0, fmt.Errorf("apply script replied %#v, want {code, version}", v)
	}
	return c, ver, nil
}
