package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var _ store.Marketing = (*Store)(nil)
var _ store.MarketingTx = (*tx)(nil)

// UpdateMarketing runs fn in one write transaction, as Update does.
func (s *Store) UpdateMarketing(ctx context.Context, fn func(tx store.MarketingTx) error) error {
	return s.write(ctx, func(t pgx.Tx) error {
		return fn(&tx{reader: reader{q: t}, tx: t})
	})
}

// since turns a zero lower bound into "none".
func since(at time.Time) any {
	if at.IsZero() {
		return nil
	}
	return at
}

func (r reader) Contacts(ctx context.Context, customerID int64, from time.Time, limit int) ([]store.Contact, error) {
	_, lim := bound(time.Time{}, limit)
	rows, err := r.q.Query(ctx, `
		SELECT seq, customer_id, channel, kind, campaign, step, offer, at, detail FROM contacts
		WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR at >= $2)
		ORDER BY at DESC, seq DESC LIMIT $3`, customerID, since(from), lim)
	if err != nil {
		return nil, fmt.Errorf("list contacts of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, c *store.Contact) error {
		err := rows.Scan(&c.Seq, &c.CustomerID, &c.Channel, &c.Kind, &c.Campaign, &c.Step, &c.Offer, &c.At, &c.Detail)
		c.At = utc(c.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list contacts of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) Touches(ctx context.Context, ids []int64, from time.Time) ([]store.Touch, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := r.q.Query(ctx, `
		SELECT customer_id, channel, at FROM contacts
		WHERE customer_id = ANY($1) AND kind = 'sent' AND ($2::timestamptz IS NULL OR at >= $2)
		UNION ALL
		SELECT customer_id, channel, created_at FROM deliveries
		WHERE customer_id = ANY($1) AND state = 'pending' AND ($2::timestamptz IS NULL OR created_at >= $2)`, ids, since(from))
	if err != nil {
		return nil, fmt.Errorf("list touches: %w", err)
	}
	out, err := collect(rows, func(rows pgx.Rows, t *store.Touch) error {
		err := rows.Scan(&t.CustomerID, &t.Channel, &t.At)
		t.At = utc(t.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list touches: %w", err)
	}
	return out, nil
}

func (r reader) ConsentsOf(ctx context.Context, channel string, ids []int64) (map[int64]store.Consent, error) {
	out := make(map[int64]store.Consent)
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx, `SELECT customer_id, status, at, source FROM consents
		WHERE channel = $1 AND customer_id = ANY($2)`, channel, ids)
	if err != nil {
		return nil, fmt.Errorf("list %s consents: %w", channel, err)
	}
	cs, err := collect(rows, func(rows pgx.Rows, c *store.Consent) error {
		c.Channel = channel
		err := rows.Scan(&c.CustomerID, &c.Status, &c.At, &c.Source)
		c.At = utc(c.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s consents: %w", channel, err)
	}
	for _, c := range cs {
		out[c.CustomerID] = c
	}
	return out, nil
}

// pairs runs a query of (customer_id, value) rows into a map; a later row
// of a customer replaces an earlier one.
func (r reader) pairs(ctx context.Context, what, query string, args ...any) (map[int64]string, error) {
	rows, err := r.q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	out := map[int64]string{}
	var id int64
	var v string
	if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil }); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

func (r reader) AddressesOf(ctx context.Context, kind string, ids []int64) (map[int64]string, error) {
	if len(ids) == 0 {
		return map[int64]string{}, nil
	}
	return r.pairs(ctx, "addresses", `SELECT customer_id, value FROM identities WHERE kind = $1 AND customer_id = ANY($2)
		ORDER BY customer_id, first_seen DESC, value COLLATE "C" DESC`, kind, ids)
}

func (r reader) AttributeOf(ctx context.Context, name string, ids []int64) (map[int64]string, error) {
	if len(ids) == 0 {
		return map[int64]string{}, nil
	}
	return r.pairs(ctx, "attribute "+name, `SELECT customer_id, value FROM attributes WHERE name = $1 AND customer_id = ANY($2)`, name, ids)
}

func (r reader) SuppressionsOf(ctx context.Context, ids []int64) ([]store.Suppression, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := r.q.Query(ctx, `SELECT customer_id, channel, reason, at FROM suppressions WHERE customer_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	out, err := collect(rows, func(rows pgx.Rows, s *store.Suppression) error {
		err := rows.Scan(&s.CustomerID, &s.Channel, &s.Reason, &s.At)
		s.At = utc(s.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	return out, nil
}

func scanDelivery(rows pgx.Rows, d *store.Delivery) error {
	err := rows.Scan(&d.Campaign, &d.CustomerID, &d.Step, &d.Channel, &d.Offer, &d.Code, &d.State, &d.Attempts, &d.Reason,
		&d.CreatedAt, &d.UpdatedAt)
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	return err
}

const deliveryCols = `campaign, customer_id, step, channel, offer, code, state, attempts, reason, created_at, updated_at`

func (r reader) DeliveriesOf(ctx context.Context, campaign, step string, ids []int64) (map[int64]store.Delivery, error) {
	out := map[int64]store.Delivery{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE campaign = $1 AND step = $2 AND customer_id = ANY($3)`,
		campaign, step, ids)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of campaign %q: %w", campaign, err)
	}
	ds, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of campaign %q: %w", campaign, err)
	}
	for _, d := range ds {
		out[d.CustomerID] = d
	}
	return out, nil
}

func (r reader) Deliveries(ctx context.Context, campaign, state string) ([]store.Delivery, error) {
	rows, err := r.q.Query(ctx, `SELECT `+deliveryCols+`
		FROM deliveries WHERE campaign = $1 AND ($2 = '' OR state = $2) ORDER BY customer_id, step COLLATE "C"`, campaign, state)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of campaign %q: %w", campaign, err)
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of campaign %q: %w", campaign, err)
	}
	return out, nil
}

func (r reader) DeliveryCounts(ctx context.Context, campaign string) (map[string]int64, error) {
	rows, err := r.q.Query(ctx, `SELECT state, count(*) FROM deliveries WHERE campaign = $1 GROUP BY state`, campaign)
	if err != nil {
		return nil, fmt.Errorf("count deliveries of campaign %q: %w", campaign, err)
	}
	out := map[string]int64{}
	var k string
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil }); err != nil {
		return nil, fmt.Errorf("count deliveries of campaign %q: %w", campaign, err)
	}
	return out, nil
}

