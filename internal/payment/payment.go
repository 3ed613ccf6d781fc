package payment

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paymux/paymux/internal/money"
)

// CaptureMethod says whether a confirmed payment is captured at once or held.
type CaptureMethod string

// Capture methods.
const (
	CaptureAutomatic CaptureMethod = "automatic"
	CaptureManual    CaptureMethod = "manual"
)

// Channel is where the shopper pays; adaptive checkout rules match on it.
type Channel string

// Channels.
const (
	ChannelWeb   Channel = "web"
	ChannelApp   Channel = "app"
	ChannelPOS   Channel = "pos"
	ChannelEmail Channel = "email"
)

// Customer is who pays. Type is the merchant's own shopper segment (for example
// "individual" or "business"), which adaptive checkout rules match on. Locale is
// the language the shopper is spoken to in (checkout, emails, invoices); empty
// means the merchant's default.
type Customer struct {
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Locale string `json:"locale,omitempty"`
}

// Locales returns the languages paymux speaks to shoppers in (checkout, emails,
// invoices), as lower-case ISO 639-1 codes. The first is the fallback.
func Locales() []string { return []string{"en", "it", "pl"} }

// ValidLocale says whether paymux speaks l.
func ValidLocale(l string) bool { return slices.Contains(Locales(), l) }

// Item is one order line, shown on the checkout and the invoice. UnitAmount
// includes tax (EU consumer prices). TaxRate is the line's tax rate as a decimal
// percentage ("22", "5.5"); empty means the rate the merchant's invoice settings
// give its category, or their default rate.
type Item struct {
	Name       string `json:"name"`
	Quantity   int64  `json:"quantity"`
	UnitAmount int64  `json:"unit_amount"`
	Category   string `json:"category,omitempty"`
	TaxRate    string `json:"tax_rate,omitempty"`
}

// NextAction tells the client what the shopper must do to go on.
type NextAction struct {
	Type        string `json:"type"` // "redirect_to_url"
	RedirectURL string `json:"redirect_url"`
}

// Payment is one attempt to collect an amount for an order. Its JSON form is the
// public API object, so fields that are not part of it are tagged "-".
type Payment struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	MerchantID        string            `json:"-"`
	Livemode          bool              `json:"livemode"`
	Status            Status            `json:"status"`
	Amount            int64             `json:"amount"`
	AmountCapturable  int64             `json:"amount_capturable"`
	AmountCaptured    int64             `json:"amount_captured"`
	AmountRefunded    int64             `json:"amount_refunded"`
	RefundStatus      RefundStatus      `json:"refund_status"`
	Currency          string            `json:"currency"`
	OrderID           string            `json:"order_id"`
	Description       string            `json:"description"`
	Provider          string            `json:"provider"`
	ConnectionID      string            `json:"-"`
	ProviderReference string            `json:"provider_reference"`
	PaymentMethodType string            `json:"payment_method_type"`
	CardBrand         string            `json:"card_brand,omitempty"`
	CardLast4         string            `json:"card_last4,omitempty"`
	CaptureMethod     CaptureMethod     `json:"capture_method"`
	Channel           Channel           `json:"channel"`
	Customer          Customer          `json:"customer"`
	Items             []Item            `json:"items"`
	Metadata          map[string]string `json:"metadata"`
	ReturnURL         string            `json:"return_url"`
	CheckoutURL       string            `json:"checkout_url"`
	NextAction        *NextAction       `json:"next_action"`
	FailureCode       string            `json:"failure_code"`
	FailureMessage    string            `json:"failure_message"`
	ExpiresAt         time.Time         `json:"expires_at"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`

	// Attempts counts confirmations sent to a provider; with the payment id it makes
	// the provider idempotency key, so a retried confirm reuses the same key.
	Attempts int `json:"-"`
	// AttemptPending is set while a provider call for attempt Attempts is under way.
	// One left set by a crash is resolved by asking the provider (engine sweep).
	AttemptPending bool `json:"-"`
	// CaptureFailures counts captures the provider accepted and then reported failed;
	// with the payment id it makes the next capture's idempotency key, so that a new
	// capture is not taken by the provider for a retry of the failed one.
	CaptureFailures int `json:"-"`
	// Version increases with every stored change; stores refuse a stale update.
	Version int64 `json:"-"`
}

// CreateParams is what a merchant gives to create a payment.
type CreateParams struct {
	Amount        int64
	Currency      string
	OrderID       string
	Description   string
	Customer      Customer
	Items         []Item
	CaptureMethod CaptureMethod
	Channel       Channel
	ReturnURL     string
	Metadata      map[string]string
}

