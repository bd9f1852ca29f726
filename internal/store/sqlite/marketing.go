package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var _ store.Marketing = (*Store)(nil)
var _ store.MarketingTx = (*tx)(nil)

// Lists of customers are bound as one JSON array and read with json_each,
// so every query is prepared once whatever the length of the list.
var (
	sqlContacts = rq(`SELECT seq, customer_id, channel, kind, campaign, step, offer, at, detail FROM contacts
WHERE customer_id = ? AND at >= ? ORDER BY at DESC, seq DESC LIMIT ?`)
	sqlTouches = rq(`SELECT customer_id, channel, at FROM contacts
WHERE customer_id IN (SELECT value FROM json_each(?1)) AND kind = 'sent' AND at >= ?2
UNION ALL
SELECT customer_id, channel, created_at FROM deliveries
WHERE customer_id IN (SELECT value FROM json_each(?1)) AND state = 'pending' AND created_at >= ?2`)
	sqlConsentsOf = rq(`SELECT customer_id, status, at, source FROM consents
WHERE channel = ?1 AND customer_id IN (SELECT value FROM json_each(?2))`)
	sqlAddressesOf = rq(`SELECT customer_id, value FROM identities
WHERE kind = ?1 AND customer_id IN (SELECT value FROM json_each(?2)) ORDER BY customer_id, first_seen DESC, value DESC`)
	sqlAttributeOf = rq(`SELECT customer_id, value FROM attributes
WHERE name = ?1 AND customer_id IN (SELECT value FROM json_each(?2))`)
	sqlSuppressionsOf = rq(`SELECT customer_id, channel, reason, at FROM suppressions
WHERE customer_id IN (SELECT value FROM json_each(?))`)
	sqlDeliveries = rq(`SELECT campaign, customer_id, step, channel, offer, code, state, attempts, reason, created_at, updated_at
FROM deliveries WHERE campaign = ?1 AND (?2 = '' OR state = ?2) ORDER BY customer_id, step`)
	sqlDeliveriesOf = rq(`SELECT campaign, customer_id, step, channel, offer, code, state, attempts, reason, created_at, updated_at
FROM deliveries WHERE campaign = ?1 AND step = ?2 AND customer_id IN (SELECT value FROM json_each(?3))`)
	sqlDeliveryCounts     = rq(`SELECT state, COUNT(*) FROM deliveries WHERE campaign = ? GROUP BY state`)
	sqlDeliveredCustomers = rq(`SELECT customer_id FROM deliveries WHERE campaign = ? AND step = ? ORDER BY customer_id`)
	sqlOfferUse           = rq(`SELECT count, cost FROM offer_use WHERE offer = ?`)
	sqlIssuedTo           = rq(`SELECT customer_id, COUNT(*) FROM issues
WHERE offer = ?1 AND customer_id IN (SELECT value FROM json_each(?2)) GROUP BY customer_id`)
	sqlOfferUses   = rq(`SELECT offer, count, cost FROM offer_use`)
	sqlIssuesOf    = rq(`SELECT offer, COUNT(*) FROM issues WHERE customer_id = ? GROUP BY offer`)
	sqlCampaignRun = rq(`SELECT state, audience, size, launched_at, updated_at FROM campaign_runs WHERE campaign = ?`)
	sqlCallTasks   = rq(`SELECT id, campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at
FROM call_tasks WHERE (?1 = '' OR campaign = ?1) AND (?2 = '' OR state = ?2) ORDER BY id`)
	sqlCallTask = rq(`SELECT id, campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at
FROM call_tasks WHERE id = ?`)

	sqlUpdateDelivery = wq(`UPDATE deliveries SET state = ?4, attempts = ?5, reason = ?6, updated_at = ?7
WHERE campaign = ?1 AND customer_id = ?2 AND step = ?3`)
	sqlPutSuppression = wq(`INSERT INTO suppressions (customer_id, channel, reason, at) VALUES (?, ?, ?, ?)
ON CONFLICT (customer_id, channel) DO UPDATE SET reason = excluded.reason, at = excluded.at`)
	sqlAddIssue = wq(`INSERT INTO issues (offer, customer_id, campaign, step, code, cost, at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`)
	sqlAddOfferUseN = wq(`INSERT INTO offer_use (offer, count, cost) VALUES (?1, ?2, ?3)
ON CONFLICT (offer) DO UPDATE SET count = count + ?2, cost = cost + ?3`)
	sqlPutCampaignRun = wq(`INSERT INTO campaign_runs (campaign, state, audience, size, launched_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (campaign) DO UPDATE SET state = excluded.state, audience = excluded.audience, size = excluded.size,
	launched_at = excluded.launched_at, updated_at = excluded.updated_at`)
	sqlInsertCallTask = wq(`INSERT INTO call_tasks (campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign, customer_id) DO NOTHING`)
	sqlCallTaskID     = rq(`SELECT id FROM call_tasks WHERE campaign = ? AND customer_id = ?`)
	sqlUpdateCallTask = wq(`UPDATE call_tasks SET offer = ?2, script = ?3, assignee = ?4, state = ?5, result = ?6, callback_at = ?7,
	note = ?8, updated_at = ?9 WHERE id = ?1`)

	// MergeCustomers moves the contact history and suppressions of the
	// merged customer; deliveries, issues and call tasks stay as they were
	// made.
	sqlMergeContacts      = wq(`UPDATE contacts SET customer_id = ?1 WHERE customer_id = ?2`)
	sqlMergeSuppressions  = wq(`UPDATE OR IGNORE suppressions SET customer_id = ?1 WHERE customer_id = ?2`)
	sqlDeleteSuppressions = wq(`DELETE FROM suppressions WHERE customer_id = ?`)
)

