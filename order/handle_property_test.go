package order_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/orderlog/orderlog/order"
)

// stretchedText are the payload fields stretch fills to Policy.MaxTextLen.
var stretchedText = map[string]bool{"text": true, "reason": true, "description": true, "comment": true, "name": true,
	"recipientName": true, "receivedBy": true, "line1": true, "line2": true, "city": true, "trackingUrl": true, "recipient": true}

// stretchedIDs are the ids of new entities stretch fills to MaxIDLen: the
// state remembers them, so later commands name them as they are.
var stretchedIDs = map[string]bool{"paymentId": true, "reservationId": true, "returnId": true, "refundId": true,
	"notificationId": true, "warehouseId": true, "trackingNumber": true, "carrier": true}

// longOrderID is an orderId at its limit.
var longOrderID = strings.Repeat("o", order.MaxOrderIDLen)

// stretch takes a generated command to the limits: its ids and its free
// text as long as they may be, so sequences of them grow states as fast as
// valid input can.
func stretch(c order.Command) order.Command {
	pad := func(s string, n int) string {
		if s == "" || len(s) >= n {
			return s
		}
		return s + strings.Repeat("~", n-len(s))
	}
	c.OrderID = longOrderID
	c.ID = pad(c.ID+"-", order.MaxIDLen)
	c.UserID = pad("user-", order.MaxIDLen)
	c.CorrelationID = pad("corr-", order.MaxIDLen)
	if c.Data == nil {
		return c
	}
	v := reflect.New(reflect.TypeOf(c.Data)).Elem()
	v.Set(reflect.ValueOf(c.Data))
	var walk func(v reflect.Value, name string)
	walk = func(v reflect.Value, name string) {
		switch v.Kind() {
		case reflect.String:
			switch {
			case stretchedText[name]:
				v.SetString(pad(strings.ReplaceAll(v.String(), "~", "-"), 2000))
			case stretchedIDs[name] && !strings.HasSuffix(v.String(), "~"):
				v.SetString(pad(v.String(), order.MaxIDLen))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				p := reflect.New(v.Type().Elem())
				p.Elem().Set(v.Elem())
				walk(p.Elem(), name)
				v.Set(p)
			}
		case reflect.Slice:
			s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(s, v)
			for i := range s.Len() {
				walk(s.Index(i), name)
			}
			v.Set(s)
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				walk(v.Field(i), n)
			}
		}
	}
	walk(v, "")
	c.Data = v.Interface().(order.CommandData)
	return c
}