// Limits on free-form fields, in line with what Stripe accepts, so that merchants
// moving over need no changes.
const (
	MaxOrderIDLen      = 255
	MaxDescriptionLen  = 1000
	MaxMetadataKeys    = 50
	MaxMetadataKeyLen  = 40
	MaxMetadataValLen  = 500
	MaxItems           = 100
	MaxItemNameLen     = 250
	MaxCustomerTypeLen = 32
)

var customerTypeRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// NewPayment validates p and builds a payment in requires_payment_method.
func NewPayment(id, merchantID string, livemode bool, p CreateParams, now time.Time, expiry time.Duration) (*Payment, error) {
	cur, err := ValidateAmount("amount", p.Amount, p.Currency)
	if err != nil {
		return nil, err
	}
	if p.CaptureMethod == "" {
		p.CaptureMethod = CaptureAutomatic
	}
	if p.CaptureMethod != CaptureAutomatic && p.CaptureMethod != CaptureManual {
		return nil, Invalid("capture_method", CodeParameterInvalid, "capture_method must be \"automatic\" or \"manual\", not %q", p.CaptureMethod)
	}
	if p.Channel == "" {
		p.Channel = ChannelWeb
	}
	switch p.Channel {
	case ChannelWeb, ChannelApp, ChannelPOS, ChannelEmail:
	default:
		return nil, Invalid("channel", CodeParameterInvalid, "channel must be one of web, app, pos, email, not %q", p.Channel)
	}
	if err := checkLen("order_id", p.OrderID, MaxOrderIDLen); err != nil {
		return nil, err
	}
	if err := checkLen("description", p.Description, MaxDescriptionLen); err != nil {
		return nil, err
	}
	if err := validateCustomer(p.Customer); err != nil {
		return nil, err
	}
	if err := validateItems(p.Items); err != nil {
		return nil, err
	}
	if err := ValidateMetadata(p.Metadata); err != nil {
		return nil, err
	}
	if p.ReturnURL != "" {
		if err := validateReturnURL(p.ReturnURL); err != nil {
			return nil, err
		}
	}
	if p.Items == nil {
		p.Items = []Item{}
	}
	if p.Metadata == nil {
		p.Metadata = map[string]string{}
	}
	now = now.UTC()
	return &Payment{
		ID: id, Object: "payment", MerchantID: merchantID, Livemode: livemode,
		Status: StatusRequiresPaymentMethod, Amount: p.Amount, Currency: cur.Code,
		RefundStatus: RefundNone, OrderID: p.OrderID, Description: p.Description,
		CaptureMethod: p.CaptureMethod, Channel: p.Channel, Customer: p.Customer,
		Items: p.Items, Metadata: p.Metadata, ReturnURL: p.ReturnURL,
		ExpiresAt: now.Add(expiry), CreatedAt: now, UpdatedAt: now,
	}, nil
}

// ValidateAmount checks a positive amount in minor units of a known currency and
// returns the currency.
func ValidateAmount(param string, amount int64, currency string) (money.Currency, error) {
	if currency == "" {
		return money.Currency{}, Invalid("currency", CodeParameterMissing, "currency is required: give an ISO 4217 code such as \"EUR\"")
	}
	cur, err := money.LookupCurrency(currency)
	if err != nil {
		return money.Currency{}, Invalid("currency", CodeCurrencyInvalid, "%v", err)
	}
	if amount <= 0 {
		example, _ := money.New(1050, cur.Code)
		return cur, Invalid(param, CodeAmountInvalid, "%s must be a positive integer in minor units (e.g. 1050 for %s), got %d", param, example, amount)
	}
	if amount > money.MaxMinor {
		return cur, Invalid(param, CodeAmountTooLarge, "%s must be at most %d minor units, got %d", param, money.MaxMinor, amount)
	}
	return cur, nil
}

func checkLen(param, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return Invalid(param, CodeParameterInvalid, "%s must be at most %d characters, got %d", param, max, utf8.RuneCountInString(v))
	}
	return nil
}

