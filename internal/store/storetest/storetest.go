package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Run runs the conformance suite. open must return a fresh, empty store each
// time it is called and release whatever else it created (directory,
// database) with t.Cleanup; Run closes the store itself.
//
// Beyond the comments of store.go, the suite pins down:
//
//   - Timestamps come back in UTC, truncated to the microsecond.
//   - Identities, Observations, Attributes, Consents and APIKeys come in no
//     particular order; OrderLines by LineNo; Merges oldest first; Orders and
//     Events newest first, ties broken by the higher ID first.
//   - asOf is inclusive; a zero asOf means no bound; a limit <= 0 means no limit.
//   - AddIdentity of an identity the customer already holds is a no-op that
//     keeps the first Source and FirstSeen.
//   - PutObservation replaces the stored value unless it is strictly newer
//     (an equal ObservedAt replaces); changed is false when all fields are
//     identical. PutConsent replaces only a strictly older decision.
//     PutItem compares every field, UpdatedAt included.
//   - The batch methods give what the one-by-one methods would, in order:
//     FindIdentities maps each value found to what FindIdentity gives (and
//     takes any number of values); PutObservations keeps per (customer,
//     name, source) the last of the newest observations, if at least as
//     recent as the stored one (to the microsecond); PutAttributes keeps
//     the last; PutOrders stores the first version of each (Source, ExtID),
//     sets the ID of every order, repeats included, and counts each new
//     header once.
//   - MergeCustomers: on a clash of observations (name, source), attributes
//     (name) or consents (channel), the newer one wins and a tie keeps the
//     survivor's. Customers merged earlier into m.Merged then point to
//     m.Survivor. Merging a customer into itself, or a customer that is not
//     live, or into one that is not live, is ErrConflict; an unknown id is
//     ErrNotFound.
//   - LinkOrders links only orders whose RefOrderID is 0. An order with a
//     RefExtID is linked only to the order (Source, RefExtID) and stays
//     unlinked until it exists. Otherwise it is linked to the sale of the
//     same known customer placed at or before it that has a line with one
//     of its items, the latest one (highest ID on a tie).
//   - Update returns fn's error (errors.Is holds), rolls back when fn panics
//     and re-panics; a cancelled context fails with context.Canceled. Updates
//     from several goroutines wait for each other.
//     Writes of an open transaction are visible to its own reads (Stats
//     included) and to no one else's.
//   - CreateAPIKey with an ID or Hash already stored is ErrConflict;
//     DeleteAPIKey of an unknown ID is ErrNotFound.
//   - ScanLines gives the lines of every kind of order, guest orders
//     (CustomerID 0) included, orders without lines giving none; Category
//     and Brand are "" for an item not in the catalogue. It calls fn on the
//     caller's goroutine, sees the store as it was when it started (fn may
//     write to the store meanwhile), and returns fn's error as it is,
//     without calling fn again. So does ScanEvents, whose bounds are
//     inclusive; insertion order is that of the first PutEvents of an ID.
//   - CustomerIDs ascend by id. AttributeValues includes empty values;
//     names are case-sensitive.
//   - PutDefinition ignores d.Version; versions count from 1 per (Kind,
//     Name), deletions included, and a deleted definition comes back with
//     its next version. Definitions sorts by name in byte order.
//   - PutAdmission rejects a list other than black, white and grey (and
//     then stores nothing of the batch); within a batch the last entry of a
//     (list, customer) wins. Admission sorts by list, then customer id; an
//     entry has expired at its ExpiresAt (at >= ExpiresAt); AddedAt is not
//     compared with at. MergeCustomers moves the merged customer's entries
//     to the survivor, except on a list where the survivor has one, which
//     stays as it is.
//   - AddSegmentSizes replaces the size of a segment at an instant already
//     stored (the last of a batch wins); SegmentSizes bounds are inclusive,
//     zero meaning none.
//   - Contacts come newest first, ties broken by the higher Seq first; since
//     is inclusive. Touches counts contacts of kind sent and pending
//     deliveries. PutDeliveries leaves a stored key as it is. AddIssues of an
//     (offer, customer, campaign, step) already issued counts nothing more.
//     Deliveries sort by customer id, then step in byte order. PutCallTask
//     of a (Campaign, CustomerID) already stored returns its ID and changes
//     nothing. MergeCustomers moves contacts and suppressions (the
//     survivor's suppression of a channel stays); deliveries, issues and call
//     tasks stay with the customer they were made for. AddressesOf gives
//     the identity first seen, the smallest value on a tie.
//   - AddLifecycleSnapshot of an At already stored replaces that snapshot
//     with its stages and flows. LifecycleSnapshots bounds apply to AsOf,
//     inclusive, zero meaning none; snapshots sort by AsOf then At, stages
//     keep their order, flows sort by From then To in byte order.
//   - CallTaskCounts equal a count of CallTasks, through every write
//     (inserts, updates of state and result, a rolled-back transaction).
//     CallTaskPage pages, forward from After or backward from Before, are
//     the matching tasks in the order store.CallLess gives at Now; a bad
//     limit or both cursors are ErrBadCallPage.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Customer", testCustomer},
		{"Identity", testIdentity},
		{"FindIdentities", testFindIdentities},
		{"Merge", testMerge},
		{"MergeErrors", testMergeErrors},
		{"Observation", testObservation},
		{"PutObservations", testPutObservations},
		{"Attribute", testAttribute},
		{"PutAttributes", testPutAttributes},
		{"Consent", testConsent},
		{"Item", testItem},
		{"Order", testOrder},
		{"PutOrders", testPutOrders},
		{"OrderLines", testOrderLines},
		{"Events", testEvents},
		{"OrdersAsOf", testOrdersAsOf},
		{"EventsAsOf", testEventsAsOf},
		{"OrderSummary", testOrderSummary},
		{"Stats", testStats},
		{"APIKeys", testAPIKeys},
		{"LinkOrders", testLinkOrders},
		{"UpdateRollback", testUpdateRollback},
		{"TxVisibility", testTxVisibility},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Timestamps", testTimestamps},
		{"NotFound", testNotFound},
		{"ScanLines", testScanLines},
		{"ScanLinesMerged", testScanLinesMerged},
		{"ScanEvents", testScanEvents},
		{"CustomerIDs", testCustomerIDs},
		{"AttributeValues", testAttributeValues},
		{"Definitions", testDefinitions},
		{"Admission", testAdmission},
		{"AdmissionMerge", testAdmissionMerge},
		{"SegmentSizes", testSegmentSizes},
		{"Contacts", testContacts},
		{"ConsentsOf", testConsentsOf},
		{"AddressesOf", testAddressesOf},
		{"Deliveries", testDeliveries},
		{"Suppressions", testSuppressions},
		{"Issues", testIssues},
		{"CampaignRun", testCampaignRun},
		{"CallTasks", testCallTasks},
		{"CallQueue", testCallQueue},
		{"MarketingMerge", testMarketingMerge},
		{"LifecycleSnapshots", testLifecycleSnapshots},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// Instants used across the suite, one hour apart, in UTC at microsecond
