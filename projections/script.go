package projections

import (
	"fmt"

	"github.com/redis/go-redis/v9"
)

// applySource is the one script that writes a projection; doc.go states
// its contract. It gets a run of consecutive events of one order (sequence
// numbers first .. first+n-1) and applies all of them, with all their
// writes and the order's new view, only if the run starts right after the
// order's projected version; otherwise it writes nothing:
//
//	KEYS[1]  the order hash (fields version, view); KEYS[2] its event list;
//	KEYS[3…] the keys the ops name by index
//	ARGV[1] n, ARGV[2] first, ARGV[3] the view after the run ("" = none),
//	ARGV[4 … 3+n] the events' JSON, then ops: code, key index, argc, args…
//	  Z: ZADD key args   R: ZREM key args   H: HINCRBY key field delta
//	  C: HINCRBY key field delta, deleting the field when it reaches 0
//	  E: EXPIREAT key unix-seconds
//
// It returns {code, projected version}: 0 duplicate (last <= version),
// 1 applied (first == version+1), 2 gap (first > version+1), 3 stale (the
// run overlaps the version, or carries no view: the caller's base view was
// not the projected one). Ops are checked before anything is written.
const applySource = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
local n = tonumber(ARGV[1])
local first = tonumber(ARGV[2])
local last = first + n - 1
if last <= cur then return {0, cur} end
if first > cur + 1 then return {2, cur} end
if first <= cur or ARGV[3] == '' then return {3, cur} end
local cmds = {Z = 'ZADD', R = 'ZREM', H = 'HINCRBY', C = 'HINCRBY', E = 'EXPIREAT'}
local i = 4 + n
if #KEYS < 2 or n < 1 or #ARGV < i - 1 then
  return redis.error_reply('orderlog apply: want 2 keys and ' .. n .. ' events')
end
while i <= #ARGV do
  local k, c = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if cmds[ARGV[i]] == nil or k == nil or KEYS[k] == nil or c == nil or c < 1 or i + 2 + c > #ARGV then
    return redis.error_reply('orderlog apply: bad op at ARGV[' .. i .. ']')
  end
  i = i + 3 + c
end
redis.call('RPUSH', KEYS[2], unpack(ARGV, 4, 3 + n))
i = 4 + n
while i <= #ARGV do
  local op, k, c = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  local v = redis.call(cmds[op], k, unpack(ARGV, i + 3, i + 2 + c))
  if op == 'C' and v == 0 then redis.call('HDEL', k, ARGV[i + 3]) end
  i = i + 3 + c
end
redis.call('HSET', KEYS[1], 'version', last, 'view', ARGV[3])
return {1, cur}
`

var applyScript = redis.NewScript(applySource)

// Script result codes.
const (
	codeDuplicate = 0
	codeApplied   = 1
	codeGap       = 2
	codeStale     = 3
)

// parseReply reads the script's {code, version} reply.
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
