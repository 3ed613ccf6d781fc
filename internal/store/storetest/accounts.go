package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

func testAccounts(t *testing.T, open Opener) {
	parallel(t, open, "Merchants", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		m1 := &store.Merchant{ID: b.scope.MerchantID, Name: "Café Ünïcode", CreatedAt: t0}
		m2 := &store.Merchant{ID: payment.NewID(payment.PrefixMerchant), Name: "Second", CreatedAt: t0.Add(time.Hour)}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertMerchant(ctx, m1); err != nil {
				return err
			}
			return tx.InsertMerchant(ctx, m2)
		})
		for _, m := range []*store.Merchant{m1, m2} {
			got, err := b.st.GetMerchant(ctx, m.ID)
			wantNoErr(t, "GetMerchant", err)
			checkSame(t, "GetMerchant", got, m)
		}
		if n, err := b.st.CountMerchants(ctx); err != nil || n != 2 {
			t.Errorf("CountMerchants = %d, %v; want 2", n, err)
		}
		_, err := b.st.GetMerchant(ctx, payment.NewID(payment.PrefixMerchant))
		wantErr(t, "GetMerchant(unknown)", err, store.ErrNotFound)
		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			return tx.InsertMerchant(ctx, &store.Merchant{ID: m1.ID, Name: "again", CreatedAt: t0})
		})
		wantErr(t, "InsertMerchant(taken id)", err, store.ErrDuplicate)
	})

	parallel(t, open, "APIKeys", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		keys := []*store.APIKey{
			{ID: payment.NewID(payment.PrefixKey), MerchantID: b.scope.MerchantID, Livemode: false, Kind: store.KeySecret,
				Hash: "hash-test-secret", Hint: "sk_test_…abcd", CreatedAt: t0},
			{ID: payment.NewID(payment.PrefixKey), MerchantID: b.scope.MerchantID, Livemode: true, Kind: store.KeyPublishable,
				Hash: "hash-live-pub", Hint: "pk_live_…wxyz", CreatedAt: t0.Add(time.Second)},
		}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			for _, k := range keys {
				if err := tx.InsertAPIKey(ctx, k); err != nil {
					return err
				}
			}
			return nil
		})
		for _, k := range keys {
			got, err := b.st.APIKeyByHash(ctx, k.Hash)
			wantNoErr(t, "APIKeyByHash", err)
			checkSame(t, "APIKeyByHash", got, k)
		}
		_, err := b.st.APIKeyByHash(ctx, "no-such-hash")
		wantErr(t, "APIKeyByHash(unknown)", err, store.ErrNotFound)

		revokedAt := t0.Add(time.Hour + 321*time.Nanosecond)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			s, err := tx.RevokeAPIKey(ctx, keys[0].ID, revokedAt)
			if err == nil && (s.MerchantID != keys[0].MerchantID || s.Livemode != keys[0].Livemode) {
				t.Errorf("RevokeAPIKey returned scope %+v for key of %s (live %v)", s, keys[0].MerchantID, keys[0].Livemode)
			}
			return err
		})
		got, err := b.st.APIKeyByHash(ctx, keys[0].Hash)
		wantNoErr(t, "APIKeyByHash(revoked)", err)
		want := *keys[0]
		want.RevokedAt = &revokedAt
		checkSame(t, "revoked key", got, &want)
		if other, _ := b.st.APIKeyByHash(ctx, keys[1].Hash); other != nil && other.RevokedAt != nil {
			t.Errorf("revoking one key revoked another")
		}

		for _, c := range []struct{ name, id string }{{"RevokeTwice", keys[0].ID}, {"RevokeUnknown", payment.NewID(payment.PrefixKey)}} {
			err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.RevokeAPIKey(ctx, c.id, t0.Add(2*time.Hour))
				return err
			})
			wantErr(t, c.name, err, store.ErrNotFound)
		}
		got, _ = b.st.APIKeyByHash(ctx, keys[0].Hash)
		checkSame(t, "key after a second revoke", got, &want)

		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			dup := *keys[1]
			dup.ID = payment.NewID(payment.PrefixKey)
			return tx.InsertAPIKey(ctx, &dup)
		})
		wantErr(t, "InsertAPIKey(same hash)", err, store.ErrDuplicate)
	})

	parallel(t, open, "Users", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		op := &store.User{ID: payment.NewID(payment.PrefixUser), MerchantID: b.scope.MerchantID, Email: "ops@example.com",
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", Role: "admin", CreatedAt: t0}
		admin := &store.User{ID: payment.NewID(payment.PrefixUser), Email: "root@example.com", PasswordHash: "x", Role: "platform_admin", CreatedAt: t0}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertUser(ctx, op); err != nil {
				return err
			}
			return tx.InsertUser(ctx, admin)
		})
		for _, c := range []struct {
			email string
			want  *store.User
		}{
			{"ops@example.com", op},
			{"Ops@Example.COM", op},
			{"root@example.com", admin},
		} {
			got, err := b.st.GetUserByEmail(ctx, c.email)
			if err != nil {
				t.Errorf("GetUserByEmail(%s): %v", c.email, err)
				continue
			}
			checkSame(t, "GetUserByEmail("+c.email+")", got, c.want)
		}
		_, err := b.st.GetUserByEmail(ctx, "nobody@example.com")
		wantErr(t, "GetUserByEmail(unknown)", err, store.ErrNotFound)

		for _, email := range []string{"ops@example.com", "OPS@example.com"} {
			err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
				return tx.InsertUser(ctx, &store.User{ID: payment.NewID(payment.PrefixUser), Email: email, PasswordHash: "y", Role: "viewer", CreatedAt: t0})
			})
			wantErr(t, "InsertUser("+email+") with the email taken", err, store.ErrDuplicate)
		}
		got, _ := b.st.GetUserByEmail(ctx, "ops@example.com")
		checkSame(t, "user after refused duplicates", got, op)
	})

	parallel(t, open, "Connections", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		m := b.scope.MerchantID
		conn := func(live bool, provider string, enabled bool, created time.Duration) *store.Connection {
			return &store.Connection{ID: payment.NewID(payment.PrefixConn), MerchantID: m, Livemode: live, Provider: provider,
				Enabled: enabled, Methods: []string{"card", "paypal"}, Credentials: []byte{0, 1, 2, 0xff, 'k'},
				Hint: "sk_…1234", BaseURL: "http://127.0.0.1:12111", CreatedAt: t0.Add(created), UpdatedAt: t0.Add(created + time.Minute)}
		}
		disabledOldest := conn(false, "sandbox", false, 0)
		enabledOld := conn(false, "sandbox", true, time.Second)
		enabledNew := conn(false, "sandbox", true, 2*time.Second)
		stripe := conn(false, "stripe", true, 3*time.Second)
		stripe.Methods, stripe.Credentials, stripe.BaseURL = nil, nil, ""
		live := conn(true, "sandbox", true, 4*time.Second)
		other := conn(false, "sandbox", true, -time.Hour)
		other.MerchantID = payment.NewID(payment.PrefixMerchant)
		liveDisabled := conn(true, "stripe", false, 0)
		all := []*store.Connection{enabledNew, other, disabledOldest, stripe, live, enabledOld, liveDisabled}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			for _, c := range all {
				if err := tx.InsertConnection(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		stripe.Methods = []string{} // stored as an empty list

		for _, c := range all {
			got, err := b.st.GetConnection(ctx, c.ID)
			wantNoErr(t, "GetConnection", err)
			checkSame(t, "GetConnection", got, c)
		}
		_, err := b.st.GetConnection(ctx, payment.NewID(payment.PrefixConn))
		wantErr(t, "GetConnection(unknown)", err, store.ErrNotFound)

		for _, c := range []struct {
			name     string
			scope    store.Scope
			provider string
			want     *store.Connection
		}{
			{"OldestEnabledSandbox", b.scope, "sandbox", enabledOld},
			{"Stripe", b.scope, "stripe", stripe},
			{"LiveSandbox", otherMode(b.scope), "sandbox", live},
			{"LiveStripeDisabled", otherMode(b.scope), "stripe", nil},
			{"NoPayPal", b.scope, "paypal", nil},
		} {
			got, err := b.st.ConnectionFor(ctx, c.scope, c.provider)
			if c.want == nil {
				wantErr(t, c.name, err, store.ErrNotFound)
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if got.ID != c.want.ID {
				t.Errorf("%s: ConnectionFor picked %s (provider %s, enabled %v, live %v), want %s",
					c.name, got.ID, got.Provider, got.Enabled, got.Livemode, c.want.ID)
			}
		}

		list, err := b.st.ListConnections(ctx, b.scope)
		wantNoErr(t, "ListConnections", err)
		var gotIDs []string
		for _, c := range list {
			gotIDs = append(gotIDs, c.ID)
		}
		wantIDs := []string{disabledOldest.ID, enabledOld.ID, enabledNew.ID, stripe.ID}
		if len(gotIDs) != len(wantIDs) {
			t.Errorf("ListConnections(test mode) = %v, want %v (oldest first, this merchant and mode only)", gotIDs, wantIDs)
		} else {
			for i := range wantIDs {
				if gotIDs[i] != wantIDs[i] {
					t.Errorf("ListConnections(test mode) = %v, want %v (oldest first)", gotIDs, wantIDs)
					break
				}
			}
		}
	})

	parallel(t, open, "ConnectionChanges", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		conn := func(s store.Scope, created time.Duration) *store.Connection {
			return &store.Connection{ID: payment.NewID(payment.PrefixConn), MerchantID: s.MerchantID, Livemode: s.Livemode,
				Provider: "sandbox", Enabled: true, Methods: []string{"card"}, Credentials: []byte("sealed"),
				Hint: "webhook_secret: whsec_…abcd", CreatedAt: t0.Add(created), UpdatedAt: t0.Add(created)}
		}
		mine, second, live, theirs := conn(b.scope, 0), conn(b.scope, time.Second), conn(otherMode(b.scope), 0), conn(newScope(false), 0)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			for _, c := range []*store.Connection{mine, second, live, theirs} {
				if err := tx.InsertConnection(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})

		got, err := b.st.FindConnection(ctx, b.scope, mine.ID)
		wantNoErr(t, "FindConnection", err)
		checkSame(t, "FindConnection", got, mine)
		for _, c := range []struct {
			name  string
			scope store.Scope
			id    string
		}{
			{"OtherMerchant", b.scope, theirs.ID},
			{"OtherMode", b.scope, live.ID},
			{"MineFromLive", otherMode(b.scope), mine.ID},
			{"Unknown", b.scope, payment.NewID(payment.PrefixConn)},
		} {
			_, err := b.st.FindConnection(ctx, c.scope, c.id)
			wantErr(t, "FindConnection("+c.name+")", err, store.ErrNotFound)
			err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.FindConnectionForUpdate(ctx, c.scope, c.id)
				return err
			})
			wantErr(t, "FindConnectionForUpdate("+c.name+")", err, store.ErrNotFound)
		}

		// Disable and narrow the oldest: ConnectionFor moves to the next one.
		changed := *mine
		changed.Enabled, changed.Methods, changed.UpdatedAt = false, []string{"card", "paypal"}, t0.Add(time.Hour+789*time.Nanosecond)
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			locked, err := tx.FindConnectionForUpdate(ctx, b.scope, mine.ID)
			if err != nil {
				return err
			}
			checkSame(t, "FindConnectionForUpdate", locked, mine)
			return tx.UpdateConnection(ctx, &changed)
		})
		got, err = b.st.GetConnection(ctx, mine.ID)
		wantNoErr(t, "GetConnection(updated)", err)
		checkSame(t, "updated connection", got, &changed)
		if c, err := b.st.ConnectionFor(ctx, b.scope, "sandbox"); err != nil || c.ID != second.ID {
			t.Errorf("ConnectionFor after disabling the oldest = %v, %v; want %s", c, err, second.ID)
		}

		// Delete the second (disabled and marked): it is no longer chosen nor listed,
		// but still found by id, for refunds and webhooks.
		deletedAt := t0.Add(2 * time.Hour)
		gone := *second
		gone.Enabled, gone.DeletedAt, gone.UpdatedAt = false, &deletedAt, deletedAt
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConnection(ctx, &gone) })
		for _, get := range []func() (*store.Connection, error){
			func() (*store.Connection, error) { return b.st.GetConnection(ctx, second.ID) },
			func() (*store.Connection, error) { return b.st.FindConnection(ctx, b.scope, second.ID) },
		} {
			got, err := get()
			wantNoErr(t, "get a deleted connection", err)
			checkSame(t, "deleted connection", got, &gone)
		}
		// Even enabled again by mistake, a deleted connection is never chosen.
		enabledGone := gone
		enabledGone.Enabled = true
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConnection(ctx, &enabledGone) })
		_, err = b.st.ConnectionFor(ctx, b.scope, "sandbox")
		wantErr(t, "ConnectionFor with only disabled or deleted connections", err, store.ErrNotFound)
		list, err := b.st.ListConnections(ctx, b.scope)
		wantNoErr(t, "ListConnections", err)
		if len(list) != 1 || list[0].ID != mine.ID {
			t.Errorf("ListConnections after a delete = %v, want only %s", connIDs(list), mine.ID)
		}
		page, more, err := b.st.PageConnections(ctx, b.scope, store.ConnectionFilter{})
		wantNoErr(t, "PageConnections", err)
		if len(page) != 1 || more || page[0].ID != mine.ID {
			t.Errorf("PageConnections after a delete = %v (more=%v), want only %s", connIDs(page), more, mine.ID)
		}

		// Updates never reach another merchant's or mode's row.
		for _, c := range []struct {
			name string
			c    store.Connection
		}{
			{"OtherMerchant", func() store.Connection { c := *theirs; c.MerchantID = b.scope.MerchantID; return c }()},
			{"OtherMode", func() store.Connection { c := *live; c.Livemode = b.scope.Livemode; return c }()},
			{"Unknown", func() store.Connection { c := *mine; c.ID = payment.NewID(payment.PrefixConn); return c }()},
		} {
			c.c.Enabled = false
			err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateConnection(ctx, &c.c) })
			wantErr(t, "UpdateConnection("+c.name+")", err, store.ErrNotFound)
		}
		for _, c := range []*store.Connection{theirs, live} {
			got, err := b.st.GetConnection(ctx, c.ID)
			wantNoErr(t, "GetConnection", err)
			checkSame(t, "a connection another scope tried to update", got, c)
		}
	})

	parallel(t, open, "ConnectionPages", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		var want []*store.Connection
		var all []*store.Connection
		for i := range 12 {
			c := &store.Connection{ID: payment.NewID(payment.PrefixConn), MerchantID: b.scope.MerchantID, Livemode: b.scope.Livemode,
				Provider: "sandbox", Enabled: i%3 != 0, Methods: []string{}, Hint: "…",
				// Pairs share a creation time: the id breaks the tie.
				CreatedAt: t0.Add(time.Duration(i/2) * time.Second), UpdatedAt: t0}
			if i == 5 {
				at := t0.Add(time.Hour)
				c.DeletedAt = &at
			} else {
				want = append(want, c)
			}
			all = append(all, c)
		}
		theirs := &store.Connection{ID: payment.NewID(payment.PrefixConn), MerchantID: payment.NewID(payment.PrefixMerchant),
			Provider: "sandbox", Enabled: true, Hint: "…", CreatedAt: t0.Add(time.Minute), UpdatedAt: t0}
		live := &store.Connection{ID: payment.NewID(payment.PrefixConn), MerchantID: b.scope.MerchantID, Livemode: true,
			Provider: "stripe", Enabled: true, Hint: "…", CreatedAt: t0.Add(time.Minute), UpdatedAt: t0}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			for _, c := range append(slices.Clone(all), theirs, live) {
				if err := tx.InsertConnection(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		slices.SortFunc(want, func(a, b *store.Connection) int {
			if c := us(b.CreatedAt).Compare(us(a.CreatedAt)); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		var walked []*store.Connection
		f := store.ConnectionFilter{Limit: 4}
		for range 10 {
			got, more, err := b.st.PageConnections(ctx, b.scope, f)
			wantNoErr(t, "PageConnections", err)
			walked = append(walked, got...)
			if !more {
				break
			}
			f.StartingAfter = got[len(got)-1].ID
		}
		if !slices.Equal(connIDs(walked), connIDs(want)) {
			t.Errorf("walking PageConnections = %v, want %v (newest first, id breaks ties, no deleted one, each once)", connIDs(walked), connIDs(want))
		}
		for i, c := range walked {
			checkSame(t, fmt.Sprintf("PageConnections[%d]", i), c, want[i])
		}
		if got, more, err := b.st.PageConnections(ctx, b.scope, store.ConnectionFilter{Limit: len(want)}); err != nil || more || len(got) != len(want) {
			t.Errorf("PageConnections(limit = all) = %d rows, more=%v, %v; want %d, no more", len(got), more, err, len(want))
		}
		if got, _, err := b.st.PageConnections(ctx, otherMode(b.scope), store.ConnectionFilter{}); err != nil || len(got) != 1 || got[0].ID != live.ID {
			t.Errorf("PageConnections(live) = %v, %v; want only %s", connIDs(got), err, live.ID)
		}
		for _, c := range []struct{ name, id string }{
			{"Unknown", payment.NewID(payment.PrefixConn)},
			{"OtherMerchant", theirs.ID},
			{"OtherMode", live.ID},
			{"Deleted", all[5].ID},
		} {
			got, _, err := b.st.PageConnections(ctx, b.scope, store.ConnectionFilter{StartingAfter: c.id})
			var pe *payment.Error
			if !errors.As(err, &pe) || pe.Param != "starting_after" || pe.Kind != payment.KindInvalid {
				t.Errorf("%s: PageConnections(starting_after=%s) = %d rows, %v; want a KindInvalid *payment.Error with param starting_after", c.name, c.id, len(got), err)
			}
		}
	})

	parallel(t, open, "InboundWebhooks", func(t *testing.T, b *bundle) {
		record := func(conn, event string) bool {
			t.Helper()
			var fresh bool
			write(t, b.st, func(ctx context.Context, tx store.Tx) error {
				var err error
				fresh, err = tx.RecordInboundWebhook(ctx, conn, event, b.scope.MerchantID, t0)
				return err
			})
			return fresh
		}
		for _, c := range []struct {
			name, conn, event string
			fresh             bool
		}{
			{"First delivery", "conn_a", "evt_1", true},
			{"Redelivery", "conn_a", "evt_1", false},
			{"Redelivery again", "conn_a", "evt_1", false},
			{"Same event id, other connection", "conn_b", "evt_1", true},
			{"Other event", "conn_a", "evt_2", true},
		} {
			if got := record(c.conn, c.event); got != c.fresh {
				t.Errorf("%s: RecordInboundWebhook fresh = %v, want %v", c.name, got, c.fresh)
			}
		}
	})
}

func connIDs(cs []*store.Connection) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
