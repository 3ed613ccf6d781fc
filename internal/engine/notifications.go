package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paymux/paymux/internal/invoice"
	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/webhook"
)

// Emails (package notify writes and sends them).
//
// An email is a notification row written in the same transaction as the change
// that causes it (a payment's success or failure, a refund, a payment link, a
// disabled webhook endpoint, an operator's request), with a job that sends it: a
// crash can lose none, and none is sent for a change that did not commit. The job
// renders the email in the shopper's language, sends it over SMTP, and records the
// outcome and a notification.sent or notification.failed event on the payment's
// history, in one transaction. Temporary failures (4xx replies, a server that is
// down) are tried again along MailConfig.RetrySchedule; permanent ones (5xx) end
// the notification failed at once. Delivery is at least once: a crash between the
// server's acceptance and the record sends the email again.

// Job kinds of emails.
const (
	// JobNotification sends one notification; its args are a notificationRef.
	JobNotification = "notification.send"
	// JobPaymentReminder reminds the shopper of a payment still unpaid; its args
	// are a paymentRef. It is queued when the payment is created.
	JobPaymentReminder = "notification.reminder"
)

// PrefixNotification starts notification ids.
const PrefixNotification = "ntf_"

// DefaultMailRetrySchedule is how long to wait after each temporary failure to
// send an email: quick retries for a blip, then hours apart, about 16 hours in all.
var DefaultMailRetrySchedule = webhook.Schedule{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
}

// MailConfig sets up emails.
type MailConfig struct {
	// Sender sends them; nil means email is not set up: notifications are recorded
	// as skipped, with NotSetUp as the reason.
	Sender notify.Sender
	// From is the sender's address (PAYMUX_MAIL_FROM); the merchant's brand name
	// is its display name.
	From string
	// NotSetUp says why nothing is sent when Sender is nil.
	NotSetUp string
	// RetrySchedule is how long to wait after each temporary failure; nil means
	// DefaultMailRetrySchedule.
	RetrySchedule webhook.Schedule
	// Renderer writes the emails; nil means notify.NewRenderer().
	Renderer *notify.Renderer
}

func (c MailConfig) withDefaults() MailConfig {
	if len(c.RetrySchedule) == 0 {
		c.RetrySchedule = DefaultMailRetrySchedule
	}
	if c.NotSetUp == "" {
		c.NotSetUp = "not sent: email is not set up on this paymux (PAYMUX_SMTP_URL is empty)"
	}
	if c.Renderer == nil {
		r, err := notify.NewRenderer()
		if err != nil {
			// The templates are embedded and every one is rendered by the tests.
			panic(err)
		}
		c.Renderer = r
	}
	return c
}

// notificationRef is a notification job's args.
type notificationRef struct {
	MerchantID     string `json:"merchant_id"`
	Livemode       bool   `json:"livemode"`
	NotificationID string `json:"notification_id"`
}

// notificationJobMaxAttempts bounds job-level retries, which happen only when the
// worker itself fails (e.g. the database is down); sending attempts are scheduled
// by the worker and counted on the notification.
const notificationJobMaxAttempts = 1000

// storedMail is a notification's Data: what the email shows, fixed when it is
// queued so that what is sent matches the subject recorded with it.
type storedMail struct {
	Data    notify.Data `json:"data"`
	ReplyTo string      `json:"reply_to,omitempty"`
}

// outgoing is an email to queue.
type outgoing struct {
	kind      notify.Kind
	to        string
	locale    string
	paymentID string
	relatedID string
	data      notify.Data
	actor     payment.Actor
}

