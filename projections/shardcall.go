package projections

// shardCall is one call of the shard script: the runs of a chunk's orders
// in one shard, with their writes, over the keys they name. A merged call
// sends the runs' writes summed (the script makes them only if every run
// applies); otherwise each run carries its own, which the script merges
// over the runs that apply (shardSource).
type shardCall struct {
	keys   []string
	keyIx  map[string]int
	runs   []int // per run, in ARGV order: the index of its call in the chunk
	merged bool
	size   int // about how many arguments the call has

	args  []any // unmerged: "R", m, then each run's head and ops
	lenAt int   // unmerged: where the current run's ops length goes

	heads    []any        // merged: per run orderId, first, n
	writes   []*keyWrites // merged: per key, its index in KEYS less one
	rendered []any        // merged: argv, once rendered
}

// keyWrites are the merged writes to one key, made in this order: its
// ZADDs and ZREMs, consecutive ones of a kind as one command; its hash
// deltas summed per field (del: a field that reaches 0 is deleted); its
// expiry.
type keyWrites struct {
	segs   []zseg
	fields []string
	sums   map[string]int64
	del    bool
	expire any
}

type zseg struct {
	op   string
	args []any
}

func newShardCall(k keys, shard int, merged bool) *shardCall {
	s := &shardCall{keys: []string{k.applied(shard)}, keyIx: map[string]int{}, merged: merged}
	if !merged {
		s.args = []any{"R", 0}
	}
	return s
}

// key returns the 1-based index of k in KEYS, adding it.
func (s *shardCall) key(k string) int {
	if i, ok := s.keyIx[k]; ok {
		return i
	}
	s.keys = append(s.keys, k)
	s.keyIx[k] = len(s.keys)
	return len(s.keys)
}

// begin starts the run of call ci: its order, first sequence number and
// events; its ops follow, then end.
func (s *shardCall) begin(ci int, orderID string, first int64, n int) {
	s.runs = append(s.runs, ci)
	s.size += 4
	if s.merged {
		s.heads = append(s.heads, orderID, first, n)
		return
	}
	s.args[1] = len(s.runs)
	s.args = append(s.args, orderID, first, n, 0)
	s.lenAt = len(s.args) - 1
}

func (s *shardCall) end() {
	if !s.merged {
		s.args[s.lenAt] = len(s.args) - s.lenAt - 1
	}
}

// op adds one write of the current run: the command's code (shardSource),
// the key, its arguments after the key.
func (s *shardCall) op(code, key string, args ...any) {
	k := s.key(key)
	s.size += 3 + len(args)
	if !s.merged {
		s.args = append(s.args, code, k, len(args))
		s.args = append(s.args, args...)
		return
	}
	for len(s.writes) < k {
		s.writes = append(s.writes, nil)
	}
	w := s.writes[k-1]
	if w == nil {
		w = &keyWrites{}
		s.writes[k-1] = w
	}
	switch code {
	case "Z", "R":
		if n := len(w.segs); n == 0 || w.segs[n-1].op != code {
			w.segs = append(w.segs, zseg{op: code})
		}
		seg := &w.segs[len(w.segs)-1]
		seg.args = append(seg.args, args...)
	case "H", "C":
		if w.sums == nil {
			w.sums = map[string]int64{}
		}
		for i := 0; i+1 < len(args); i += 2 {
			f := args[i].(string)
			if _, ok := w.sums[f]; !ok {
				w.fields = append(w.fields, f)
			}
			w.sums[f] += toInt64(args[i+1])
		}
		w.del = w.del || code == "C"
	case "E":
		w.expire = args[0]
	}
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	panic("projections: a hash delta is not an integer")
}

// argv is the call's ARGV.
func (s *shardCall) argv() []any {
	if !s.merged {
		return s.args
	}
	if s.rendered != nil {
		return s.rendered
	}
	out := make([]any, 0, s.size+2)
	out = append(out, "M", len(s.runs))
	out = append(out, s.heads...)
	for i, w := range s.writes {
		if w == nil {
			continue
		}
		k := i + 1
		for _, seg := range w.segs {
			out = append(out, seg.op, k, len(seg.args))
			out = append(out, seg.args...)
		}
		if len(w.fields) > 0 {
			code := "H"
			if w.del {
				code = "C"
			}
			at := len(out)
			out = append(out, code, k, 0)
			for _, f := range w.fields {
				if d := w.sums[f]; d != 0 || !w.del {
					out = append(out, f, d)
				}
			}
			if len(out) == at+3 {
				out = out[:at] // every field sums to 0: nothing to write
			} else {
				out[at+2] = len(out) - at - 3
			}
		}
		if w.expire != nil {
			out = append(out, "E", k, 1, w.expire)
		}
	}
	s.rendered = out
	return out
}

// maxShardArgs bounds the arguments of one shard script call (Redis reads
// at most 1,048,576 per command; a script's arguments are Lua strings).
const maxShardArgs = 50_000
