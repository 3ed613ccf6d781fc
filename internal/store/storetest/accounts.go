package storetest

import (
	"context"
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
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.RevokeAPIKey(ctx, keys[0].ID, revokedAt) })
		got, err := b.st.APIKeyByHash(ctx, keys[0].Hash)
		wantNoErr(t, "APIKeyByHash(revoked)", err)
		want := *keys[0]
		want.RevokedAt = &revokedAt
		checkSame(t, "revoked key", got, &want)
		if other, _ := b.st.APIKeyByHash(ctx, keys[1].Hash); other != nil && other.RevokedAt != nil {
			t.Errorf("revoking one key revoked another")
		}

		for _, c := range []struct{ name, id string }{{"RevokeTwice", keys[0].ID}, {"RevokeUnknown", payment.NewID(payment.PrefixKey)}} {
			err := b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error { return tx.RevokeAPIKey(ctx, c.id, t0.Add(2*time.Hour)) })
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