// precision so that what is written compares equal to what is read.
var (
	t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(1 * time.Hour)
	t2 = t0.Add(2 * time.Hour)
	t3 = t0.Add(3 * time.Hour)
	t4 = t0.Add(4 * time.Hour)
	t5 = t0.Add(5 * time.Hour)
	t6 = t0.Add(6 * time.Hour)
)

// update runs fn in s.Update and fails the test on error.
func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("update: %v", err)
	}
}

// newCustomers creates one customer per instant and returns their ids.
func newCustomers(t *testing.T, s store.Store, at ...time.Time) []int64 {
	t.Helper()
	ids := make([]int64, len(at))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, a := range at {
			id, err := tx.NewCustomer(ctx, a)
			if err != nil {
				return err
			}
			ids[i] = id
		}
		return nil
	})
	return ids
}

// putOrder stores o with its lines (LineNo 1, 2, ... in the given order, one
// unit each at the amount) and returns the order's id.
func putOrder(ctx context.Context, tx store.Tx, o store.Order, amounts map[string]float64, items ...string) (int64, error) {
	if _, err := tx.PutOrder(ctx, &o); err != nil {
		return 0, err
	}
	lines := make([]store.OrderLine, len(items))
	for i, it := range items {
		q := 1.0
		if o.Kind != store.OrderSale {
			q = -1
		}
		lines[i] = store.OrderLine{OrderID: o.ID, LineNo: i + 1, ItemID: it, Quantity: q,
			UnitPrice: amounts[it], Amount: q * amounts[it]}
	}
	if _, err := tx.PutOrderLines(ctx, lines); err != nil {
		return 0, err
	}
	return o.ID, nil
}