func validateCustomer(c Customer) error {
	if c.Email != "" && (!strings.Contains(c.Email, "@") || len(c.Email) > 254 || strings.ContainsAny(c.Email, " \t\r\n")) {
		return Invalid("customer.email", CodeParameterInvalid, "customer.email %q is not an email address", c.Email)
	}
	if err := checkLen("customer.name", c.Name, 255); err != nil {
		return err
	}
	if c.Type != "" && (len(c.Type) > MaxCustomerTypeLen || !customerTypeRE.MatchString(c.Type)) {
		return Invalid("customer.type", CodeParameterInvalid, "customer.type must be 1-%d characters of a-z, 0-9, _ or -, got %q", MaxCustomerTypeLen, c.Type)
	}
	if c.Locale != "" && !ValidLocale(c.Locale) {
		return Invalid("customer.locale", CodeParameterInvalid, "customer.locale must be one of %s, got %q", strings.Join(Locales(), ", "), c.Locale)
	}
	return nil
}

func validateItems(items []Item) error {
	if len(items) > MaxItems {
		return Invalid("items", CodeParameterInvalid, "at most %d items are allowed, got %d", MaxItems, len(items))
	}
	for i, it := range items {
		p := fmt.Sprintf("items[%d]", i)
		if strings.TrimSpace(it.Name) == "" {
			return Invalid(p+".name", CodeParameterMissing, "%s.name is required", p)
		}
		if err := checkLen(p+".name", it.Name, MaxItemNameLen); err != nil {
			return err
		}
		if it.Quantity <= 0 || it.Quantity > 1_000_000 {
			return Invalid(p+".quantity", CodeParameterInvalid, "%s.quantity must be between 1 and 1000000, got %d", p, it.Quantity)
		}
		if it.UnitAmount < 0 || it.UnitAmount > money.MaxMinor {
			return Invalid(p+".unit_amount", CodeAmountInvalid, "%s.unit_amount must be between 0 and %d minor units, got %d", p, money.MaxMinor, it.UnitAmount)
		}
		if err := checkLen(p+".category", it.Category, 64); err != nil {
			return err
		}
		if it.TaxRate != "" {
			if _, err := money.ParseRate(it.TaxRate); err != nil {
				return Invalid(p+".tax_rate", CodeParameterInvalid, "%s.tax_rate: %v", p, err)
			}
		}
	}
	return nil
}

// ValidateMetadata checks the merchant's key-value annotations.
func ValidateMetadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return Invalid("metadata", CodeParameterInvalid, "metadata may hold at most %d keys, got %d", MaxMetadataKeys, len(m))
	}
	for k, v := range m {
		if k == "" || utf8.RuneCountInString(k) > MaxMetadataKeyLen {
			return Invalid("metadata", CodeParameterInvalid, "metadata keys must be 1-%d characters, got %q", MaxMetadataKeyLen, k)
		}
		if utf8.RuneCountInString(v) > MaxMetadataValLen {
			return Invalid("metadata["+k+"]", CodeParameterInvalid, "metadata values must be at most %d characters (key %q)", MaxMetadataValLen, k)
		}
	}
	return nil
}

func validateReturnURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid("return_url", CodeParameterInvalid, "return_url must be an absolute http or https URL, got %q", raw)
	}
	return checkLen("return_url", raw, 2048)
}

func (p *Payment) invalidState(action string) error {
	return Errorf(KindConflict, CodePaymentInvalidState,
		"cannot %s payment %s: its status is %s", action, p.ID, p.Status)
}

// CheckConfirmable refuses a confirm unless the payment awaits a payment method.
func (p *Payment) CheckConfirmable() error {
	if !in(p.Status, confirmableFrom) {
		return p.invalidState("confirm")
	}
	return nil
}

// Outcome is a provider's view of a payment after an operation, a status lookup or a
// webhook. Zero fields leave the payment's values as they are.
type Outcome struct {
	Status            Status
	ProviderReference string
	PaymentMethodType string
	CardBrand         string
	CardLast4         string
	RedirectURL       string
	FailureCode       string
	FailureMessage    string
	// AmountCaptured is what the provider says it captured; 0 with StatusSucceeded
	// means the full authorised amount (or the requested capture).
	AmountCaptured int64
}