// exerciseHandle runs steps generated commands through Handle, resends of
// earlier command ids among them, and checks what Handle promises: every
// event id appears once on the log; a command id handled before gets its
// first result again (DUPLICATE for an accepted one, the same rejection
// for a rejected one) and emits nothing; a state Changed calls unchanged is
// the state given; no state is above the budget; folding the log
// reproduces the state but its memory.
func exerciseHandle(c chooser, steps int, pol order.Policy, limits bool, st *handleStats) error {
	d := order.Decider{Policy: pol}
	var s order.State
	var log []order.Event
	eventIDs := map[string]bool{}
	first := map[string]order.CommandResult{}
	remembered := map[string]bool{}
	for n := range steps {
		cm := genCommand(c, s, n)
		if n == 0 {
			cm.Data, cm.Type = order.CreateOrder{CustomerID: "cust", Currency: "USD"}, order.CmdCreateOrder
		}
		if limits {
			cm = stretch(cm)
		}
		existed := s.Exists()
		next, evs, res := d.Handle(s, cm)
		switch {
		case res.Code == order.CodeLimitExceeded && strings.Contains(res.Message, "budget"):
			st.budget++
		case res.Status == order.ResultRejected && existed && !order.Changed(s, next) && !remembered[cm.ID]:
			st.unremembered++
		}
		if orig, seen := first[cm.ID]; seen && remembered[cm.ID] {
			st.resends++
			want := orig
			if want.Status == order.ResultAccepted {
				want.Status, want.Code, want.Message = order.ResultDuplicate, order.CodeDuplicateCommand, res.Message
			}
			want.CommandType, want.Time = res.CommandType, res.Time
			if !reflect.DeepEqual(want, res) {
				return fmt.Errorf("step %d: resend of %s got\n%+v\nfirst\n%+v", n, cm.ID, res, orig)
			}
			if len(evs) > 0 || order.Changed(s, next) {
				return fmt.Errorf("step %d: resend of %s emitted %d events or changed the state", n, cm.ID, len(evs))
			}
		}
		if !order.Changed(s, next) && !reflect.DeepEqual(s, next) {
			return fmt.Errorf("step %d %s: Changed says no, but the state differs", n, cm.Type)
		}
		if size := order.EncodedSizeBound(next); size > pol.MaxStateBytes {
			return fmt.Errorf("step %d %s: the state takes %d bytes, above the budget of %d", n, cm.Type, size, pol.MaxStateBytes)
		}
		for _, e := range evs {
			if eventIDs[e.ID] {
				return fmt.Errorf("step %d %s: event id %s is on the log twice", n, cm.Type, e.ID)
			}
			eventIDs[e.ID] = true
			if e.Seq != int64(len(log)+1) {
				return fmt.Errorf("step %d %s: event seq %d after %d events", n, cm.Type, e.Seq, len(log))
			}
			log = append(log, e)
		}
		if !remembered[cm.ID] { // the first time, or the first time the order remembers it
			first[cm.ID] = res
			remembered[cm.ID] = res.Status == order.ResultAccepted || existed && next.Handled.Len() > s.Handled.Len()
		}
		s = next
	}
	var folded order.State
	for _, e := range log {
		folded = order.Evolve(folded, e)
	}
	folded.Recent, folded.Handled = nil, s.Handled
	if !reflect.DeepEqual(folded, s) {
		return fmt.Errorf("folding the %d events does not reproduce the state:\nfolded %+v\nstate  %+v", len(log), folded, s)
	}
	if want := len(first); s.Handled.Len() > want {
		return fmt.Errorf("the memory holds %d commands, %d ids were sent", s.Handled.Len(), want)
	}
	return nil
}

// handleStats counts what random sequences reached, so a property test
// whose sequences never resend or never fill a state fails.
type handleStats struct{ resends, budget, unremembered int }

func TestPropertyHandleAnswersEveryCommandIDOnce(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 30
	}
	var st handleStats
	for seed := range runs {
		c := randChooser{rand.New(rand.NewPCG(uint64(seed), 99))}
		if err := exerciseHandle(c, 150, order.DefaultPolicy(), false, &st); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	t.Logf("%+v", st)
	if st.resends < runs {
		t.Errorf("only %d resends were checked", st.resends)
	}
}

// TestPropertyStatesAtTheLimitsStayWithinTheBudget runs sequences of
// commands at the limits (every id and text as long as allowed) under the
// default budget and under a small one that they reach often.
func TestPropertyStatesAtTheLimitsStayWithinTheBudget(t *testing.T) {
	small := order.DefaultPolicy()
	small.MaxStateBytes, small.StateReserveBytes = 48<<10, 8<<10
	runs := 40
	if testing.Short() {
		runs = 5
	}
	for _, pol := range []order.Policy{order.DefaultPolicy(), small} {
		var st handleStats
		for seed := range runs {
			c := randChooser{rand.New(rand.NewPCG(uint64(seed), 7))}
			if err := exerciseHandle(c, 400, pol, true, &st); err != nil {
				t.Fatalf("budget %d, seed %d: %v", pol.MaxStateBytes, seed, err)
			}
		}
		t.Logf("budget %d: %+v", pol.MaxStateBytes, st)
		if pol.MaxStateBytes == small.MaxStateBytes && (st.budget == 0 || st.unremembered == 0) {
			t.Errorf("the small budget was never reached: %+v", st)
		}
	}
}