// equal reports a difference between got and want after canonicalizing
// both: times in UTC at microsecond precision, empty slices as nil.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := canon(got), canon(want)
	if reflect.DeepEqual(g, w) {
		return
	}
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	if g != nil && w != nil && gv.Kind() == reflect.Slice && wv.Kind() == reflect.Slice && max(gv.Len(), wv.Len()) > 20 {
		// Too long to show: the first difference.
		i := 0
		for i < min(gv.Len(), wv.Len()) && reflect.DeepEqual(gv.Index(i).Interface(), wv.Index(i).Interface()) {
			i++
		}
		at := func(v reflect.Value) string {
			if i < v.Len() {
				return fmt.Sprintf("%+v", v.Index(i).Interface())
			}
			return "(none)"
		}
		t.Errorf("%s: %d elements, want %d; first difference at %d:\n got  %s\n want %s", what, gv.Len(), wv.Len(), i, at(gv), at(wv))
		return
	}
	t.Errorf("%s:\n got  %s\n want %s", what, show(g), show(w))
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = fmt.Sprintf("%+v", rv.Index(i).Interface())
		}
		return "[\n   " + strings.Join(parts, "\n   ") + "]"
	}
	return fmt.Sprintf("%+v", v)
}

var timeType = reflect.TypeFor[time.Time]()

func canon(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	canonValue(rv)
	return rv.Interface()
}

func canonValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			tm := v.Interface().(time.Time)
			v.Set(reflect.ValueOf(tm.UTC().Truncate(time.Microsecond)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				canonValue(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			canonValue(c.Index(i))
		}
		v.Set(c)
	}
}

// wantErr checks that err matches want (nil for success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

func sortIdentities(ids []store.Identity) []store.Identity {
	slices.SortFunc(ids, func(a, b store.Identity) int {
		return cmpStrings(a.Kind, b.Kind, a.Namespace, b.Namespace, a.Value, b.Value)
	})
	return ids
}

func sortObservations(obs []store.Observation) []store.Observation {
	slices.SortFunc(obs, func(a, b store.Observation) int {
		return cmpStrings(a.Name, b.Name, a.Source, b.Source)
	})
	return obs
}

func sortAttributes(as []store.Attribute) []store.Attribute {
	slices.SortFunc(as, func(a, b store.Attribute) int { return strings.Compare(a.Name, b.Name) })
	return as
}

func sortConsents(cs []store.Consent) []store.Consent {
	slices.SortFunc(cs, func(a, b store.Consent) int { return strings.Compare(a.Channel, b.Channel) })
	return cs
}

func sortAPIKeys(ks []store.APIKey) []store.APIKey {
	slices.SortFunc(ks, func(a, b store.APIKey) int { return strings.Compare(a.ID, b.ID) })
	return ks
}

// cmpStrings compares pairs (a1, b1), (a2, b2), ... lexicographically.
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

func must[T any](t *testing.T, what string) func(v T, err error) T {
	t.Helper()
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}
