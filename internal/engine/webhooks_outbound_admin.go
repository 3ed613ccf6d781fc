package engine

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/webhook"
)

// Limits on webhook endpoints and their operations.
const (
	// MaxWebhookEndpoints per merchant and mode bounds the work each event adds.
	MaxWebhookEndpoints = 16
	// maxWebhookDescription bounds an endpoint's description.
	maxWebhookDescription = 500
	// maxAttemptsShown is how many of a delivery's last attempts it shows.
	maxAttemptsShown = 100
	// MaxReplay is how many deliveries one replay requeues.
	MaxReplay = 500
)

// Error codes of outbound webhooks.
const (
	// CodeWebhookEndpointLimit: the merchant has MaxWebhookEndpoints in this mode.
	CodeWebhookEndpointLimit = "webhook_endpoint_limit"
	// CodeWebhookEndpointDisabled: a delivery cannot be sent while its endpoint is disabled.
	CodeWebhookEndpointDisabled = "webhook_endpoint_disabled"
	// CodeWebhookDeliveryWaiting: the delivery waits for an earlier one of its payment.
	CodeWebhookDeliveryWaiting = "webhook_delivery_waiting"
)

// WebhookEndpoint is a merchant's webhook endpoint as the API shows it. Secret is
// set only in the answer that created or rotated it: it is shown once.
type WebhookEndpoint struct {
	ID                      string     `json:"id"`
	Object                  string     `json:"object"`
	Livemode                bool       `json:"livemode"`
	URL                     string     `json:"url"`
	Description             string     `json:"description"`
	EnabledEvents           []string   `json:"enabled_events"`
	Ordered                 bool       `json:"ordered"`
	Status                  string     `json:"status"`
	DisabledReason          string     `json:"disabled_reason"`
	SecretHint              string     `json:"secret_hint"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	FailingSince            *time.Time `json:"failing_since"`
	ConsecutiveFailures     int        `json:"consecutive_failures"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
	Secret                  string     `json:"secret,omitempty"`
}