// queueMail records m in tx and, when email is set up, the job that sends it; the
// merchant's settings ns give its brand and reply-to.
func (e *Engine) queueMail(ctx context.Context, tx store.Tx, s store.Scope, ns *store.NotificationSettings, m outgoing) (*store.Notification, error) {
	brand, err := brandOf(ctx, tx, s, ns)
	if err != nil {
		return nil, err
	}
	m.data.Brand, m.data.ReplyTo = brand, ns.ReplyTo != ""
	if !payment.ValidLocale(m.locale) {
		m.locale = ns.DefaultLocale
	}
	subject, err := e.cfg.Mail.Renderer.Subject(m.kind, m.locale, m.data)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(storedMail{Data: m.data, ReplyTo: ns.ReplyTo})
	if err != nil {
		return nil, fmt.Errorf("encode notification: %w", err)
	}
	now := e.now()
	n := &store.Notification{ID: payment.NewID(PrefixNotification), MerchantID: s.MerchantID, Livemode: s.Livemode,
		PaymentID: m.paymentID, RelatedID: m.relatedID, Kind: string(m.kind), Recipient: m.to, Locale: m.locale,
		Subject: subject, Status: store.NotificationQueued, NextAttemptAt: now, Data: data, Actor: m.actor,
		CreatedAt: now, UpdatedAt: now}
	if e.cfg.Mail.Sender == nil {
		n.Status, n.LastError, n.NextAttemptAt = store.NotificationSkipped, e.cfg.Mail.NotSetUp, time.Time{}
	}
	if err := tx.InsertNotification(ctx, n); err != nil {
		return nil, err
	}
	e.log.Debug("notification queued", "notification", n.ID, "kind", n.Kind, "status", n.Status)
	if n.Status != store.NotificationQueued {
		return n, nil
	}
	args, err := json.Marshal(notificationRef{MerchantID: s.MerchantID, Livemode: s.Livemode, NotificationID: n.ID})
	if err != nil {
		return nil, err
	}
	return n, tx.EnqueueJob(ctx, store.Job{Kind: JobNotification, MerchantID: s.MerchantID, Args: args, RunAt: now,
		UniqueKey: "notify:" + n.ID, MaxAttempts: notificationJobMaxAttempts})
}

// brandOf is the merchant's brand; its name defaults to the merchant's.
func brandOf(ctx context.Context, r store.Reader, s store.Scope, ns *store.NotificationSettings) (notify.Brand, error) {
	b := notify.Brand{Name: ns.BrandName, Color: ns.BrandColor, LogoURL: ns.LogoURL}
	if b.Name == "" {
		m, err := r.GetMerchant(ctx, s.MerchantID)
		if err != nil {
			return b, err
		}
		b.Name = m.Name
	}
	if b.Color == "" {
		b.Color = DefaultBrandColor
	}
	return b, nil
}

// shopperLocale is the language a payment's shopper is written to in.
func shopperLocale(p *payment.Payment, ns *store.NotificationSettings) string {
	if payment.ValidLocale(p.Customer.Locale) {
		return p.Customer.Locale
	}
	return ns.DefaultLocale
}

// paymentData is what every email about p shows, in locale.
func paymentData(p *payment.Payment, locale string) notify.Data {
	return notify.Data{CustomerName: p.Customer.Name, PaymentID: p.ID, Amount: notify.FormatAmount(p.Amount, p.Currency, locale),
		OrderID: p.OrderID, Description: p.Description, Link: p.CheckoutURL}
}

// notifyPayment queues what a change of p (an event of type typ, from status
// from) tells its shopper: a confirmation when it first succeeds, a notice with a
// link to try again when it fails, and, at its creation, the reminder job. Nothing
// is read unless the shopper gave an email address, so payments without one pay
// nothing for emails.
func (e *Engine) notifyPayment(ctx context.Context, tx store.Tx, actor payment.Actor, typ string, p *payment.Payment, from payment.Status) error {
	if p.Customer.Email == "" {
		return nil
	}
	var kind notify.Kind
	switch {
	case typ == payment.EventPaymentCreated:
		return e.scheduleReminder(ctx, tx, p)
	case typ == payment.PaymentEventType(payment.StatusSucceeded),
		typ == payment.EventPaymentCaptured && from != payment.StatusSucceeded:
		kind = notify.PaymentSucceeded
	case typ == payment.PaymentEventType(payment.StatusFailed):
		kind = notify.PaymentFailed
	default:
		return nil
	}
	s := store.Scope{MerchantID: p.MerchantID, Livemode: p.Livemode}
	ns, err := mailSettings(ctx, tx, s)
	if err != nil || !kindOn(ns, kind) {
		return err
	}
	locale := shopperLocale(p, ns)
	_, err = e.queueMail(ctx, tx, s, ns, outgoing{kind: kind, to: p.Customer.Email, locale: locale, paymentID: p.ID,
		data: paymentData(p, locale), actor: actor})
	return err
}

