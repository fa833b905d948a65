// Package dashboard is orderlog's live dashboard: a page served by the api
// role at /dashboard and the snapshot behind it, GET /api/v1/dashboard.
//
// # Data flow
//
//	browser ──GET /dashboard──▶ index.html, dashboard.js, dashboard.css (embed.FS, no token, no data)
//	   │
//	   └─ every 2 s ──GET /api/v1/dashboard (bearer JWT, admin or service)──▶ Collect
//	                      ├─ projections.Reader.Counters: orders per status, revenue per
//	                      │  currency per UTC day, events per minute (last hour)   (Redis)
//	                      ├─ projections.Reader.Orders: the RecentLimit newest orders (Redis)
//	                      ├─ Queues: projection lag, DLQ size                       (Kafka)
//	                      └─ Charts: the last hour, if Queues is a Sampler          (memory)
//
// The page draws the events-per-minute chart itself as SVG (one bar per
// minute with events) and links each recent order to /dashboard?order=ID.
// There is no build step, no CDN and no inline script: the files are
// embedded in the binary and served with Content-Security-Policy
// default-src 'self'.
//
// # Charts
//
// Commands/s, p99 command→result and projection lag over the last hour
// come from a Sampler, kept in memory by each API process (not in Redis:
// the projector is the only writer of the read models, and a sample is
// about the process that took it). The Sampler reads every command result
// (read_committed, no group, from the end of order.command-results when
// it starts, as api.KafkaResults does) and closes a point every 10 s: how
// many results it read (one per command the processor handled), the 99th
// percentile of command→result in a histogram of buckets 10% apart (from
// the result's record timestamp, which the processor sets to its
// command's log time, to when the process read it: what a client waiting
// for the result sees), and the projection lag sampled from its Queues at
// that moment. So the charts begin when the process started; a restart
// empties them. The Sampler is the Queues of the snapshot too (it passes
// lag and DLQ size through), so wiring it takes no api change:
//
//	queues := dashboard.NewKafkaQueuesCounting(producer, n.Events, n.DLQ, group)
//	sampler, err := dashboard.NewSampler(dashboard.SamplerConfig{Brokers: brokers,
//		ClientOpts: opts, Results: n.Results, Queues: queues, Logger: log})
//	api.Config{..., Queues: sampler}  // and go sampler.Run(ctx) while it serves
//
// Without one the snapshot's charts are null and Problems says so.
//
// # Support
//
// The overview also lists the orders that need a person, from
// GET /api/v1/attention (admin only; projections.Attention says what each
// kind is derived from): one row per order, its reasons most urgent first,
// the age of the most urgent, a link to the order. The order's page
// (/dashboard?order=ID) shows its status, payment, approval, flags and
// notes (GET /api/v1/orders/{id}), why it needs attention, its events, and
// five support actions, each a POST of the API with a fresh
// Idempotency-Key: approve (/approval), flag (/flags), admin note (/notes,
// kind admin), cancel (/cancellation) and refund (/refunds). The page
// shows the answer: the new version and status, or the API's refusal as
// it came (code: message, field), and reads the order again. A person's
// admin note is also how a flag that holds nothing, or the saga's "needs
// a person" note, is acknowledged and leaves the list.
//
// # Auth
//
// The page files are public; the numbers are not. The page takes a token
// from its URL fragment, /dashboard#token=<JWT> (a fragment never reaches
// a server or its logs), keeps it in sessionStorage, removes it from the
// address bar and sends it as a bearer token; without one, or on 401/403,
// it asks for one. api.Token makes one; dev mode's admin token works.
//
// # The numbers
//
// Orders per status, revenue and events per minute are the projector's
// counters, kept in 16 shards so that they run on Redis Cluster too
// (projections/doc.go: stats:{shard}:...), written by the shard script of
// each run of an order's events and summed over the shards on read, so
// they are as current as the projection. Projection lag and DLQ size come
// from Queues (KafkaQueues). Offsets alone overcount both: the processor
// writes events and dead letters in transactions, and each commit takes an
// offset of every partition it wrote (a marker no reader sees), so an idle
// partition whose projector committed everything lags 1 and one dead
// letter counts 2. NewKafkaQueuesCounting therefore counts records: it
// reads the batch headers of the ranges in question with raw
// read_committed fetches from the partition leaders (internal/records; markers
// and aborted batches skipped, nothing decompressed), from the projector's
// committed offset to the last stable offset for the lag, from the start
// offset for the DLQ; a range of more than MaxCounted offsets is counted
// in offsets and shown as an upper bound. NewKafkaQueues (kadm only) keeps
// the offsets. An api.Config without Queues, or a Kafka error, leaves them
// null and says why in Problems, which the page lists.
//
// # Tests
//
// TestDashboardShowsANewOrderInChromium builds cmd/orderd, runs it with
// --dev, creates an order through the API and drives Debian's chromium
// (/usr/bin/chromium, or $ORDERLOG_CHROMIUM; installed by
// scripts/testbed/deps.sh, never downloaded) with chromedp: the order
// appears, the page's numbers equal dev mode's Redis read with a Reader,
// the chart has bars, lag and DLQ size are counted in records and the
// charts of the last hour draw the Sampler's first point, the history
// link works; it saves dashboard.png to
// $ORDERLOG_ARTIFACTS (or the test's artifact directory) and stops orderd
// with SIGTERM, wanting exit status 0.
// TestAdminApprovesAHeldOrderFromTheDashboardInChromium flags an order
// with a hold through the API, finds it on the needs-attention list with
// its reason and age, follows the link, submits a refund the API refuses
// (the page shows the API's own message) and approves the order from its
// page: the page, the projection and the list then agree it is approved
// and off the list. TestChartsDrawTheSamplesInChromium serves the page
// with a stub snapshot whose charts have a gap and checks each chart's
// points, line breaks and last value. All three skip only when chromium is
// missing.
package dashboard