// DeletedWebhookEndpoint is the answer to a delete.
type DeletedWebhookEndpoint struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// WebhookDelivery is one event's delivery to one endpoint. Attempts is filled when
// one delivery is read, not in lists.
type WebhookDelivery struct {
	ID             string           `json:"id"`
	Object         string           `json:"object"`
	Livemode       bool             `json:"livemode"`
	EndpointID     string           `json:"endpoint_id"`
	EventID        string           `json:"event_id"`
	EventType      string           `json:"event_type"`
	PaymentID      string           `json:"payment_id"`
	Status         string           `json:"status"`
	AttemptCount   int              `json:"attempt_count"`
	NextAttemptAt  *time.Time       `json:"next_attempt_at"`
	LastAttemptAt  *time.Time       `json:"last_attempt_at"`
	LastHTTPStatus *int             `json:"last_http_status"`
	LastError      string           `json:"last_error"`
	DeliveredAt    *time.Time       `json:"delivered_at"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	Attempts       []WebhookAttempt `json:"attempts,omitempty"`
}

// WebhookAttempt is one try at a delivery.
type WebhookAttempt struct {
	Attempt         int       `json:"attempt"`
	AttemptedAt     time.Time `json:"attempted_at"`
	HTTPStatus      *int      `json:"http_status"`
	LatencyMS       int64     `json:"latency_ms"`
	ResponseExcerpt string    `json:"response_excerpt"`
	Error           string    `json:"error"`
}

// WebhookReplay is the answer to a bulk replay.
type WebhookReplay struct {
	Object     string `json:"object"`
	EndpointID string `json:"endpoint_id"`
	Replayed   int    `json:"replayed"`
	HasMore    bool   `json:"has_more"`
}

// CreateWebhookEndpointParams is a new endpoint; Ordered nil means true.
type CreateWebhookEndpointParams struct {
	URL           string
	EnabledEvents []string
	Description   string
	Ordered       *bool
}

// UpdateWebhookEndpointParams changes an endpoint; nil fields are left as they are.
type UpdateWebhookEndpointParams struct {
	URL           *string
	EnabledEvents []string
	Description   *string
	Enabled       *bool
}

// ReplayParams choose an endpoint's deliveries to send again: those created at or
// after Since (zero: all) whose status is failed (Status "" or "failed") or settled
// either way ("all").
type ReplayParams struct {
	Since  time.Time
	Status string
}

// CreateWebhookEndpoint checks and stores an endpoint in the scope's mode with a
// fresh signing secret, sealed under the master key. The answer alone shows it.
func (e *Engine) CreateWebhookEndpoint(ctx context.Context, s store.Scope, p CreateWebhookEndpointParams) (*WebhookEndpoint, error) {
	u, err := e.cfg.Webhooks.Client.CheckURL(ctx, s.Livemode, p.URL)
	if err != nil {
		return nil, err
	}
	events, err := webhook.NormalizeEvents(p.EnabledEvents)
	if err != nil {
		return nil, err
	}
	if err := checkDescription(p.Description); err != nil {
		return nil, err
	}
	now := e.now()
	secret := webhook.NewSecret()
	ep := &store.WebhookEndpoint{ID: payment.NewID(PrefixWebhookEndpoint), MerchantID: s.MerchantID, Livemode: s.Livemode,
		URL: u, Description: p.Description, EnabledEvents: events, Ordered: p.Ordered == nil || *p.Ordered,
		Status: store.WebhookEnabled, SecretHint: maskCredential(secret), CreatedAt: now, UpdatedAt: now}
	ep.Secret = e.box.Seal([]byte(secret), []byte(ep.ID))
	view := endpointView(ep)
	err = e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		n, err := tx.CountWebhookEndpoints(ctx, s)
		if err != nil {
			return nil, err
		}
		if n >= MaxWebhookEndpoints {
			return nil, payment.Errorf(payment.KindUnprocessable, CodeWebhookEndpointLimit,
				"this merchant already has %d webhook endpoints in this mode, the most allowed: delete one, or subscribe an existing one to more events", n)
		}
		if err := tx.InsertWebhookEndpoint(ctx, ep); err != nil {
			return nil, err
		}
		// The stored answer (replayed for the same Idempotency-Key) never holds the secret.
		return view, e.audit(ctx, tx, s, "webhook_endpoint.created", "webhook_endpoint", ep.ID, nil, view)
	})
	if err != nil {
		return nil, err
	}
	out := *view
	out.Secret = secret
	return &out, nil
}

// GetWebhookEndpoint returns one of the scope's endpoints that is not deleted.
func (e *Engine) GetWebhookEndpoint(ctx context.Context, s store.Scope, id string) (*WebhookEndpoint, error) {
	ep, err := findEndpoint(ctx, e.store, s, id)
	if err != nil {
		return nil, err
	}
	return endpointView(ep), nil
}

// ListWebhookEndpoints lists the scope's endpoints that are not deleted, newest first.
func (e *Engine) ListWebhookEndpoints(ctx context.Context, s store.Scope, f store.WebhookEndpointFilter) ([]*WebhookEndpoint, bool, error) {
	eps, more, err := e.store.ListWebhookEndpoints(ctx, s, f)
	if err != nil {
		return nil, false, storeErr(err)
	}
	out := make([]*WebhookEndpoint, len(eps))
	for i, ep := range eps {
		out[i] = endpointView(ep)
	}
	return out, more, nil
}

// UpdateWebhookEndpoint changes an endpoint's URL, events or description, or
// enables or disables it. Enabling clears its failure run; deliveries given up
// meanwhile are sent again only by a replay.
func (e *Engine) UpdateWebhookEndpoint(ctx context.Context, s store.Scope, id string, p UpdateWebhookEndpointParams) (*WebhookEndpoint, error) {
	var u string
	if p.URL != nil {
		var err error
		if u, err = e.cfg.Webhooks.Client.CheckURL(ctx, s.Livemode, *p.URL); err != nil {
			return nil, err
		}
	}
	var events []string
	if p.EnabledEvents != nil {
		var err error
		if events, err = webhook.NormalizeEvents(p.EnabledEvents); err != nil {
			return nil, err
		}
	}
	if p.Description != nil {
		if err := checkDescription(*p.Description); err != nil {
			return nil, err
		}
	}
	var view *WebhookEndpoint
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		ep, err := findEndpoint(ctx, lockingEndpoints{tx}, s, id)
		if err != nil {
			return nil, err
		}
		before := *ep
		if p.URL != nil {
			ep.URL = u
		}
		if events != nil {
			ep.EnabledEvents = events
		}
		if p.Description != nil {
			ep.Description = *p.Description
		}
		if p.Enabled != nil {
			switch {
			case *p.Enabled && ep.Status != store.WebhookEnabled:
				ep.Status, ep.DisabledReason = store.WebhookEnabled, ""
				ep.ConsecutiveFailures, ep.FailingSince = 0, time.Time{}
			case !*p.Enabled && ep.Status != store.WebhookDisabled:
				ep.Status, ep.DisabledReason = store.WebhookDisabled, "disabled through the API"
			}
		}
		if ep.URL != before.URL || !slices.Equal(ep.EnabledEvents, before.EnabledEvents) || ep.Description != before.Description ||
			ep.Status != before.Status {
			ep.UpdatedAt = e.now()
			if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
				return nil, err
			}
			view = endpointView(ep)
			return view, e.audit(ctx, tx, s, "webhook_endpoint.updated", "webhook_endpoint", ep.ID, endpointView(&before), view)
		}
		view = endpointView(ep)
		return view, nil
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// DeleteWebhookEndpoint deletes an endpoint: it receives nothing more, and its
// pending deliveries end as failed. Its deliveries can still be read by id.
func (e *Engine) DeleteWebhookEndpoint(ctx context.Context, s store.Scope, id string) (*DeletedWebhookEndpoint, error) {
	out := &DeletedWebhookEndpoint{ID: id, Object: "webhook_endpoint", Deleted: true}
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		ep, err := findEndpoint(ctx, lockingEndpoints{tx}, s, id)
		if err != nil {
			return nil, err
		}
		before := endpointView(ep)
		now := e.now()
		ep.DeletedAt, ep.UpdatedAt = &now, now
		if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
			return nil, err
		}
		return out, e.audit(ctx, tx, s, "webhook_endpoint.deleted", "webhook_endpoint", ep.ID, before, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RotateWebhookSecret gives an endpoint a new signing secret, shown in this answer
// only. The current one keeps signing too (a second v1 signature) for grace (nil:
// DefaultSecretGrace; zero ends it at once), so that the receiver can switch without
// refusing webhooks in between. A secret rotated out earlier stops at once.
func (e *Engine) RotateWebhookSecret(ctx context.Context, s store.Scope, id string, grace *time.Duration) (*WebhookEndpoint, error) {
	g := DefaultSecretGrace
	if grace != nil {
		g = *grace
	}
	if g < 0 || g > MaxSecretGrace {
		return nil, payment.Invalid("grace_period", payment.CodeParameterInvalid,
			"grace_period must be from 0 to %d seconds (%s), got %d", int64(MaxSecretGrace/time.Second), MaxSecretGrace, int64(g/time.Second))
	}
	secret := webhook.NewSecret()
	var view *WebhookEndpoint
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		ep, err := findEndpoint(ctx, lockingEndpoints{tx}, s, id)
		if err != nil {
			return nil, err
		}
		before := endpointView(ep)
		now := e.now()
		ep.PreviousSecret, ep.PreviousSecretExpiresAt = nil, time.Time{}
		if g > 0 {
			ep.PreviousSecret, ep.PreviousSecretExpiresAt = ep.Secret, now.Add(g)
		}
		ep.Secret, ep.SecretHint, ep.UpdatedAt = e.box.Seal([]byte(secret), []byte(ep.ID)), maskCredential(secret), now
		if err := tx.UpdateWebhookEndpoint(ctx, ep); err != nil {
			return nil, err
		}
		view = endpointView(ep)
		return view, e.audit(ctx, tx, s, "webhook_endpoint.secret_rotated", "webhook_endpoint", ep.ID, before, view)
	})
	if err != nil {
		return nil, err
	}
	out := *view
	out.Secret = secret
	return &out, nil
}

// ListWebhookDeliveries lists an endpoint's deliveries, newest event first.
func (e *Engine) ListWebhookDeliveries(ctx context.Context, s store.Scope, endpointID string, f store.WebhookDeliveryFilter) ([]*WebhookDelivery, bool, error) {
	if f.Status != "" && !slices.Contains(deliveryStatuses, f.Status) {
		return nil, false, payment.Invalid("status", payment.CodeParameterInvalid, "unknown delivery status %q: use one of %v", f.Status, deliveryStatuses)
	}
	if _, err := findEndpoint(ctx, e.store, s, endpointID); err != nil {
		return nil, false, err
	}
	f.EndpointID = endpointID
	ds, more, err := e.store.ListWebhookDeliveries(ctx, s, f)
	if err != nil {
		return nil, false, storeErr(err)
	}
	out := make([]*WebhookDelivery, len(ds))
	for i, d := range ds {
		out[i] = deliveryView(d)
	}
	return out, more, nil
}

var deliveryStatuses = []string{store.DeliveryPending, store.DeliveryWaiting, store.DeliverySucceeded, store.DeliveryFailed}

// GetWebhookDelivery returns a delivery with its last attempts, oldest first.
func (e *Engine) GetWebhookDelivery(ctx context.Context, s store.Scope, id string) (*WebhookDelivery, error) {
	d, err := e.store.GetWebhookDelivery(ctx, s, id)
	if err != nil {
		return nil, notFound(err, "webhook delivery", id)
	}
	as, err := e.store.ListWebhookAttempts(ctx, s, id, maxAttemptsShown)
	if err != nil {
		return nil, storeErr(err)
	}
	v := deliveryView(d)
	v.Attempts = make([]WebhookAttempt, len(as))
	for i, a := range as {
		v.Attempts[i] = WebhookAttempt{Attempt: a.Attempt, AttemptedAt: a.At, HTTPStatus: optInt(a.HTTPStatus),
			LatencyMS: a.LatencyMS, ResponseExcerpt: a.ResponseExcerpt, Error: a.Error}
	}
	return v, nil
}

// RetryWebhookDelivery sends a delivery again now, whatever became of it: a failed
// or succeeded one gets one more attempt (not a new schedule), a pending one is
// brought forward (an attempt already in flight counts as that one). A waiting one
// is refused: it goes after the earlier delivery its payment is waiting on.
func (e *Engine) RetryWebhookDelivery(ctx context.Context, s store.Scope, id string) (*WebhookDelivery, error) {
	var view *WebhookDelivery
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		seen, err := tx.GetWebhookDelivery(ctx, s, id)
		if err != nil {
			return nil, notFound(err, "webhook delivery", id)
		}
		ep, err := usableEndpoint(ctx, tx, s, seen.EndpointID)
		if payment.ErrorKind(err) == payment.KindNotFound {
			return nil, payment.Errorf(payment.KindConflict, CodeWebhookEndpointDisabled,
				"webhook endpoint %s was deleted: its deliveries cannot be sent again", seen.EndpointID)
		}
		if err != nil {
			return nil, err
		}
		if ep.Ordered && seen.PaymentID != "" {
			if _, err := tx.GetPaymentForUpdate(ctx, s, seen.PaymentID); err != nil {
				return nil, err
			}
		}
		d, err := tx.GetWebhookDeliveryForUpdate(ctx, s, id)
		if err != nil {
			return nil, err
		}
		now := e.now()
		switch d.Status {
		case store.DeliveryWaiting:
			blocker := "an earlier delivery"
			if b, err := tx.OpenWebhookDeliveryBefore(ctx, s, d.EndpointID, d.PaymentID, d.EventSeq); err == nil {
				blocker = b.ID
			}
			return nil, payment.Errorf(payment.KindConflict, CodeWebhookDeliveryWaiting,
				"delivery %s waits until %s (an earlier event of payment %s, to the same ordered endpoint) is delivered or given up: retry that one",
				d.ID, blocker, d.PaymentID)
		case store.DeliverySucceeded, store.DeliveryFailed:
			d.Status, d.Manual = store.DeliveryPending, true
		}
		d.NextAttemptAt, d.UpdatedAt = now, now
		if err := tx.UpdateWebhookDelivery(ctx, d); err != nil {
			return nil, err
		}
		if err := queueDelivery(ctx, tx, d, false); err != nil {
			return nil, err
		}
		view = deliveryView(d)
		return view, e.audit(ctx, tx, s, "webhook_delivery.retried", "webhook_delivery", d.ID, nil, view)
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// ReplayWebhookDeliveries sends an endpoint's chosen deliveries again, at most
// MaxReplay per call (HasMore says whether to call again), each with one more
// attempt. On an ordered endpoint the deliveries of one payment go in event order.
func (e *Engine) ReplayWebhookDeliveries(ctx context.Context, s store.Scope, endpointID string, p ReplayParams) (*WebhookReplay, error) {
	var statuses []string
	switch p.Status {
	case "", store.DeliveryFailed:
		statuses = []string{store.DeliveryFailed}
	case "all":
		statuses = []string{store.DeliverySucceeded, store.DeliveryFailed}
	default:
		return nil, payment.Invalid("status", payment.CodeParameterInvalid,
			"status must be \"failed\" (the default: deliveries given up) or \"all\" (delivered ones too), got %q", p.Status)
	}
	out := &WebhookReplay{Object: "webhook_replay", EndpointID: endpointID}
	err := e.write(ctx, func(ctx context.Context, tx store.Tx) (any, error) {
		ep, err := usableEndpoint(ctx, tx, s, endpointID)
		if err != nil {
			return nil, err
		}
		ds, more, err := tx.ReplayableWebhookDeliveries(ctx, s, ep.ID, statuses, p.Since, MaxReplay)
		if err != nil {
			return nil, err
		}
		if ep.Ordered {
			// Lock the payments in one order, so that replays cannot deadlock each other.
			var ids []string
			for _, d := range ds {
				if d.PaymentID != "" && !slices.Contains(ids, d.PaymentID) {
					ids = append(ids, d.PaymentID)
				}
			}
			sort.Strings(ids)
			for _, id := range ids {
				if _, err := tx.GetPaymentForUpdate(ctx, s, id); err != nil {
					return nil, err
				}
			}
		}
		now := e.now()
		for _, d := range ds {
			d.Manual, d.NextAttemptAt, d.UpdatedAt = true, now, now
			if err := e.openDelivery(ctx, tx, s, ep.Ordered, d, false); err != nil {
				return nil, err
			}
		}
		out.Replayed, out.HasMore = len(ds), more
		if len(ds) == 0 {
			return out, nil
		}
		return out, e.audit(ctx, tx, s, "webhook_endpoint.replayed", "webhook_endpoint", ep.ID, nil, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// usableEndpoint finds the endpoint a delivery goes to, refusing a deleted or
// disabled one.
func usableEndpoint(ctx context.Context, tx store.Tx, s store.Scope, id string) (*store.WebhookEndpoint, error) {
	ep, err := findEndpoint(ctx, tx, s, id)
	if err != nil {
		return nil, err
	}
	if ep.Status != store.WebhookEnabled {
		return nil, payment.Errorf(payment.KindConflict, CodeWebhookEndpointDisabled,
			"webhook endpoint %s is disabled (%s): enable it first (PATCH with {\"enabled\": true})", ep.ID, ep.DisabledReason)
	}
	return ep, nil
}

// endpointFinder is where findEndpoint reads: the store, a transaction, or a
// transaction that locks.
type endpointFinder interface {
	GetWebhookEndpoint(ctx context.Context, s store.Scope, id string) (*store.WebhookEndpoint, error)
}

type lockingEndpoints struct{ tx store.Tx }

func (l lockingEndpoints) GetWebhookEndpoint(ctx context.Context, s store.Scope, id string) (*store.WebhookEndpoint, error) {
	return l.tx.FindWebhookEndpointForUpdate(ctx, s, id)
}

// findEndpoint finds an endpoint of the scope; a deleted one is not found.
func findEndpoint(ctx context.Context, r endpointFinder, s store.Scope, id string) (*store.WebhookEndpoint, error) {
	ep, err := r.GetWebhookEndpoint(ctx, s, id)
	if err == nil && ep.DeletedAt != nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, notFound(err, "webhook endpoint", id)
	}
	return ep, nil
}

func checkDescription(d string) error {
	if len(d) > maxWebhookDescription {
		return payment.Invalid("description", payment.CodeParameterInvalid, "description is %d characters: at most %d", len(d), maxWebhookDescription)
	}
	return nil
}

func endpointView(ep *store.WebhookEndpoint) *WebhookEndpoint {
	v := &WebhookEndpoint{ID: ep.ID, Object: "webhook_endpoint", Livemode: ep.Livemode, URL: ep.URL,
		Description: ep.Description, EnabledEvents: slices.Clone(ep.EnabledEvents), Ordered: ep.Ordered,
		Status: ep.Status, DisabledReason: ep.DisabledReason, SecretHint: ep.SecretHint,
		FailingSince: optTime(ep.FailingSince), ConsecutiveFailures: ep.ConsecutiveFailures,
		CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt}
	if ep.PreviousSecret != nil {
		v.PreviousSecretExpiresAt = optTime(ep.PreviousSecretExpiresAt)
	}
	if v.EnabledEvents == nil {
		v.EnabledEvents = []string{}
	}
	return v
}

func deliveryView(d *store.WebhookDelivery) *WebhookDelivery {
	v := &WebhookDelivery{ID: d.ID, Object: "webhook_delivery", Livemode: d.Livemode, EndpointID: d.EndpointID,
		EventID: d.EventID, EventType: d.EventType, PaymentID: d.PaymentID, Status: d.Status, AttemptCount: d.Attempts,
		LastAttemptAt: optTime(d.LastAttemptAt), LastError: d.LastError, DeliveredAt: optTime(d.DeliveredAt),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.Status == store.DeliveryPending {
		v.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	if d.Attempts > 0 {
		v.LastHTTPStatus = optInt(d.LastHTTPStatus)
	}
	return v
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