// notifyRefund queues the shopper's notice of a refund that succeeded.
func (e *Engine) notifyRefund(ctx context.Context, tx store.Tx, actor payment.Actor, typ string, r *payment.Refund) error {
	if typ != payment.EventRefundSucceeded {
		return nil
	}
	s := store.Scope{MerchantID: r.MerchantID, Livemode: r.Livemode}
	p, err := tx.GetPayment(ctx, s, r.PaymentID)
	if err != nil || p.Customer.Email == "" {
		return err
	}
	ns, err := mailSettings(ctx, tx, s)
	if err != nil || !kindOn(ns, notify.RefundSucceeded) {
		return err
	}
	locale := shopperLocale(p, ns)
	d := paymentData(p, locale)
	d.RefundAmount = notify.FormatAmount(r.Amount, r.Currency, locale)
	_, err = e.queueMail(ctx, tx, s, ns, outgoing{kind: notify.RefundSucceeded, to: p.Customer.Email, locale: locale,
		paymentID: p.ID, relatedID: r.ID, data: d, actor: actor})
	return err
}

// notifyInvoice queues the email that sends the shopper a newly issued invoice or
// credit note (its PDF is attached when the email is sent), in the issuing tx.
func (e *Engine) notifyInvoice(ctx context.Context, tx store.Tx, actor payment.Actor, doc *invoice.Invoice) error {
	s := store.Scope{MerchantID: doc.MerchantID, Livemode: doc.Livemode}
	p, err := tx.GetPayment(ctx, s, doc.PaymentID)
	if err != nil || p.Customer.Email == "" {
		return err
	}
	ns, err := mailSettings(ctx, tx, s)
	if err != nil || !kindOn(ns, notify.InvoiceIssued) {
		return err
	}
	// The document speaks the language it was issued in; the email follows it.
	locale := doc.Locale
	if !payment.ValidLocale(locale) {
		locale = shopperLocale(p, ns)
	}
	d := paymentData(p, locale)
	d.DocumentNumber, d.CreditNote = doc.Number, doc.Type == invoice.TypeCreditNote
	_, err = e.queueMail(ctx, tx, s, ns, outgoing{kind: notify.InvoiceIssued, to: p.Customer.Email, locale: locale,
		paymentID: p.ID, relatedID: doc.ID, data: d, actor: actor})
	return err
}

// scheduleReminder queues, at a payment's creation, the job that reminds its
// shopper if it is still unpaid ReminderDelay later, when the merchant wants
// reminders and that is before the payment expires.
func (e *Engine) scheduleReminder(ctx context.Context, tx store.Tx, p *payment.Payment) error {
	s := store.Scope{MerchantID: p.MerchantID, Livemode: p.Livemode}
	ns, err := mailSettings(ctx, tx, s)
	if err != nil || !kindOn(ns, notify.PaymentReminder) {
		return err
	}
	at := p.CreatedAt.Add(ns.ReminderDelay)
	if !at.Before(p.ExpiresAt) {
		return nil
	}
	args, err := json.Marshal(paymentRef{p.MerchantID, p.Livemode, p.ID})
	if err != nil {
		return err
	}
	return tx.EnqueueJob(ctx, store.Job{Kind: JobPaymentReminder, MerchantID: p.MerchantID, Args: args, RunAt: at,
		UniqueKey: ReminderJobKey(p.ID), MaxAttempts: notificationJobMaxAttempts})
}

// ReminderJobKey is the unique key of a payment's reminder job.
func ReminderJobKey(paymentID string) string { return "reminder:" + paymentID }