// Apply moves the payment to what the provider reports. It returns whether anything
// changed, so that a duplicate or late webhook appends no event. A report that would
// move the payment backwards (e.g. "processing" after "succeeded") is ignored: the
// provider's newer news already arrived.
func (p *Payment) Apply(o Outcome, now time.Time) (changed bool, err error) {
	if o.Status == "" {
		o.Status = p.Status // details only
	}
	if o.Status == p.Status {
		changed = p.absorbDetails(o)
		if p.Status == StatusFailed && o.FailureCode != "" && (o.FailureCode != p.FailureCode || o.FailureMessage != p.FailureMessage) {
			// Another attempt failed for another reason: keep the latest.
			p.FailureCode, p.FailureMessage, changed = o.FailureCode, o.FailureMessage, true
		}
		if changed {
			p.UpdatedAt = now.UTC()
		}
		return changed, nil
	}
	if !CanTransition(p.Status, o.Status) {
		if p.Status.Terminal() || rank(o.Status) < rank(p.Status) {
			return false, nil
		}
		return false, Errorf(KindConflict, CodePaymentInvalidState,
			"provider reported %s for payment %s, which is %s", o.Status, p.ID, p.Status)
	}
	p.absorbDetails(o)
	p.Status = o.Status
	p.NextAction = nil
	if o.Status != StatusFailed {
		p.FailureCode, p.FailureMessage = "", ""
	}
	switch o.Status {
	case StatusRequiresAction:
		p.NextAction = &NextAction{Type: "redirect_to_url", RedirectURL: o.RedirectURL}
	case StatusRequiresCapture:
		p.AmountCapturable = p.Amount
	case StatusSucceeded:
		captured := o.AmountCaptured
		if captured <= 0 || captured > p.Amount {
			captured = p.Amount
			if p.AmountCapturable > 0 && p.AmountCapturable < p.Amount {
				captured = p.AmountCapturable
			}
		}
		p.AmountCaptured = captured
		p.AmountCapturable = 0
	case StatusFailed:
		p.FailureCode, p.FailureMessage = o.FailureCode, o.FailureMessage
		if p.FailureCode == "" {
			p.FailureCode = "payment_failed"
		}
		p.AmountCapturable = 0
	case StatusCanceled, StatusExpired:
		p.AmountCapturable = 0
	}
	p.UpdatedAt = now.UTC()
	return true, nil
}

// rank orders statuses along the happy path, to tell a stale report from a new one.
func rank(s Status) int {
	switch s {
	case StatusRequiresPaymentMethod, StatusFailed:
		return 0
	case StatusRequiresAction:
		return 1
	case StatusProcessing:
		return 2
	case StatusRequiresCapture:
		return 3
	default:
		return 4
	}
}

func (p *Payment) absorbDetails(o Outcome) bool {
	changed := false
	set := func(dst *string, v string) {
		if v != "" && *dst != v {
			*dst, changed = v, true
		}
	}
	set(&p.ProviderReference, o.ProviderReference)
	set(&p.PaymentMethodType, o.PaymentMethodType)
	set(&p.CardBrand, o.CardBrand)
	set(&p.CardLast4, o.CardLast4)
	return changed
}

// Capture takes amount (0 means all) of an authorised payment. The rest of the
// authorisation is released, as card networks do on a partial capture.
func (p *Payment) Capture(amount int64, now time.Time) error {
	if p.Status != StatusRequiresCapture {
		return p.invalidState("capture")
	}
	if amount == 0 {
		amount = p.AmountCapturable
	}
	if amount < 0 {
		return Invalid("amount", CodeAmountInvalid, "amount must be a positive integer in minor units, got %d", amount)
	}
	if amount > p.AmountCapturable {
		return Errorf(KindUnprocessable, CodeAmountTooLarge,
			"cannot capture %d: at most %d %s is capturable on payment %s", amount, p.AmountCapturable, p.Currency, p.ID)
	}
	p.Status = StatusSucceeded
	p.AmountCaptured = amount
	p.AmountCapturable = 0
	p.FailureCode, p.FailureMessage = "", "" // an earlier capture's failure, if any
	p.UpdatedAt = now.UTC()
	return nil
}

// CaptureFailed records that a capture the provider had accepted failed afterwards
// (the card scheme rejected it): nothing was captured. A succeeded payment goes
// back to requires_capture with the amount it tried to capture capturable again, so
// that it can be captured again or cancelled; the failure is kept in failure_code
// and failure_message until a capture succeeds. A payment still in
// requires_capture (the news overtook paymux's record of the capture) keeps its
// status and takes the failure. A payment from which money was already refunded
// keeps its status and amounts, since its refunds stand as recorded, and only takes
// the failure, for an operator to follow up. It reports false for any other status.
func (p *Payment) CaptureFailed(code, message string, now time.Time) bool {
	if code == "" {
		code = "capture_failed"
	}
	switch {
	case p.Status == StatusSucceeded && p.AmountRefunded == 0:
		p.AmountCapturable = p.AmountCaptured
		if p.AmountCapturable <= 0 {
			p.AmountCapturable = p.Amount
		}
		p.AmountCaptured = 0
		p.Status = StatusRequiresCapture
	case p.Status == StatusSucceeded, p.Status == StatusRequiresCapture:
	default:
		return false
	}
	p.CaptureFailures++
	p.FailureCode, p.FailureMessage = code, message
	p.UpdatedAt = now.UTC()
	return true
}

