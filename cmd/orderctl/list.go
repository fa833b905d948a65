package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// orderSummary is one order of an order list, as --output json prints it.
type orderSummary struct {
	OrderID    string       `json:"orderId"`
	Number     string       `json:"orderNumber,omitempty"`
	CustomerID string       `json:"customerId"`
	Status     order.Status `json:"status"`
	Version    int64        `json:"version"`
	Currency   string       `json:"currency"`
	Total      int64        `json:"total"` // minor units
	CreatedAt  time.Time    `json:"createdAt"`
	UpdatedAt  time.Time    `json:"updatedAt"`
}

func summaryOf(v projections.View) orderSummary {
	return orderSummary{OrderID: v.OrderID, Number: v.OrderNumber, CustomerID: v.CustomerID, Status: v.Status,
		Version: v.Version, Currency: v.Currency, Total: v.Totals.Total, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

// parseStatus returns the status named s (any case).
func parseStatus(s string) (order.Status, error) {
	for _, st := range order.Statuses {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("--status %q is not a status; use one of %s", s, statusNames())
}

func init() {
	var customer, status string
	var limit int
	register(&command{
		path:  "order list",
		short: "list orders from the read models (Redis), newest first: by customer, status or all",
		long: `Lists the orders of --customer, or those now in --status, or with neither every
order, newest created first, up to --limit (0: no limit). With both, the
customer's orders now in that status. The table shows each order's id, status,
customer, total (its currency's decimal amount) and last update; --output json prints an
array of {orderId, orderNumber, customerId, status, version, currency, total
(minor units), createdAt, updatedAt}.`,
		example: "  orderctl order list --customer cust-1\n  orderctl order list --status PLACED --limit 20 --output json",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&customer, "customer", "", "the orders of this customer id")
			fs.StringVar(&status, "status", "", "the orders now in this status: "+statusNames())
			fs.IntVar(&limit, "limit", 100, "list at most this many orders (0: all)")
		},
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			var st order.Status
			if status != "" {
				var err error
				if st, err = parseStatus(status); err != nil {
					fmt.Fprintf(e.stderr, "orderctl order list: %v\n", err)
					return exitUsage
				}
			}
			if limit < 0 {
				fmt.Fprintf(e.stderr, "orderctl order list: --limit %d: want 0 (all) or more\n", limit)
				return exitUsage
			}
			r, done, err := g.reader(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl order list: %v\n", err)
				return exitError
			}
			defer done()
			views, err := listOrders(ctx, r, customer, st, limit)
			if err != nil {
				return readErr(e, "order list", err)
			}
			rows := make([]orderSummary, len(views))
			for i, v := range views {
				rows[i] = summaryOf(v)
			}
			if g.Output == "json" {
				printJSON(e.stdout, rows)
				return exitOK
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ORDER ID\tSTATUS\tCUSTOMER\tTOTAL\tUPDATED")
			for _, s := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.OrderID, s.Status, s.CustomerID, order.FormatMoney(s.Total, s.Currency), s.UpdatedAt.UTC().Format(time.RFC3339))
			}
			_ = tw.Flush()
			fmt.Fprintf(e.stdout, "%d order(s)\n", len(rows))
			return exitOK
		},
	})
}

func statusNames() string {
	names := make([]string, len(order.Statuses))
	for i, st := range order.Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// listOrders pages through the orders of customer (if set) now in status (if
// set), newest first, until limit (0: all) or the last page.
func listOrders(ctx context.Context, r *projections.Reader, customer string, status order.Status, limit int) ([]projections.View, error) {
	next := func(cursor string, n int) (projections.Page, error) {
		switch {
		case customer != "":
			return r.OrdersByCustomer(ctx, customer, cursor, n)
		case status != "":
			return r.OrdersByStatus(ctx, status, cursor, n)
		default:
			return r.Orders(ctx, cursor, n)
		}
	}
	var out []projections.View
	cursor := ""
	for {
		n := 1000 // the readers' largest page
		if limit > 0 {
			n = min(n, limit-len(out))
		}
		pg, err := next(cursor, n)
		if err != nil {
			return nil, err
		}
		for _, v := range pg.Orders {
			// By customer, the status is filtered here; a page may
			// then hold fewer matches than asked for, and the loop
			// reads on.
			if status == "" || v.Status == status {
				out = append(out, v)
			}
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
		if pg.Next == "" {
			return out, nil
		}
		cursor = pg.Next
	}
}
