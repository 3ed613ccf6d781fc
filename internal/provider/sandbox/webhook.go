package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/provider"
	"github.com/paymux/paymux/internal/store"
)

// SignatureHeader carries "t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", the
// scheme Stripe uses, so the intake is exercised as with a real provider.
const SignatureHeader = "Sandbox-Signature"

// Tolerance is how old a signed webhook may be.
const Tolerance = 5 * time.Minute

// Sign returns the signature header value for body at t.
func Sign(secret string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature header; any v1 may match, compared in constant time.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: connection has no webhook secret", provider.ErrBadSignature)
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed %s header", provider.ErrBadSignature, SignatureHeader)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp outside the %s tolerance", provider.ErrBadSignature, tolerance)
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", provider.ErrBadSignature)
}

// webhookEvent is the sandbox's webhook payload.
type webhookEvent struct {
	ID      string     `json:"id"`
	Type    string     `json:"type"`
	Created int64      `json:"created"`
	Data    webhookTxn `json:"data"`
}

type webhookTxn struct {
	ID             string `json:"id"`
	PaymentID      string `json:"payment_id"`
	Method         string `json:"method"`
	Status         string `json:"status"`
	Amount         int64  `json:"amount"`
	AmountCaptured int64  `json:"amount_captured"`
	Currency       string `json:"currency"`
}

// webhookJob is the argument of a JobWebhook job.
type webhookJob struct {
	ConnectionID string `json:"connection_id"`
	TxnID        string `json:"txn_id"`
	// Settle moves a processing transaction to its final state before notifying.
	Settle bool `json:"settle,omitempty"`
	// Dispute notifies a dispute of the (captured) transaction instead of its state.
	Dispute bool `json:"dispute,omitempty"`
}

// disputeCreated is the type of the sandbox's dispute webhook.
const disputeCreated = "dispute.created"

// enqueueDispute schedules the dispute of a captured transaction.
func (s *Sandbox) enqueueDispute(ctx context.Context, tx store.Tx, t *store.SandboxTxn, at time.Time) error {
	b, err := json.Marshal(webhookJob{ConnectionID: t.ConnectionID, TxnID: t.ID, Dispute: true})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobWebhook, MerchantID: t.MerchantID, Args: b, RunAt: at})
}

func (s *Sandbox) enqueueWebhook(ctx context.Context, tx store.Tx, t *store.SandboxTxn, settle bool, at time.Time) error {
	b, err := json.Marshal(webhookJob{ConnectionID: t.ConnectionID, TxnID: t.ID, Settle: settle})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobWebhook, MerchantID: t.MerchantID, Args: b, RunAt: at})
}

// WorkWebhook settles a transaction if asked, then posts its state, signed, to
// paymux's intake. A failed post is retried by the job runner with the same event
// id, which the intake deduplicates.
func (s *Sandbox) WorkWebhook(ctx context.Context, j store.Job) error {
	var args webhookJob
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	var t *store.SandboxTxn
	err := s.d.Store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if t, err = tx.GetSandboxTxn(ctx, args.TxnID); err != nil {
			return err
		}
		if args.Settle && t.Status == txnProcessing {
			approve(t)
			t.UpdatedAt = s.d.Now().UTC()
			return tx.UpdateSandboxTxn(ctx, t)
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // nothing to tell
	}
	if err != nil {
		return err
	}
	conn, err := s.d.Connection(ctx, args.ConnectionID)
	if err != nil {
		return err
	}
	id, typ := "sbxevt_"+t.ID+"_"+t.Status, "transaction."+t.Status
	if args.Dispute {
		id, typ = "sbxevt_"+t.ID+"_dispute", disputeCreated
	}
	body, err := json.Marshal(webhookEvent{
		ID: id, Type: typ, Created: t.UpdatedAt.Unix(),
		Data: webhookTxn{ID: t.ID, PaymentID: t.PaymentID, Method: t.Method, Status: t.Status,
			Amount: t.Amount, AmountCaptured: t.AmountCaptured, Currency: t.Currency},
	})
	if err != nil {
		return err
	}
	url := s.d.BaseURL + "/hooks/" + Name + "/" + conn.ID
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(conn.Credentials["webhook_secret"], body, s.d.Now()))
	resp, err := s.d.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("post sandbox webhook to %s: %w", url, err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post sandbox webhook to %s: %s: %s", url, resp.Status, excerpt)
	}
	return nil
}
