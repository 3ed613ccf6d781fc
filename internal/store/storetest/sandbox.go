package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/store"
)

func testSandbox(t *testing.T, open Opener) {
	parallel(t, open, "LedgerRoundTrip", func(t *testing.T, b *bundle) {
		ctx := t.Context()
		txn := &store.SandboxTxn{ID: "sbx_txn_1", ConnectionID: "conn_1", MerchantID: b.scope.MerchantID, PaymentID: "pay_1",
			IdempotencyKey: "pay_1:1", Method: "pm_card_visa", Status: "requires_capture", Amount: 5000, Currency: "EUR",
			CaptureMethod: "manual", ReturnURL: "https://shop.example/r", CreatedAt: t0, UpdatedAt: t0}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error { return tx.InsertSandboxTxn(ctx, txn) })

		got, err := b.st.GetSandboxTxn(ctx, txn.ID)
		wantNoErr(t, "GetSandboxTxn", err)
		checkSame(t, "GetSandboxTxn", got, txn)
		got, err = b.st.SandboxTxnByKey(ctx, "conn_1", "pay_1:1")
		wantNoErr(t, "SandboxTxnByKey", err)
		checkSame(t, "SandboxTxnByKey", got, txn)
		for _, c := range []struct{ name, conn, key string }{
			{"OtherConnection", "conn_2", "pay_1:1"},
			{"OtherKey", "conn_1", "pay_1:2"},
		} {
			_, err := b.st.SandboxTxnByKey(ctx, c.conn, c.key)
			wantErr(t, "SandboxTxnByKey "+c.name, err, store.ErrNotFound)
		}
		_, err = b.st.GetSandboxTxn(ctx, "sbx_txn_nope")
		wantErr(t, "GetSandboxTxn(unknown)", err, store.ErrNotFound)

		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			dup := *txn
			dup.ID = "sbx_txn_2"
			return tx.InsertSandboxTxn(ctx, &dup)
		})
		wantErr(t, "InsertSandboxTxn(same connection and key)", err, store.ErrDuplicate)

		// Capture, then refund twice under one key (the second is the retry).
		txn.Status, txn.AmountCaptured, txn.AmountRefunded, txn.UpdatedAt = "succeeded", 4000, 1500, t0.Add(time.Minute)
		r := &store.SandboxRefund{ID: "sbx_re_1", TxnID: txn.ID, IdempotencyKey: "re_1", Amount: 1500, Status: "succeeded", CreatedAt: t0.Add(time.Minute)}
		write(t, b.st, func(ctx context.Context, tx store.Tx) error {
			if err := tx.UpdateSandboxTxn(ctx, txn); err != nil {
				return err
			}
			return tx.InsertSandboxRefund(ctx, r)
		})
		got, err = b.st.GetSandboxTxn(ctx, txn.ID)
		wantNoErr(t, "GetSandboxTxn after update", err)
		checkSame(t, "after UpdateSandboxTxn", got, txn)

		gotR, err := b.st.SandboxRefundByKey(ctx, txn.ID, "re_1")
		wantNoErr(t, "SandboxRefundByKey", err)
		checkSame(t, "SandboxRefundByKey", gotR, r)
		_, err = b.st.SandboxRefundByKey(ctx, txn.ID, "re_2")
		wantErr(t, "SandboxRefundByKey(other key)", err, store.ErrNotFound)
		_, err = b.st.SandboxRefundByKey(ctx, "sbx_txn_other", "re_1")
		wantErr(t, "SandboxRefundByKey(other txn)", err, store.ErrNotFound)

		err = b.st.Write(ctx, func(ctx context.Context, tx store.Tx) error {
			dup := *r
			dup.ID = "sbx_re_2"
			return tx.InsertSandboxRefund(ctx, &dup)
		})
		wantErr(t, "InsertSandboxRefund(same txn and key)", err, store.ErrDuplicate)
	})
}