func (r reader) DeliveredCustomers(ctx context.Context, campaign, step string) ([]int64, error) {
	rows, err := r.q.Query(ctx, `SELECT customer_id FROM deliveries WHERE campaign = $1 AND step = $2 ORDER BY customer_id`, campaign, step)
	if err != nil {
		return nil, fmt.Errorf("list delivered customers of campaign %q: %w", campaign, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list delivered customers of campaign %q: %w", campaign, err)
	}
	return out, nil
}

func (r reader) OfferUse(ctx context.Context, offer string) (store.OfferUse, error) {
	var u store.OfferUse
	err := r.q.QueryRow(ctx, `SELECT count, cost FROM offer_use WHERE offer = $1`, offer).Scan(&u.Count, &u.Cost)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.OfferUse{}, nil
	}
	if err != nil {
		return u, fmt.Errorf("offer use of %q: %w", offer, err)
	}
	return u, nil
}

func (r reader) IssuedTo(ctx context.Context, offer string, ids []int64) (map[int64]int, error) {
	out := make(map[int64]int)
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.q.Query(ctx, `SELECT customer_id, count(*) FROM issues WHERE offer = $1 AND customer_id = ANY($2) GROUP BY customer_id`, offer, ids)
	if err != nil {
		return nil, fmt.Errorf("count issues of offer %q: %w", offer, err)
	}
	var id int64
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil }); err != nil {
		return nil, fmt.Errorf("count issues of offer %q: %w", offer, err)
	}
	return out, nil
}

func (r reader) OfferUses(ctx context.Context) (map[string]store.OfferUse, error) {
	rows, err := r.q.Query(ctx, `SELECT offer, count, cost FROM offer_use`)
	if err != nil {
		return nil, fmt.Errorf("list offer use: %w", err)
	}
	out := map[string]store.OfferUse{}
	var o string
	var u store.OfferUse
	if _, err := pgx.ForEachRow(rows, []any{&o, &u.Count, &u.Cost}, func() error { out[o] = u; return nil }); err != nil {
		return nil, fmt.Errorf("list offer use: %w", err)
	}
	return out, nil
}