// WorkPaymentReminder queues the reminder of a payment its shopper has not paid,
// unless it was paid, canceled or has expired meanwhile, or the merchant switched
// reminders off.
func (e *Engine) WorkPaymentReminder(ctx context.Context, j store.Job) error {
	var ref paymentRef
	if err := json.Unmarshal(j.Args, &ref); err != nil {
		return fmt.Errorf("bad %s args: %w", j.Kind, err)
	}
	s := store.Scope{MerchantID: ref.MerchantID, Livemode: ref.Livemode}
	return storeErr(e.store.Write(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPaymentForUpdate(ctx, s, ref.PaymentID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.CheckConfirmable() != nil || !e.now().Before(p.ExpiresAt) || p.Customer.Email == "" {
			return nil
		}
		ns, err := mailSettings(ctx, tx, s)
		if err != nil || !kindOn(ns, notify.PaymentReminder) {
			return err
		}
		locale := shopperLocale(p, ns)
		d := paymentData(p, locale)
		d.ExpiresAt = notify.FormatDate(p.ExpiresAt, locale)
		_, err = e.queueMail(ctx, tx, s, ns, outgoing{kind: notify.PaymentReminder, to: p.Customer.Email, locale: locale,
			paymentID: p.ID, data: d, actor: systemActor})
		return err
	}))
}

// notifyEndpointDisabled queues the operator's notice that paymux disabled one of
// the merchant's webhook endpoints, if the merchant gave an operator address.
func (e *Engine) notifyEndpointDisabled(ctx context.Context, tx store.Tx, ep *store.WebhookEndpoint, reason string) error {
	s := store.Scope{MerchantID: ep.MerchantID, Livemode: ep.Livemode}
	ns, err := mailSettings(ctx, tx, s)
	if err != nil || ns.OperatorEmail == "" || !kindOn(ns, notify.EndpointDisabled) {
		return err
	}
	_, err = e.queueMail(ctx, tx, s, ns, outgoing{kind: notify.EndpointDisabled, to: ns.OperatorEmail, locale: ns.DefaultLocale,
		relatedID: ep.ID, actor: systemActor,
		data: notify.Data{EndpointID: ep.ID, EndpointURL: ep.URL, Reason: reason, Livemode: ep.Livemode}})
	return err
}

// PaymentLinkEmail is the email that sends a shopper a payment link.
type PaymentLinkEmail struct {
	// LinkID is the payment link's id; URL the page the shopper pays on.
	LinkID string
	URL    string
	// PaymentID is the link's payment, if it already has one.
	PaymentID    string
	Amount       int64
	Currency     string
	OrderID      string
	Description  string
	To           string
	CustomerName string
	// Locale is the shopper's language; empty means the merchant's default.
	Locale string
	// ExpiresAt is when the link stops working; zero if never.
	ExpiresAt time.Time
}

// QueuePaymentLinkEmail records the email of a payment link in tx, the
// transaction that creates the link (or asks to send it again), so that the email
// goes if and only if that commits. It returns nil and no error when the merchant
// switched payment-link emails off.
func (e *Engine) QueuePaymentLinkEmail(ctx context.Context, tx store.Tx, actor payment.Actor, s store.Scope, l PaymentLinkEmail) (*Notification, error) {
	if err := checkAddress("to", l.To); err != nil {
		return nil, err
	}
	if l.URL == "" {
		return nil, payment.Invalid("url", payment.CodeParameterMissing, "the payment link's URL is required")
	}
	ns, err := mailSettings(ctx, tx, s)
	if err != nil || !kindOn(ns, notify.PaymentLink) {
		return nil, err
	}
	locale := l.Locale
	if !payment.ValidLocale(locale) {
		locale = ns.DefaultLocale
	}
	d := notify.Data{CustomerName: l.CustomerName, PaymentID: l.PaymentID, Amount: notify.FormatAmount(l.Amount, l.Currency, locale),
		OrderID: l.OrderID, Description: l.Description, Link: l.URL}
	if !l.ExpiresAt.IsZero() {
		d.ExpiresAt = notify.FormatDate(l.ExpiresAt, locale)
	}
	n, err := e.queueMail(ctx, tx, s, ns, outgoing{kind: notify.PaymentLink, to: l.To, locale: locale, paymentID: l.PaymentID,
		relatedID: l.LinkID, data: d, actor: actor})
	if err != nil {
		return nil, err
	}
	return notificationView(n), nil
}