// Bulk statements of the dispatch path (see tx.insertRows).
var (
	contactsBulk = newBulkInsert(`INSERT INTO contacts (customer_id, channel, kind, campaign, step, offer, at, detail) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?)", "", 8)
	deliveriesBulk = newBulkInsert(`INSERT OR IGNORE INTO deliveries (campaign, customer_id, step, channel, offer, code, state, attempts, reason, created_at, updated_at) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "", 11)
	issuesBulk = newBulkInsert(`INSERT OR IGNORE INTO issues (offer, customer_id, campaign, step, code, cost, at) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?)", "", 7)
	// UPDATE ... FROM a list of values: one statement per chunk of rows.
	deliveryUpdates = newBulkInsert(`UPDATE deliveries SET state = v.column4, attempts = v.column5, reason = v.column6, updated_at = v.column7 FROM (VALUES `,
		"(?, ?, ?, ?, ?, ?, ?)", `) AS v WHERE deliveries.campaign = v.column1 AND deliveries.customer_id = v.column2 AND deliveries.step = v.column3`, 7)
)

// idList renders ids as a JSON array for json_each.
func idList(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// UpdateMarketing runs fn in one write transaction.
func (s *Store) UpdateMarketing(ctx context.Context, fn func(tx store.MarketingTx) error) error {
	return s.update(ctx, func(t *tx) error { return fn(t) })
}

func scanContact(rows *sql.Rows) (store.Contact, error) {
	var c store.Contact
	var at int64
	err := rows.Scan(&c.Seq, &c.CustomerID, &c.Channel, &c.Kind, &c.Campaign, &c.Step, &c.Offer, &at, &c.Detail)
	c.At = fromMicro(at)
	return c, err
}

func (r reader) Contacts(ctx context.Context, customerID int64, since time.Time, limit int) ([]store.Contact, error) {
	return list(ctx, r.q, "contacts", sqlContacts, scanContact, customerID, lowerBound(since), sqlLimit(limit))
}

func (r reader) Touches(ctx context.Context, ids []int64, since time.Time) ([]store.Touch, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return list(ctx, r.q, "touches", sqlTouches, func(rows *sql.Rows) (store.Touch, error) {
		var t store.Touch
		var at int64
		err := rows.Scan(&t.CustomerID, &t.Channel, &at)
		t.At = fromMicro(at)
		return t, err
	}, idList(ids), lowerBound(since))
}

func (r reader) ConsentsOf(ctx context.Context, channel string, ids []int64) (map[int64]store.Consent, error) {
	out := make(map[int64]store.Consent)
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := list(ctx, r.q, "consents", sqlConsentsOf, func(rows *sql.Rows) (store.Consent, error) {
		c := store.Consent{Channel: channel}
		var at int64
		err := rows.Scan(&c.CustomerID, &c.Status, &at, &c.Source)
		c.At = fromMicro(at)
		return c, err
	}, channel, idList(ids))
	for _, c := range cs {
		out[c.CustomerID] = c
	}
	return out, err
}

// scanMap runs a query of (key, value) rows into a map; a later row of a
// key replaces an earlier one.
func scanMap[K comparable, V any](ctx context.Context, q querier, what, query string, args ...any) (map[K]V, error) {
	type kv struct {
		k K
		v V
	}
	rows, err := list(ctx, q, what, query, func(rows *sql.Rows) (kv, error) {
		var x kv
		return x, rows.Scan(&x.k, &x.v)
	}, args...)
	out := make(map[K]V, len(rows))
	for _, x := range rows {
		out[x.k] = x.v
	}
	return out, err
}

func (r reader) AddressesOf(ctx context.Context, kind string, ids []int64) (map[int64]string, error) {
	if len(ids) == 0 {
		return map[int64]string{}, nil
	}
	return scanMap[int64, string](ctx, r.q, "addresses", sqlAddressesOf, kind, idList(ids))
}

func (r reader) AttributeOf(ctx context.Context, name string, ids []int64) (map[int64]string, error) {
	if len(ids) == 0 {
		return map[int64]string{}, nil
	}
	return scanMap[int64, string](ctx, r.q, "attribute "+name, sqlAttributeOf, name, idList(ids))
}

func (r reader) SuppressionsOf(ctx context.Context, ids []int64) ([]store.Suppression, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return list(ctx, r.q, "suppressions", sqlSuppressionsOf, func(rows *sql.Rows) (store.Suppression, error) {
		var s store.Suppression
		var at int64
		err := rows.Scan(&s.CustomerID, &s.Channel, &s.Reason, &at)
		s.At = fromMicro(at)
		return s, err
	}, idList(ids))
}

func scanDelivery(rows *sql.Rows) (store.Delivery, error) {
	var d store.Delivery
	var c, u int64
	err := rows.Scan(&d.Campaign, &d.CustomerID, &d.Step, &d.Channel, &d.Offer, &d.Code, &d.State, &d.Attempts, &d.Reason, &c, &u)
	d.CreatedAt, d.UpdatedAt = fromMicro(c), fromMicro(u)
	return d, err
}

func (r reader) Deliveries(ctx context.Context, campaign, state string) ([]store.Delivery, error) {
	return list(ctx, r.q, "deliveries", sqlDeliveries, scanDelivery, campaign, state)
}

func (r reader) DeliveriesOf(ctx context.Context, campaign, step string, ids []int64) (map[int64]store.Delivery, error) {
	out := map[int64]store.Delivery{}
	if len(ids) == 0 {
		return out, nil
	}
	ds, err := list(ctx, r.q, "deliveries", sqlDeliveriesOf, scanDelivery, campaign, step, idList(ids))
	for _, d := range ds {
		out[d.CustomerID] = d
	}
	return out, err
}

func (r reader) DeliveryCounts(ctx context.Context, campaign string) (map[string]int64, error) {
	return scanMap[string, int64](ctx, r.q, "delivery counts", sqlDeliveryCounts, campaign)
}

func (r reader) DeliveredCustomers(ctx context.Context, campaign, step string) ([]int64, error) {
	return list(ctx, r.q, "delivered customers", sqlDeliveredCustomers, func(rows *sql.Rows) (int64, error) {
		var id int64
		return id, rows.Scan(&id)
	}, campaign, step)
}

func (r reader) OfferUse(ctx context.Context, offer string) (store.OfferUse, error) {
	var u store.OfferUse
	err := r.q.QueryRowContext(ctx, sqlOfferUse, offer).Scan(&u.Count, &u.Cost)
	if errors.Is(err, sql.ErrNoRows) {
		return store.OfferUse{}, nil
	}
	if err != nil {
		return u, fmt.Errorf("offer use of %q: %w", offer, err)
	}
	return u, nil
}

func (r reader) IssuedTo(ctx context.Context, offer string, ids []int64) (map[int64]int, error) {
	if len(ids) == 0 {
		return map[int64]int{}, nil
	}
	return scanMap[int64, int](ctx, r.q, "issues", sqlIssuedTo, offer, idList(ids))
}

func (r reader) OfferUses(ctx context.Context) (map[string]store.OfferUse, error) {
	type row struct {
		offer string
		use   store.OfferUse
	}
	rows, err := list(ctx, r.q, "offer use", sqlOfferUses, func(rows *sql.Rows) (row, error) {
		var x row
		return x, rows.Scan(&x.offer, &x.use.Count, &x.use.Cost)
	})
	out := make(map[string]store.OfferUse, len(rows))
	for _, x := range rows {
		out[x.offer] = x.use
	}
	return out, err
}

func (r reader) IssuesOf(ctx context.Context, customerID int64) (map[string]int, error) {
	return scanMap[string, int](ctx, r.q, "issues", sqlIssuesOf, customerID)
}

func (r reader) CampaignRun(ctx context.Context, campaign string) (store.CampaignRun, error) {
	run := store.CampaignRun{Campaign: campaign}
	var l, u int64
	err := r.q.QueryRowContext(ctx, sqlCampaignRun, campaign).Scan(&run.State, &run.Audience, &run.Size, &l, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return store.CampaignRun{}, fmt.Errorf("campaign run %q: %w", campaign, store.ErrNotFound)
	}
	if err != nil {
		return store.CampaignRun{}, fmt.Errorf("campaign run %q: %w", campaign, err)
	}
	run.LaunchedAt, run.UpdatedAt = fromMicro(l), fromMicro(u)
	return run, nil
}

func scanCallTask(row interface{ Scan(...any) error }) (store.CallTask, error) {
	var t store.CallTask
	var cb, c, u int64
	err := row.Scan(&t.ID, &t.Campaign, &t.CustomerID, &t.Offer, &t.Script, &t.Assignee, &t.State, &t.Result, &cb, &t.Note, &c, &u)
	if cb != 0 {
		t.CallbackAt = fromMicro(cb)
	}
	t.CreatedAt, t.UpdatedAt = fromMicro(c), fromMicro(u)
	return t, err
}

func (r reader) CallTasks(ctx context.Context, campaign, state string) ([]store.CallTask, error) {
	return list(ctx, r.q, "call tasks", sqlCallTasks, func(rows *sql.Rows) (store.CallTask, error) { return scanCallTask(rows) }, campaign, state)
}

func (r reader) CallTask(ctx context.Context, id int64) (store.CallTask, error) {
	t, err := scanCallTask(r.q.QueryRowContext(ctx, sqlCallTask, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("call task %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("call task %d: %w", id, err)
	}
	return t, nil
}

func (t *tx) AddContacts(ctx context.Context, cs []store.Contact) error {
	// rowids of one statement are consecutive: the last one gives them all
	_, err := t.insertRows(ctx, contactsBulk, len(cs), func(args []driver.NamedValue, from, to int) {
		for i, c := range cs[from:to] {
			a := args[i*8:]
			a[0].Value, a[1].Value, a[2].Value, a[3].Value = c.CustomerID, c.Channel, c.Kind, c.Campaign
			a[4].Value, a[5].Value, a[6].Value, a[7].Value = c.Step, c.Offer, micro(c.At), c.Detail
		}
	}, func(from, to int, res driver.Result) error {
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for i := from; i < to; i++ {
			cs[i].Seq = last - int64(to-1-i)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add %d contacts: %w", len(cs), err)
	}
	return nil
}

func (t *tx) PutDeliveries(ctx context.Context, ds []store.Delivery) (int, error) {
	n, err := t.insertRows(ctx, deliveriesBulk, len(ds), func(args []driver.NamedValue, from, to int) {
		for i, d := range ds[from:to] {
			a := args[i*11:]
			a[0].Value, a[1].Value, a[2].Value, a[3].Value, a[4].Value, a[5].Value = d.Campaign, d.CustomerID, d.Step, d.Channel, d.Offer, d.Code
			a[6].Value, a[7].Value, a[8].Value, a[9].Value, a[10].Value = d.State, int64(d.Attempts), d.Reason, micro(d.CreatedAt), micro(d.UpdatedAt)
		}
	}, nil)
	if err != nil {
		return n, fmt.Errorf("put %d deliveries: %w", len(ds), err)
	}
	return n, nil
}

func (t *tx) UpdateDeliveries(ctx context.Context, ds []store.Delivery) error {
	// a key given twice would count once: update those one by one
	seen := make(map[deliveryKey]bool, len(ds))
	for _, d := range ds {
		k := deliveryKey{d.Campaign, d.CustomerID, d.Step}
		if seen[k] {
			return t.updateDeliveriesOneByOne(ctx, ds)
		}
		seen[k] = true
	}
	n, err := t.insertRows(ctx, deliveryUpdates, len(ds), func(args []driver.NamedValue, from, to int) {
		for i, d := range ds[from:to] {
			a := args[i*7:]
			a[0].Value, a[1].Value, a[2].Value, a[3].Value = d.Campaign, d.CustomerID, d.Step, d.State
			a[4].Value, a[5].Value, a[6].Value = int64(d.Attempts), d.Reason, micro(d.UpdatedAt)
		}
	}, nil)
	if err != nil {
		return fmt.Errorf("update %d deliveries: %w", len(ds), err)
	}
	if n != len(ds) {
		return t.updateDeliveriesOneByOne(ctx, ds) // names the unknown key
	}
	return nil
}

type deliveryKey struct {
	campaign string
	customer int64
	step     string
}

func (t *tx) updateDeliveriesOneByOne(ctx context.Context, ds []store.Delivery) error {
	for _, d := range ds {
		res, err := t.q.ExecContext(ctx, sqlUpdateDelivery, d.Campaign, d.CustomerID, d.Step, d.State, d.Attempts, d.Reason, micro(d.UpdatedAt))
		if err == nil {
			var k int64
			if k, err = res.RowsAffected(); err == nil && k == 0 {
				err = store.ErrNotFound
			}
		}
		if err != nil {
			return fmt.Errorf("update delivery of campaign %q to customer %d step %q: %w", d.Campaign, d.CustomerID, d.Step, err)
		}
	}
	return nil
}

func (t *tx) PutSuppressions(ctx context.Context, ss []store.Suppression) error {
	for _, s := range ss {
		if _, err := t.q.ExecContext(ctx, sqlPutSuppression, s.CustomerID, s.Channel, s.Reason, micro(s.At)); err != nil {
			return fmt.Errorf("put suppression of customer %d: %w", s.CustomerID, err)
		}
	}
	return nil
}

func (t *tx) AddIssues(ctx context.Context, is []store.Issue) error {
	// issues of one offer at one cost go in bulk; the others one by one
	groups := map[string][]store.Issue{}
	var order []string
	for _, x := range is {
		if _, ok := groups[x.Offer]; !ok {
			order = append(order, x.Offer)
		}
		groups[x.Offer] = append(groups[x.Offer], x)
	}
	for _, o := range order {
		g := groups[o]
		same := true
		for _, x := range g {
			same = same && x.Cost == g[0].Cost
		}
		if !same {
			if err := t.addIssuesOneByOne(ctx, g); err != nil {
				return err
			}
			continue
		}
		n, err := t.insertRows(ctx, issuesBulk, len(g), func(args []driver.NamedValue, from, to int) {
			for i, x := range g[from:to] {
				a := args[i*7:]
				a[0].Value, a[1].Value, a[2].Value, a[3].Value = x.Offer, x.CustomerID, x.Campaign, x.Step
				a[4].Value, a[5].Value, a[6].Value = x.Code, x.Cost, micro(x.At)
			}
		}, nil)
		if err != nil {
			return fmt.Errorf("issue offer %q to %d customers: %w", o, len(g), err)
		}
		if n == 0 {
			continue
		}
		if _, err := t.q.ExecContext(ctx, sqlAddOfferUseN, o, n, float64(n)*g[0].Cost); err != nil {
			return fmt.Errorf("issue offer %q: %w", o, err)
		}
	}
	return nil
}

func (t *tx) addIssuesOneByOne(ctx context.Context, is []store.Issue) error {
	for _, x := range is {
		res, err := t.q.ExecContext(ctx, sqlAddIssue, x.Offer, x.CustomerID, x.Campaign, x.Step, x.Code, x.Cost, micro(x.At))
		if err != nil {
			return fmt.Errorf("issue offer %q to customer %d: %w", x.Offer, x.CustomerID, err)
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			if err != nil {
				return fmt.Errorf("issue offer %q to customer %d: %w", x.Offer, x.CustomerID, err)
			}
			continue // issued already: counted once
		}
		if _, err := t.q.ExecContext(ctx, sqlAddOfferUseN, x.Offer, 1, x.Cost); err != nil {
			return fmt.Errorf("issue offer %q to customer %d: %w", x.Offer, x.CustomerID, err)
		}
	}
	return nil
}

func (t *tx) PutCampaignRun(ctx context.Context, r store.CampaignRun) error {
	aud := r.Audience
	if aud == nil {
		aud = []byte{}
	}
	if _, err := t.q.ExecContext(ctx, sqlPutCampaignRun, r.Campaign, r.State, aud, r.Size, micro(r.LaunchedAt), micro(r.UpdatedAt)); err != nil {
		return fmt.Errorf("put run of campaign %q: %w", r.Campaign, err)
	}
	return nil
}

func optMicro(at time.Time) int64 {
	if at.IsZero() {
		return 0
	}
	return micro(at)
}

func (t *tx) PutCallTask(ctx context.Context, c *store.CallTask) (bool, error) {
	if c.ID != 0 {
		res, err := t.q.ExecContext(ctx, sqlUpdateCallTask, c.ID, c.Offer, c.Script, c.Assignee, c.State, c.Result, optMicro(c.CallbackAt), c.Note, micro(c.UpdatedAt))
		if err == nil {
			var k int64
			if k, err = res.RowsAffected(); err == nil && k == 0 {
				err = store.ErrNotFound
			}
		}
		if err != nil {
			return false, fmt.Errorf("update call task %d: %w", c.ID, err)
		}
		return false, nil
	}
	res, err := t.q.ExecContext(ctx, sqlInsertCallTask, c.Campaign, c.CustomerID, c.Offer, c.Script, c.Assignee, c.State, c.Result,
		optMicro(c.CallbackAt), c.Note, micro(c.CreatedAt), micro(c.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("insert call task of campaign %q for customer %d: %w", c.Campaign, c.CustomerID, err)
	}
	k, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert call task: %w", err)
	}
	if err := t.q.QueryRowContext(ctx, sqlCallTaskID, c.Campaign, c.CustomerID).Scan(&c.ID); err != nil {
		return false, fmt.Errorf("insert call task: %w", err)
	}
	return k == 1, nil
}