func (r reader) IssuesOf(ctx context.Context, customerID int64) (map[string]int, error) {
	rows, err := r.q.Query(ctx, `SELECT offer, count(*) FROM issues WHERE customer_id = $1 GROUP BY offer`, customerID)
	if err != nil {
		return nil, fmt.Errorf("count issues of customer %d: %w", customerID, err)
	}
	out := map[string]int{}
	var o string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&o, &n}, func() error { out[o] = n; return nil }); err != nil {
		return nil, fmt.Errorf("count issues of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) CampaignRun(ctx context.Context, campaign string) (store.CampaignRun, error) {
	run := store.CampaignRun{Campaign: campaign}
	err := r.q.QueryRow(ctx, `SELECT state, audience, size, launched_at, updated_at FROM campaign_runs WHERE campaign = $1`, campaign).
		Scan(&run.State, &run.Audience, &run.Size, &run.LaunchedAt, &run.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.CampaignRun{}, fmt.Errorf("campaign run %q: %w", campaign, store.ErrNotFound)
	}
	if err != nil {
		return store.CampaignRun{}, fmt.Errorf("campaign run %q: %w", campaign, err)
	}
	run.LaunchedAt, run.UpdatedAt = utc(run.LaunchedAt), utc(run.UpdatedAt)
	return run, nil
}

const callTaskCols = `id, campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at`

func scanCallTask(row pgx.Row, t *store.CallTask) error {
	var cb pgtype.Timestamptz
	err := row.Scan(&t.ID, &t.Campaign, &t.CustomerID, &t.Offer, &t.Script, &t.Assignee, &t.State, &t.Result, &cb, &t.Note, &t.CreatedAt, &t.UpdatedAt)
	if cb.Valid {
		t.CallbackAt = utc(cb.Time)
	}
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	return err
}

func (r reader) CallTasks(ctx context.Context, campaign, state string) ([]store.CallTask, error) {
	rows, err := r.q.Query(ctx, `SELECT `+callTaskCols+` FROM call_tasks
		WHERE ($1 = '' OR campaign = $1) AND ($2 = '' OR state = $2) ORDER BY id`, campaign, state)
	if err != nil {
		return nil, fmt.Errorf("list call tasks: %w", err)
	}
	out, err := collect(rows, func(rows pgx.Rows, t *store.CallTask) error { return scanCallTask(rows, t) })
	if err != nil {
		return nil, fmt.Errorf("list call tasks: %w", err)
	}
	return out, nil
}

func (r reader) CallTask(ctx context.Context, id int64) (store.CallTask, error) {
	var t store.CallTask
	err := scanCallTask(r.q.QueryRow(ctx, `SELECT `+callTaskCols+` FROM call_tasks WHERE id = $1`, id), &t)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("call task %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("call task %d: %w", id, err)
	}
	return t, nil
}

func (t *tx) AddContacts(ctx context.Context, cs []store.Contact) error {
	for from := 0; from < len(cs); from += batchRows {
		chunk := cs[from:min(from+batchRows, len(cs))]
		n := len(chunk)
		cust := make([]int64, n)
		ch, kind, camp, step, offer, detail := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		at := make([]time.Time, n)
		for i, c := range chunk {
			cust[i], ch[i], kind[i], camp[i], step[i], offer[i], at[i], detail[i] = c.CustomerID, c.Channel, c.Kind, c.Campaign, c.Step, c.Offer, c.At, c.Detail
		}
		rows, err := t.tx.Query(ctx, `
			INSERT INTO contacts (customer_id, channel, kind, campaign, step, offer, at, detail)
			SELECT c, ch, k, ca, st, o, a, d
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
			  WITH ORDINALITY AS u(c, ch, k, ca, st, o, a, d, ord)
			ORDER BY ord
			RETURNING seq`, cust, ch, kind, camp, step, offer, at, detail)
		if err != nil {
			return fmt.Errorf("add %d contacts: %w", len(cs), err)
		}
		seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("add %d contacts: %w", len(cs), err)
		}
		for i := range chunk {
			chunk[i].Seq = seqs[i]
		}
	}
	return nil
}

func (t *tx) PutDeliveries(ctx context.Context, ds []store.Delivery) (int, error) {
	inserted := 0
	for from := 0; from < len(ds); from += batchRows {
		chunk := ds[from:min(from+batchRows, len(ds))]
		n := len(chunk)
		cust := make([]int64, n)
		camp, step, ch, offer, code, state, reason := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		att := make([]int32, n)
		created, updated := make([]time.Time, n), make([]time.Time, n)
		for i, d := range chunk {
			camp[i], cust[i], step[i], ch[i], offer[i], code[i], state[i], att[i], reason[i], created[i], updated[i] =
				d.Campaign, d.CustomerID, d.Step, d.Channel, d.Offer, d.Code, d.State, int32(d.Attempts), d.Reason, d.CreatedAt, d.UpdatedAt
		}
		tag, err := t.tx.Exec(ctx, `
			INSERT INTO deliveries (campaign, customer_id, step, channel, offer, code, state, attempts, reason, created_at, updated_at)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
				$9::text[], $10::timestamptz[], $11::timestamptz[])
			ON CONFLICT DO NOTHING`, camp, cust, step, ch, offer, code, state, att, reason, created, updated)
		if err != nil {
			return inserted, fmt.Errorf("put %d deliveries: %w", len(ds), err)
		}
		inserted += int(tag.RowsAffected())
	}
	return inserted, nil
}

