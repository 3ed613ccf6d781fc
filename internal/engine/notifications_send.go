package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// Sending a queued notification: the job renders it, sends it and records the
// outcome (notifications.go queues them).

// WorkNotification makes one attempt at sending a notification and records it.
func (e *Engine) WorkNotification(ctx context.Context, j store.Job) error {
	var ref notificationRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	s := store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}
	n, err := e.store.GetNotification(ctx, s, ref.NotificationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return storeErr(err)
	}
	if n.Status != store.NotificationQueued {
		return nil
	}
	if now := e.now(); n.NextAttemptAt.After(now) {
		return RunAgain{At: n.NextAttemptAt} // e.g. a crash before the job was rescheduled
	}
	if e.cfg.Mail.Sender == nil {
		// Queued by a process that had email set up; this one has not.
		return e.settleNotification(ctx, s, n.ID, attempt{skip: e.cfg.Mail.NotSetUp})
	}
	if n.Kind == string(notify.PaymentFailed) && n.PaymentID != "" {
		// The email invites the shopper to try again: pointless once the payment was
		// paid (perhaps with the shopper's next try, a moment later) or closed.
		p, err := e.store.GetPayment(ctx, s, n.PaymentID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return storeErr(err)
		}
		if err != nil || p.CheckConfirmable() != nil {
			why := "not sent: the payment can no longer be paid"
			if p != nil {
				why = fmt.Sprintf("not sent: the payment is no longer failed (now %s)", p.Status)
			}
			return e.settleNotification(ctx, s, n.ID, attempt{skip: why})
		}
	}
	msg, err := e.message(ctx, n)
	if err != nil {
		return err
	}
	sendErr := e.cfg.Mail.Sender.Send(ctx, msg)
	if errors.Is(ctx.Err(), context.Canceled) {
		// paymux is stopping: this attempt does not count; the job runs again once its
		// lease ends (the server may have taken it, which at-least-once allows).
		return ctx.Err()
	}
	return e.settleNotification(ctx, s, n.ID, attempt{made: true, err: sendErr})
}

// attempt is what became of a notification: an attempt was made (and failed with
// err, or succeeded), or it was skipped for the reason skip.
type attempt struct {
	made bool
	err  error
	skip string
}

// message renders n as the email to send.
func (e *Engine) message(ctx context.Context, n *store.Notification) (*notify.Message, error) {
	var sm storedMail
	if err := json.Unmarshal(n.Data, &sm); err != nil {
		return nil, fmt.Errorf("notification %s data: %w", n.ID, err)
	}
	email, err := e.cfg.Mail.Renderer.Render(notify.Kind(n.Kind), n.Locale, sm.Data)
	if err != nil {
		return nil, err
	}
	headers := map[string]string{"X-Paymux-Notification": n.ID}
	if n.Kind != string(notify.Free) {
		// RFC 3834: written by a machine, so auto-responders do not answer it.
		headers["Auto-Submitted"] = "auto-generated"
	}
	msg := &notify.Message{From: e.cfg.Mail.From, FromName: sm.Data.Brand.Name, To: n.Recipient, ReplyTo: sm.ReplyTo,
		Subject: n.Subject, Text: email.Text, HTML: email.HTML, Headers: headers}
	if n.Kind == string(notify.InvoiceIssued) {
		// The PDF stored when the document was issued, rendered now if that was missed.
		doc, pdf, err := e.InvoiceDocument(ctx, store.Scope{MerchantID: n.MerchantID, Livemode: n.Livemode}, n.RelatedID)
		if err != nil {
			return nil, fmt.Errorf("notification %s: invoice %s: %w", n.ID, n.RelatedID, err)
		}
		msg.Attachments = []notify.Attachment{{Name: doc.Number + ".pdf", ContentType: "application/pdf", Data: pdf}}
	}
	return msg, nil
}

// settleNotification records what became of a queued notification. Each attempt
// appends notification.sent or notification.failed to the history; a skip does not.
func (e *Engine) settleNotification(ctx context.Context, s store.Scope, id string, a attempt) error {
	var again time.Time
	var settled *store.Notification
	err := e.store.Write(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
		again, settled = time.Time{}, nil
		n, err := tx.GetNotificationForUpdate(ctx, s, id)
		if err != nil {
			return err
		}
		if n.Status != store.NotificationQueued {
			return nil // only this job settles a queued notification
		}
		now := e.now()
		from := n.Status
		n.UpdatedAt, n.NextAttemptAt = now, time.Time{}
		typ := payment.EventNotificationFailed
		switch {
		case !a.made:
			n.Status, n.LastError = store.NotificationSkipped, a.skip
		case a.err == nil:
			n.Attempts++
			n.Status, n.LastError, n.SentAt = store.NotificationSent, "", now
			typ = payment.EventNotificationSent
		default:
			n.Attempts++
			n.LastError = truncate(a.err.Error(), 1000)
			wait, more := e.cfg.Mail.RetrySchedule.Next(n.Attempts)
			switch {
			case notify.IsPermanent(a.err):
				n.Status = store.NotificationFailed
			case more:
				again = now.Add(wait)
				n.NextAttemptAt = again
			default:
				n.Status = store.NotificationFailed
				n.LastError = truncate(fmt.Sprintf("given up after %d attempts over %s; the last: %s",
					n.Attempts, e.cfg.Mail.RetrySchedule.Span(), a.err), 1000)
			}
		}
		if err := tx.UpdateNotification(ctx, n); err != nil {
			return err
		}
		settled = n
		if !a.made {
			return nil // not an attempt: nothing to add to the history
		}
		return e.recordNotification(ctx, tx, systemActor, typ, n, from)
	})
	if err != nil {
		return storeErr(err)
	}
	if n := settled; n != nil {
		attrs := []any{"notification", n.ID, "kind", n.Kind, "status", n.Status, "attempt", n.Attempts}
		switch {
		case n.Status == store.NotificationSent:
			e.log.Info("notification sent", attrs...)
		case a.err != nil:
			// The server's reply may name the recipient, and personal data stays out of
			// logs at every level: the address is masked in the error's text.
			var se *notify.SendError
			code := 0
			if errors.As(a.err, &se) {
				code = se.Code
			}
			e.log.Warn("notification not sent", append(attrs, "smtp_code", code)...)
			e.log.Debug("notification not sent", "notification", n.ID, "err", redactAddress(a.err.Error(), n.Recipient))
		}
	}
	if !again.IsZero() {
		return RunAgain{At: again}
	}
	return nil
}

// recordNotification appends an event about n to its payment's history (or to the
// merchant's stream, for notices about no payment).
func (e *Engine) recordNotification(ctx context.Context, tx store.Tx, actor payment.Actor, typ string, n *store.Notification, from string) error {
	data, err := json.Marshal(notificationView(n))
	if err != nil {
		return fmt.Errorf("encode notification event: %w", err)
	}
	return e.appendEvent(ctx, tx, &payment.Event{
		ID: payment.NewID(payment.PrefixEvent), MerchantID: n.MerchantID, Livemode: n.Livemode,
		Type: typ, PaymentID: n.PaymentID, Actor: actor, FromStatus: from, ToStatus: n.Status,
		Data: payment.EventData{Object: data}, CreatedAt: e.now(),
	}, false)
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// redactAddress masks an email address (and its domain-less local part) in text.
func redactAddress(text, addr string) string {
	if addr == "" {
		return text
	}
	text = strings.ReplaceAll(text, addr, "[recipient]")
	if local, _, ok := strings.Cut(addr, "@"); ok && len(local) > 3 {
		text = strings.ReplaceAll(text, local, "[recipient]")
	}
	return text
}
