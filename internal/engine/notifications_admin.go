package engine

import (
	"context"
	"errors"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// Defaults and limits of email settings and free notifications.
const (
	// DefaultReminderDelay is how long after its creation an unpaid payment's
	// shopper is reminded of it, when the merchant switched reminders on.
	DefaultReminderDelay = time.Hour
	// MinReminderDelay and MaxReminderDelay bound reminder_delay.
	MinReminderDelay = time.Minute
	MaxReminderDelay = 7 * 24 * time.Hour
	// DefaultBrandColor is the header and button colour of a merchant that chose none.
	DefaultBrandColor = "#2d6cdf"
	// MaxSubjectLen and MaxMessageLen bound an operator's free notification.
	MaxSubjectLen = 200
	MaxMessageLen = 10000
	maxBrandName  = 100
	maxURLLen     = 2000
)

// NotificationSettings are a merchant's email settings in one mode, as the API
// shows them.
type NotificationSettings struct {
	Object   string            `json:"object"`
	Livemode bool              `json:"livemode"`
	Kinds    NotificationKinds `json:"kinds"`
	// ReminderDelay is in seconds.
	ReminderDelay int64             `json:"reminder_delay"`
	DefaultLocale string            `json:"default_locale"`
	Brand         NotificationBrand `json:"brand"`
	ReplyTo       string            `json:"reply_to"`
	OperatorEmail string            `json:"operator_email"`
	UpdatedAt     *time.Time        `json:"updated_at"`
}

// NotificationKinds says which emails are sent.
type NotificationKinds struct {
	PaymentSucceeded bool `json:"payment_succeeded"`
	PaymentFailed    bool `json:"payment_failed"`
	RefundSucceeded  bool `json:"refund_succeeded"`
	PaymentLink      bool `json:"payment_link"`
	PaymentReminder  bool `json:"payment_reminder"`
	EndpointDisabled bool `json:"endpoint_disabled"`
	InvoiceIssued    bool `json:"invoice_issued"`
}

// NotificationBrand is how the emails look. An empty name means the merchant's.
type NotificationBrand struct {
	Name    string `json:"name"`
	Color   string `json:"color"`
	LogoURL string `json:"logo_url"`
}

// UpdateNotificationSettingsParams change settings; nil fields (and kinds not in
// Kinds) are left as they are. Empty strings clear a field back to its default.
type UpdateNotificationSettingsParams struct {
	Kinds map[notify.Kind]bool
	// ReminderDelay is in seconds.
	ReminderDelay *int64
	DefaultLocale *string
	BrandName     *string
	BrandColor    *string
	LogoURL       *string
	ReplyTo       *string
	OperatorEmail *string
}

// Notification is an email as the API shows it. Its body is never shown: the
// notification keeps only what the email shows, and the email is rendered when sent.
type Notification struct {
	ID            string        `json:"id"`
	Object        string        `json:"object"`
	Livemode      bool          `json:"livemode"`
	PaymentID     string        `json:"payment_id,omitempty"`
	RelatedID     string        `json:"related_id,omitempty"`
	Kind          string        `json:"kind"`
	To            string        `json:"to"`
	Locale        string        `json:"locale"`
	Subject       string        `json:"subject"`
	Status        string        `json:"status"`
	AttemptCount  int           `json:"attempt_count"`
	LastError     string        `json:"last_error"`
	NextAttemptAt *time.Time    `json:"next_attempt_at"`
	Actor         payment.Actor `json:"actor"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	SentAt        *time.Time    `json:"sent_at"`
}

// FreeNotificationParams are an operator's own email about a payment. To empty
// means the payment's customer; Locale empty means the shopper's language.
type FreeNotificationParams struct {
	Subject string
	Message string
	To      string
	Locale  string
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func notificationView(n *store.Notification) *Notification {
	return &Notification{ID: n.ID, Object: "notification", Livemode: n.Livemode, PaymentID: n.PaymentID,
		RelatedID: n.RelatedID, Kind: n.Kind, To: n.Recipient, Locale: n.Locale, Subject: n.Subject, Status: n.Status,
		AttemptCount: n.Attempts, LastError: n.LastError, NextAttemptAt: timePtr(n.NextAttemptAt), Actor: n.Actor,
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, SentAt: timePtr(n.SentAt)}
}

// mailSettings returns the scope's settings, or the defaults if it has none.
func mailSettings(ctx context.Context, r store.Reader, s store.Scope) (*store.NotificationSettings, error) {
	ns, err := r.GetNotificationSettings(ctx, s)
	if errors.Is(err, store.ErrNotFound) {
		return &store.NotificationSettings{MerchantID: s.MerchantID, Livemode: s.Livemode, Kinds: map[string]bool{},
			ReminderDelay: DefaultReminderDelay, DefaultLocale: payment.Locales()[0]}, nil
	}
	return ns, err
}

// kindOn says whether the merchant gets emails of kind k.
func kindOn(ns *store.NotificationSettings, k notify.Kind) bool {
	if on, ok := ns.Kinds[string(k)]; ok {
		return on
	}
	return k.OnByDefault()
}

func settingsView(ns *store.NotificationSettings) *NotificationSettings {
	color := ns.BrandColor
	if color == "" {
		color = DefaultBrandColor
	}
	return &NotificationSettings{Object: "notification_settings", Livemode: ns.Livemode,
		Kinds: NotificationKinds{
			PaymentSucceeded: kindOn(ns, notify.PaymentSucceeded), PaymentFailed: kindOn(ns, notify.PaymentFailed),
			RefundSucceeded: kindOn(ns, notify.RefundSucceeded), PaymentLink: kindOn(ns, notify.PaymentLink),
			PaymentReminder: kindOn(ns, notify.PaymentReminder), EndpointDisabled: kindOn(ns, notify.EndpointDisabled),
			InvoiceIssued: kindOn(ns, notify.InvoiceIssued)},
		ReminderDelay: int64(ns.ReminderDelay / time.Second), DefaultLocale: ns.DefaultLocale,
		Brand:   NotificationBrand{Name: ns.BrandName, Color: color, LogoURL: ns.LogoURL},
		ReplyTo: ns.ReplyTo, OperatorEmail: ns.OperatorEmail, UpdatedAt: timePtr(ns.UpdatedAt)}
}

// GetNotificationSettings returns the scope's email settings, defaults included.
func (e *Engine) GetNotificationSettings(ctx context.Context, s store.Scope) (*NotificationSettings, error) {
	ns, err := mailSettings(ctx, e.store, s)
	if err != nil {
		return nil, storeErr(err)
	}
	return settingsView(ns), nil
}

var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// UpdateNotificationSettings changes the given settings, checking every one first:
// a request with one bad value changes nothing.
func (e *Engine) UpdateNotificationSettings(ctx context.Context, s store.Scope, p UpdateNotificationSettingsParams) (*NotificationSettings, error) {
	for k := range p.Kinds {
		if !k.Valid() || k == notify.Free {
			return nil, payment.Invalid("kinds."+string(k), payment.CodeParameterUnknown, "unknown kind of email %q", k)
		}
	}
	if p.ReminderDelay != nil {
		d := time.Duration(*p.ReminderDelay) * time.Second
		if *p.ReminderDelay < 0 || d < MinReminderDelay || d > MaxReminderDelay {
			return nil, payment.Invalid("reminder_delay", payment.CodeParameterInvalid,
				"reminder_delay must be a number of seconds from %d (1 minute) to %d (7 days), got %d",
				int64(MinReminderDelay/time.Second), int64(MaxReminderDelay/time.Second), *p.ReminderDelay)
		}
	}
	if p.DefaultLocale != nil && !payment.ValidLocale(*p.DefaultLocale) {
		return nil, payment.Invalid("default_locale", payment.CodeParameterInvalid,
			"default_locale must be one of %s, got %q", strings.Join(payment.Locales(), ", "), *p.DefaultLocale)
	}
	if p.BrandName != nil {
		if n := utf8.RuneCountInString(*p.BrandName); n > maxBrandName || strings.IndexFunc(*p.BrandName, unicode.IsControl) >= 0 {
			return nil, payment.Invalid("brand.name", payment.CodeParameterInvalid,
				"brand.name must be at most %d characters on one line (empty: the merchant's name)", maxBrandName)
		}
	}
	if p.BrandColor != nil && *p.BrandColor != "" && !colorRE.MatchString(*p.BrandColor) {
		return nil, payment.Invalid("brand.color", payment.CodeParameterInvalid,
			"brand.color must be a colour written #rrggbb, such as \"#1a73e8\", got %q", *p.BrandColor)
	}
	if p.LogoURL != nil && *p.LogoURL != "" {
		if err := checkLogoURL(*p.LogoURL); err != nil {
			return nil, err
		}
	}
	if p.ReplyTo != nil && *p.ReplyTo != "" {
		if err := checkAddress("reply_to", *p.ReplyTo); err != nil {
			return nil, err
		}
	}
	if p.OperatorEmail != nil && *p.OperatorEmail != "" {
		if err := checkAddress("operator_email", *p.OperatorEmail); err != nil {
			return nil, err
		}
	}
	var out *NotificationSettings
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		def, err := mailSettings(ctx, tx, s)
		if err != nil {
			return nil, err
		}
		// Lock the row (stored with the defaults if there is none yet), so that a
		// concurrent partial update applies after this one rather than over it.
		if def.CreatedAt.IsZero() {
			def.CreatedAt = e.now()
		}
		ns, err := tx.LockNotificationSettings(ctx, def)
		if err != nil {
			return nil, err
		}
		// The view is taken before the change: it copies what the update overwrites.
		before := settingsView(ns)
		now := e.now()
		if ns.CreatedAt.IsZero() {
			ns.CreatedAt = now
		}
		ns.UpdatedAt = now
		for k, on := range p.Kinds {
			ns.Kinds[string(k)] = on
		}
		if p.ReminderDelay != nil {
			ns.ReminderDelay = time.Duration(*p.ReminderDelay) * time.Second
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&ns.DefaultLocale, p.DefaultLocale)
		set(&ns.BrandName, p.BrandName)
		set(&ns.LogoURL, p.LogoURL)
		set(&ns.ReplyTo, p.ReplyTo)
		set(&ns.OperatorEmail, p.OperatorEmail)
		if p.BrandColor != nil {
			ns.BrandColor = strings.ToLower(*p.BrandColor)
		}
		if err := tx.PutNotificationSettings(ctx, ns); err != nil {
			return nil, err
		}
		out = settingsView(ns)
		return out, e.audit(ctx, tx, s, "notification_settings.updated", "notification_settings", s.MerchantID, before, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func checkLogoURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(raw) > maxURLLen {
		return payment.Invalid("brand.logo_url", payment.CodeParameterInvalid,
			"brand.logo_url must be an https:// URL of at most %d characters (mail clients block images from elsewhere), got %q", maxURLLen, raw)
	}
	return nil
}

// checkAddress accepts a bare email address ("ada@example.com"), the form every
// recipient field takes.
func checkAddress(param, v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" || len(v) > 254 {
		return payment.Invalid(param, payment.CodeParameterInvalid,
			"%s must be an email address such as \"ada@example.com\", got %q", param, v)
	}
	return nil
}

// SendFreeNotification queues an operator's own email about a payment, to its
// customer unless p.To says otherwise, and appends notification.created with the
// actor who asked. It is queued (or, without email set up, skipped) in one
// transaction; the job sends it.
func (e *Engine) SendFreeNotification(ctx context.Context, actor payment.Actor, s store.Scope, paymentID string, p FreeNotificationParams) (*Notification, error) {
	subject, message := strings.TrimSpace(p.Subject), strings.TrimSpace(p.Message)
	switch {
	case subject == "":
		return nil, payment.Invalid("subject", payment.CodeParameterMissing, "subject is required: the email's subject line")
	case utf8.RuneCountInString(subject) > MaxSubjectLen || strings.IndexFunc(subject, unicode.IsControl) >= 0:
		return nil, payment.Invalid("subject", payment.CodeParameterInvalid,
			"subject must be one line of at most %d characters", MaxSubjectLen)
	case message == "":
		return nil, payment.Invalid("message", payment.CodeParameterMissing, "message is required: the text of the email")
	case utf8.RuneCountInString(message) > MaxMessageLen:
		return nil, payment.Invalid("message", payment.CodeParameterInvalid,
			"message must be at most %d characters, got %d", MaxMessageLen, utf8.RuneCountInString(message))
	case p.Locale != "" && !payment.ValidLocale(p.Locale):
		return nil, payment.Invalid("locale", payment.CodeParameterInvalid,
			"locale must be one of %s, got %q", strings.Join(payment.Locales(), ", "), p.Locale)
	}
	if p.To != "" {
		if err := checkAddress("to", p.To); err != nil {
			return nil, err
		}
	}
	var out *Notification
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		pay, err := tx.GetPaymentForUpdate(ctx, s, paymentID)
		if err != nil {
			return nil, notFound(err, "payment", paymentID)
		}
		to := p.To
		if to == "" {
			if to = pay.Customer.Email; to == "" {
				return nil, payment.Invalid("to", payment.CodeParameterMissing,
					"to is required: payment %s has no customer email to write to", paymentID)
			}
		}
		ns, err := mailSettings(ctx, tx, s)
		if err != nil {
			return nil, err
		}
		locale := p.Locale
		if locale == "" {
			locale = shopperLocale(pay, ns)
		}
		d := paymentData(pay, locale)
		d.Subject, d.Message, d.Link = subject, message, ""
		n, err := e.queueMail(ctx, tx, s, ns, outgoing{kind: notify.Free, to: to, locale: locale, paymentID: pay.ID,
			data: d, actor: actor})
		if err != nil {
			return nil, err
		}
		if err := e.recordNotification(ctx, tx, actor, payment.EventNotificationCreated, n, ""); err != nil {
			return nil, err
		}
		out = notificationView(n)
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListPaymentNotifications lists the emails about a payment, newest first.
func (e *Engine) ListPaymentNotifications(ctx context.Context, s store.Scope, paymentID string, f store.NotificationFilter) ([]*Notification, bool, error) {
	if _, err := e.GetPayment(ctx, s, paymentID); err != nil {
		return nil, false, err
	}
	f.PaymentID = paymentID
	list, more, err := e.store.ListNotifications(ctx, s, f)
	if err != nil {
		return nil, false, storeErr(err)
	}
	out := make([]*Notification, len(list))
	for i, n := range list {
		out[i] = notificationView(n)
	}
	return out, more, nil
}

// GetNotification reads one notification.
func (e *Engine) GetNotification(ctx context.Context, s store.Scope, id string) (*Notification, error) {
	n, err := e.store.GetNotification(ctx, s, id)
	if err != nil {
		return nil, notFound(err, "notification", id)
	}
	return notificationView(n), nil
}
