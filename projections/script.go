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

// shardSource writes the shares of one shard's indexes and counters of a
// chunk's runs whose orders live in that shard (doc.go, "The apply
// scripts"): one call for many orders, so Redis runs one script and one
// command per key the runs touch, not one of each per run. KEYS[1] is the
// shard's applied hash (orderId -> the last sequence number whose writes
// the shard has), KEYS[2…] the keys the ops name; all carry the shard's
// tag: one slot.
//
//	ARGV[1] mode, ARGV[2] m, the runs; then
//	  mode M (merged): per run orderId, first, n; then the ops of all the
//	    runs, merged as below;
//	  mode R (runs): per run orderId, first, n, len (of its ops), its ops.
//	An op: code, key index, argc, args…
//	  Z: ZADD key score member…   R: ZREM key member…
//	  H: HINCRBY key field delta (pairs)
//	  C: as H, deleting a field that reaches 0   E: EXPIREAT key unix-seconds
//
// The runs are judged in order, each against its order's applied seq a as
// the runs before it left it: last <= a is a duplicate ({0, a}); first >
// a+1 a gap ({2, a}); first <= a < last an overlap ({3, a}: the caller
// sends the run from a+1 again, with its writes summed from there); first
// == a+1 applies ({1, a}) and sets a = last. A merged call writes only if
// every run applies, else nothing (the caller then sends the runs in mode
// R). In mode R the writes of the runs that apply are merged here. Merged
// means: per key, consecutive ZADDs (or ZREMs) are one command, in the
// runs' order (so a member added by one run and removed by the next ends
// removed); hash deltas are summed per field, a C field that sums to 0 is
// left as it is (it ends where it began), one that reaches 0 is deleted.
// Every op is checked before anything is written. It replies {code, a} per
// run, flattened.
const shardSource = `
local mode, m = ARGV[1], tonumber(ARGV[2])
if (mode ~= 'M' and mode ~= 'R') or m == nil or m < 1 then
  return redis.error_reply('orderlog shard: bad run count')
end
local cmds = {Z = 'ZADD', R = 'ZREM', H = 'HINCRBY', C = 'HINCRBY', E = 'EXPIREAT'}
local function check(j, stop)
  while j <= stop do
    local op, k, c = ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
    if cmds[op] == nil or k == nil or k < 2 or KEYS[k] == nil or c == nil or c < 1 or j + 2 + c > stop
      or (op == 'E' and c ~= 1) or ((op == 'H' or op == 'C') and c % 2 ~= 0) then
      return 'orderlog shard: bad op at ARGV[' .. j .. ']'
    end
    if op == 'H' or op == 'C' then
      for x = j + 4, j + 2 + c, 2 do
        if tonumber(ARGV[x]) == nil then
          return 'orderlog shard: bad op at ARGV[' .. j .. ']'
        end
      end
    end
    j = j + 3 + c
  end
  return nil
end
local runs, ids, cur = {}, {}, {}
local head = 4
if mode == 'M' then head = 3 end
local i = 3
for r = 1, m do
  local first, n, len = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), 0
  if mode == 'R' then len = tonumber(ARGV[i + 3]) end
  if ARGV[i] == nil or first == nil or n == nil or n < 1 or len == nil or len < 0 or i + head - 1 + len > #ARGV then
    return redis.error_reply('orderlog shard: bad run at ARGV[' .. i .. ']')
  end
  local stop = i + head - 1 + len
  local err = check(i + head, stop)
  if err then return redis.error_reply(err) end
  runs[r] = {ARGV[i], first, n, i + head, stop}
  if cur[ARGV[i]] == nil then
    cur[ARGV[i]] = 0
    ids[#ids + 1] = ARGV[i]
  end
  i = stop + 1
end
local ops = i
if mode == 'M' then
  local err = check(ops, #ARGV)
  if err then return redis.error_reply(err) end
elseif i ~= #ARGV + 1 then
  return redis.error_reply('orderlog shard: ' .. (#ARGV - i + 1) .. ' arguments after the last run')
end
local slice = 1000
for s = 1, #ids, slice do
  local got = redis.call('HMGET', KEYS[1], unpack(ids, s, math.min(s + slice - 1, #ids)))
  for x = 1, #got do
    cur[ids[s + x - 1]] = tonumber(got[x]) or 0
  end
end
local out, applied, all = {}, {}, true
local zs, hs, hf, hdel, exp = {}, {}, {}, {}, {}
for r = 1, m do
  local id, first, n = runs[r][1], runs[r][2], runs[r][3]
  local a, last = cur[id], first + n - 1
  local code = 1
  if last <= a then code = 0 elseif first > a + 1 then code = 2 elseif first <= a then code = 3 end
  out[#out + 1], out[#out + 2] = code, a
  all = all and code == 1
  if code == 1 then
    local j, stop = runs[r][4], runs[r][5]
    while j <= stop do
      local op, k, c = ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
      if op == 'Z' or op == 'R' then
        local segs = zs[k]
        if segs == nil then segs = {}; zs[k] = segs end
        local top = segs[#segs]
        if top == nil or top[1] ~= op then top = {op}; segs[#segs + 1] = top end
        for x = j + 3, j + 2 + c do top[#top + 1] = ARGV[x] end
      elseif op == 'H' or op == 'C' then
        local h = hs[k]
        if h == nil then h = {}; hs[k] = h; hf[k] = {} end
        for x = j + 3, j + 2 + c, 2 do
          local f = ARGV[x]
          if h[f] == nil then h[f] = 0; hf[k][#hf[k] + 1] = f end
          h[f] = h[f] + tonumber(ARGV[x + 1])
        end
        if op == 'C' then hdel[k] = true end
      else
        exp[k] = ARGV[j + 3]
      end
      j = j + 3 + c
    end
    cur[id] = last
    applied[#applied + 1], applied[#applied + 2] = id, last
  end
end
if mode == 'M' and not all then return out end
local function many(cmd, key, args, from, to)
  while from <= to do
    local upto = math.min(from + slice - 1, to)
    redis.call(cmd, key, unpack(args, from, upto))
    from = upto + 1
  end
end
if mode == 'M' then
  local j = ops
  while j <= #ARGV do
    local op, k, c = ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
    if op == 'H' or op == 'C' then
      for x = j + 3, j + 2 + c, 2 do
        local v = redis.call('HINCRBY', KEYS[k], ARGV[x], ARGV[x + 1])
        if op == 'C' and v == 0 then redis.call('HDEL', KEYS[k], ARGV[x]) end
      end
    else
      many(cmds[op], KEYS[k], ARGV, j + 3, j + 2 + c)
    end
    j = j + 3 + c
  end
end
for k = 2, #KEYS do
  if zs[k] then
    for _, seg in ipairs(zs[k]) do many(cmds[seg[1]], KEYS[k], seg, 2, #seg) end
  end
  if hs[k] then
    for _, f in ipairs(hf[k]) do
      local d = hs[k][f]
      if d ~= 0 or not hdel[k] then
        local v = redis.call('HINCRBY', KEYS[k], f, string.format('%d', d))
        if hdel[k] and v == 0 then redis.call('HDEL', KEYS[k], f) end
      end
    end
  end
  if exp[k] then redis.call('EXPIREAT', KEYS[k], exp[k]) end
end
if #applied > 0 then many('HSET', KEYS[1], applied, 1, #applied) end
return out
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

// parseRunsReply reads the shard script's reply: {code, version} for each
// of its n runs, flattened.
func parseRunsReply(v any, n int) ([][2]int64, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != 2*n {
		return nil, fmt.Errorf("shard script replied %d values, want {code, version} for %d runs", len(arr), n)
	}
	out := make([][2]int64, n)
	for i := range out {
		c, v, err := parseReply(arr[2*i : 2*i+2])
		if err != nil {
			return nil, err
		}
		out[i] = [2]int64{c, v}
	}
	return out, nil
}

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
