package stream_test

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/stream"
)

// A binding is a topology: inputs and their codecs, a pure handler, the
// state's changelog, outputs and a dead-letter topic. Here, a counter per
// key; the Tester runs it without Kafka.
func ExampleTopology() {
	counter := stream.Topology[int, string]{
		Name:   "counter",
		Inputs: []stream.Input[string]{{Topic: "clicks", Decode: func(r *kgo.Record) (string, error) { return string(r.Value), nil }}},
		Handle: func(m stream.Msg[string], n int) (stream.Out[int], error) {
			n++
			return stream.Out[int]{State: n, Save: true,
				Records: []stream.Record{{Topic: "totals", Value: []byte(m.Input + " " + strconv.Itoa(n))}}}, nil
		},
		State: stream.Changelog[int]{Topic: "counter-state",
			Encode: func(n int) ([]byte, error) { return []byte(strconv.Itoa(n)), nil },
			Decode: func(b []byte) (int, error) { return strconv.Atoi(string(b)) }},
		Outputs:     []string{"totals"},
		DeadLetters: "counter-dlq",
	}
	t, err := stream.NewTester(counter, stream.TesterOptions{})
	if err != nil {
		panic(err)
	}
	for _, page := range []string{"home", "cart", "home"} {
		if err := t.Send("clicks", "visitor-1", []byte(page)); err != nil {
			panic(err)
		}
	}
	for _, r := range t.Records("totals") {
		fmt.Println(string(r.Key), string(r.Value))
	}
	n, _ := t.State("visitor-1")
	fmt.Println("state:", n)
	// Output:
	// visitor-1 home 1
	// visitor-1 cart 2
	// visitor-1 home 3
	// state: 3
}