func (t *tx) UpdateDeliveries(ctx context.Context, ds []store.Delivery) error {
	b := &pgx.Batch{}
	for _, d := range ds {
		b.Queue(`UPDATE deliveries SET state = $4, attempts = $5, reason = $6, updated_at = $7
			WHERE campaign = $1 AND customer_id = $2 AND step = $3`, d.Campaign, d.CustomerID, d.Step, d.State, d.Attempts, d.Reason, d.UpdatedAt)
	}
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	for _, d := range ds {
		tag, err := br.Exec()
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("update delivery of campaign %q to customer %d step %q: %w", d.Campaign, d.CustomerID, d.Step, err)
		}
	}
	return br.Close()
}

func (t *tx) PutSuppressions(ctx context.Context, ss []store.Suppression) error {
	for _, s := range ss {
		if _, err := t.tx.Exec(ctx, `INSERT INTO suppressions (customer_id, channel, reason, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (customer_id, channel) DO UPDATE SET reason = excluded.reason, at = excluded.at`,
			s.CustomerID, s.Channel, s.Reason, s.At); err != nil {
			return fmt.Errorf("put suppression of customer %d: %w", s.CustomerID, err)
		}
	}
	return nil
}

func (t *tx) AddIssues(ctx context.Context, is []store.Issue) error {
	for _, x := range is {
		tag, err := t.tx.Exec(ctx, `INSERT INTO issues (offer, customer_id, campaign, step, code, cost, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING`, x.Offer, x.CustomerID, x.Campaign, x.Step, x.Code, x.Cost, x.At)
		if err != nil {
			return fmt.Errorf("issue offer %q to customer %d: %w", x.Offer, x.CustomerID, err)
		}
		if tag.RowsAffected() == 0 {
			continue
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO offer_use (offer, count, cost) VALUES ($1, 1, $2)
			ON CONFLICT (offer) DO UPDATE SET count = offer_use.count + 1, cost = offer_use.cost + $2`, x.Offer, x.Cost); err != nil {
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
	if _, err := t.tx.Exec(ctx, `INSERT INTO campaign_runs (campaign, state, audience, size, launched_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (campaign) DO UPDATE SET state = excluded.state, audience = excluded.audience, size = excluded.size,
			launched_at = excluded.launched_at, updated_at = excluded.updated_at`,
		r.Campaign, r.State, aud, r.Size, r.LaunchedAt, r.UpdatedAt); err != nil {
		return fmt.Errorf("put run of campaign %q: %w", r.Campaign, err)
	}
	return nil
}

func optTime(at time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: at, Valid: !at.IsZero()}
}

func (t *tx) PutCallTask(ctx context.Context, c *store.CallTask) (bool, error) {
	if c.ID != 0 {
		tag, err := t.tx.Exec(ctx, `UPDATE call_tasks SET offer = $2, script = $3, assignee = $4, state = $5, result = $6,
			callback_at = $7, note = $8, updated_at = $9 WHERE id = $1`,
			c.ID, c.Offer, c.Script, c.Assignee, c.State, c.Result, optTime(c.CallbackAt), c.Note, c.UpdatedAt)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		if err != nil {
			return false, fmt.Errorf("update call task %d: %w", c.ID, err)
		}
		return false, nil
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO call_tasks (campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (campaign, customer_id) DO NOTHING`,
		c.Campaign, c.CustomerID, c.Offer, c.Script, c.Assignee, c.State, c.Result, optTime(c.CallbackAt), c.Note, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("insert call task of campaign %q for customer %d: %w", c.Campaign, c.CustomerID, err)
	}
	if err := t.tx.QueryRow(ctx, `SELECT id FROM call_tasks WHERE campaign = $1 AND customer_id = $2`, c.Campaign, c.CustomerID).Scan(&c.ID); err != nil {
		return false, fmt.Errorf("insert call task: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