// CheckCapturable validates a capture before the provider is asked.
func (p *Payment) CheckCapturable(amount int64) error {
	q := *p
	return q.Capture(amount, p.UpdatedAt)
}

// Cancel voids a payment that has not been captured.
func (p *Payment) Cancel(now time.Time) error {
	if !in(p.Status, cancelableFrom) {
		return p.invalidState("cancel")
	}
	p.Status = StatusCanceled
	p.AmountCapturable = 0
	p.NextAction = nil
	p.UpdatedAt = now.UTC()
	return nil
}

// CheckCancelable validates a cancel before the provider is asked.
func (p *Payment) CheckCancelable() error {
	if !in(p.Status, cancelableFrom) {
		return p.invalidState("cancel")
	}
	return nil
}

// Expire closes an abandoned payment. It reports false when the payment moved on in
// the meantime, which is not an error: the shopper simply paid in time.
func (p *Payment) Expire(now time.Time) bool {
	if !in(p.Status, expirableFrom) || now.Before(p.ExpiresAt) {
		return false
	}
	p.Status = StatusExpired
	p.NextAction = nil
	p.UpdatedAt = now.UTC()
	return true
}

// Refundable is what may still be refunded: captured minus refunds not failed.
func (p *Payment) Refundable() int64 { return p.AmountCaptured - p.AmountRefunded }

// ReserveRefund books amount against the payment before the provider is asked, so
// that concurrent refunds can never exceed what was captured.
func (p *Payment) ReserveRefund(amount int64, now time.Time) error {
	if p.Status != StatusSucceeded {
		return p.invalidState("refund")
	}
	if amount <= 0 {
		return Invalid("amount", CodeAmountInvalid, "amount must be a positive integer in minor units, got %d", amount)
	}
	if amount > p.Refundable() {
		return &Error{Kind: KindUnprocessable, Code: CodeRefundExceeds, Param: "amount",
			Message: fmt.Sprintf("refund of %d exceeds the refundable amount of payment %s: %d %s (captured %d, already refunded %d)",
				amount, p.ID, p.Refundable(), p.Currency, p.AmountCaptured, p.AmountRefunded)}
	}
	p.AmountRefunded += amount
	p.setRefundStatus()
	p.UpdatedAt = now.UTC()
	return nil
}

// ReleaseRefund gives back the reservation of a refund that failed.
func (p *Payment) ReleaseRefund(amount int64, now time.Time) {
	p.AmountRefunded -= min(max(amount, 0), p.AmountRefunded)
	p.setRefundStatus()
	p.UpdatedAt = now.UTC()
}

func (p *Payment) setRefundStatus() {
	switch {
	case p.AmountRefunded <= 0:
		p.RefundStatus = RefundNone
	case p.AmountRefunded >= p.AmountCaptured:
		p.RefundStatus = RefundFull
	default:
		p.RefundStatus = RefundPartial
	}
}

// CheckInvariants verifies what must hold for every stored payment. Stores call it
// inside the write transaction so that no race can commit a broken payment.
func (p *Payment) CheckInvariants() error {
	bad := func(f string, a ...any) error {
		return &Error{Kind: KindInternal, Code: CodeInternal, Message: "payment invariant broken",
			Err: fmt.Errorf("payment %s: "+f, append([]any{p.ID}, a...)...)}
	}
	switch {
	case !p.Status.Valid():
		return bad("unknown status %q", p.Status)
	case p.Amount <= 0:
		return bad("amount %d", p.Amount)
	case p.AmountCapturable < 0 || p.AmountCapturable > p.Amount:
		return bad("capturable %d of %d", p.AmountCapturable, p.Amount)
	case p.AmountCaptured < 0 || p.AmountCaptured > p.Amount:
		return bad("captured %d of %d", p.AmountCaptured, p.Amount)
	case p.AmountRefunded < 0 || p.AmountRefunded > p.AmountCaptured:
		return bad("refunded %d of captured %d", p.AmountRefunded, p.AmountCaptured)
	}
	return nil
}
