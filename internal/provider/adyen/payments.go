package adyen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/provider"
)

// Metadata keys paymux sets on Adyen payments. Adyen returns metadata in the
// AUTHORISATION notification's additionalData as "metadata.<key>", which is how a
// notification tells an automatic capture from a manual one.
const (
	MetaCapture = "paymux_capture" // "automatic" or "manual"
	MetaAttempt = "paymux_attempt" // paymux's idempotency key of the attempt
)

// Adyen's limits on metadata: 20 characters per key, 80 per value.
const maxMetaValue = 80

// TestCardPrefix starts a test-mode shorthand for a card payment method with
// Adyen's unencrypted test values: "scheme:<test card number>[:<holder name>]".
const TestCardPrefix = "scheme:"

// maxPaymentMethod bounds the payment method JSON taken from Drop-in.
const maxPaymentMethod = 64 << 10

var (
	reMethodType = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)
	reTestCard   = regexp.MustCompile(`^[0-9]{12,19}$`)
)

// paymentMethod builds Adyen's paymentMethod object (and browserInfo, when given)
// from the request's payment method: the JSON object Adyen's Drop-in, Components or
// a wallet produced (state.data.paymentMethod, with encrypted card fields or an
// Apple Pay / Google Pay token), passed through as it is, or the whole state.data
// ({"paymentMethod":{…},"browserInfo":{…}}), of which paymentMethod and browserInfo
// are taken; or a bare payment method type such as "ideal"; or, in test mode only,
// "scheme:<card number>[:<holder name>]" for one of Adyen's test cards, sent with
// Adyen's documented unencrypted test values.
func (c *connector) paymentMethod(pm string) (method, browser json.RawMessage, err error) {
	pm = strings.TrimSpace(pm)
	switch {
	case pm == "":
		return nil, nil, payment.Invalid("payment_method", payment.CodeParameterMissing,
			"an Adyen payment method is required: the paymentMethod JSON object from Adyen's Drop-in or Components (state.data.paymentMethod), or a payment method type such as \"ideal\"")
	case strings.HasPrefix(pm, "{"):
		if len(pm) > maxPaymentMethod {
			return nil, nil, payment.Invalid("payment_method", payment.CodeParameterInvalid,
				"the payment method JSON is larger than %d bytes", maxPaymentMethod)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(pm)); err != nil {
			return nil, nil, payment.Invalid("payment_method", payment.CodeParameterInvalid, "the payment method JSON is malformed")
		}
		method = buf.Bytes()
		var state struct {
			PaymentMethod json.RawMessage `json:"paymentMethod"`
			BrowserInfo   json.RawMessage `json:"browserInfo"`
		}
		if json.Unmarshal(method, &state) == nil && isObject(state.PaymentMethod) {
			method = state.PaymentMethod
			if isObject(state.BrowserInfo) {
				browser = state.BrowserInfo
			}
		}
		var obj struct {
			Type json.RawMessage `json:"type"`
		}
		var typ string
		if err := json.Unmarshal(method, &obj); err != nil || json.Unmarshal(obj.Type, &typ) != nil || typ == "" {
			return nil, nil, payment.Invalid("payment_method", payment.CodeParameterInvalid,
				"the payment method is not an Adyen paymentMethod object: it must be JSON with a \"type\" string, as Drop-in's state.data.paymentMethod is")
		}
		return method, browser, nil
	case strings.HasPrefix(pm, TestCardPrefix):
		if c.cfg.livemode {
			return nil, nil, payment.Invalid("payment_method", payment.CodeParameterInvalid,
				"%q test cards work in test mode only: a live payment needs the encrypted payment method from Adyen's Drop-in or Components", TestCardPrefix+"…")
		}
		number, holder, _ := strings.Cut(strings.TrimPrefix(pm, TestCardPrefix), ":")
		if !reTestCard.MatchString(number) || len(holder) > 100 {
			return nil, nil, payment.Invalid("payment_method", payment.CodeParameterInvalid,
				"a test card is written scheme:<card number>[:<holder name>], e.g. scheme:4111111111111111")
		}
		m := map[string]string{"type": "scheme", "encryptedCardNumber": "test_" + number,
			"encryptedExpiryMonth": "test_03", "encryptedExpiryYear": "test_2030", "encryptedSecurityCode": "test_737"}
		if holder != "" {
			m["holderName"] = holder
		}
		b, _ := json.Marshal(m)
		return b, nil, nil
	case reMethodType.MatchString(pm):
		b, _ := json.Marshal(map[string]string{"type": pm})
		return b, nil, nil
	}
	return nil, nil, payment.Invalid("payment_method", payment.CodeParameterInvalid,
		"the payment method must be the paymentMethod JSON object from Adyen's Drop-in or Components, or a payment method type such as \"ideal\"")
}

// Authorize sends POST /payments: the amount in Adyen's minor units, paymux's
// payment id as reference, the payment method, paymux's return URL, channel Web,
// and the capture mode: immediate capture (captureDelayHours 0, whatever the
// merchant account's default) or manual capture (additionalData.manualCapture). A
// refusal is a failed outcome, not an error.
func (c *connector) Authorize(ctx context.Context, r provider.AuthorizeRequest) (payment.Outcome, error) {
	pm, browser, err := c.paymentMethod(r.PaymentMethod)
	if err != nil {
		return payment.Outcome{}, err
	}
	if r.PaymentID == "" {
		return payment.Outcome{}, payment.Invalid("payment_id", payment.CodeParameterMissing, "an Adyen payment needs paymux's payment id as its reference")
	}
	if r.ReturnURL == "" {
		return payment.Outcome{}, payment.Invalid("return_url", payment.CodeParameterMissing,
			"Adyen needs a return URL to send the shopper back to after a redirect")
	}
	amt, err := toAdyen("amount", r.Amount, r.Currency)
	if err != nil {
		return payment.Outcome{}, err
	}
	capture := payment.CaptureAutomatic
	if r.CaptureMethod == payment.CaptureManual {
		capture = payment.CaptureManual
	}
	req := paymentRequest{
		Amount: amt, MerchantAccount: c.cfg.merchantAccount, Reference: r.PaymentID,
		PaymentMethod: pm, ReturnURL: r.ReturnURL, Channel: "Web", ShopperInteraction: "Ecommerce",
		ShopperEmail: r.Customer.Email, MerchantOrderReference: r.OrderID,
		Metadata:           map[string]string{MetaCapture: string(capture)},
		AuthenticationData: &authenticationData{ThreeDSRequestData: &threeDSRequestData{NativeThreeDS: "disabled"}},
		BrowserInfo:        browser,
	}
	if r.IdempotencyKey != "" {
		req.Metadata[MetaAttempt] = metaValue(r.IdempotencyKey)
	}
	if capture == payment.CaptureManual {
		req.AdditionalData = map[string]string{"manualCapture": "true"}
	} else {
		zero := 0
		req.CaptureDelayHours = &zero
	}
	var res paymentResponse
	if err := c.api.post(ctx, "/payments", req, idempotencyKey("authorize", r.IdempotencyKey), &res); err != nil {
		return payment.Outcome{}, providerError(err)
	}
	return outcome(&res, capture)
}

func isObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{'
}

// metaValue fits v into Adyen's 80-character metadata values.
func metaValue(v string) string {
	if len(v) <= maxMetaValue {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:]) // 71 characters
}

// outcome maps Adyen's answer to /payments or /payments/details to paymux's view of
// the payment. capture says how an Authorised payment was captured; when it is
// unknown ("") the payment is reported as requires_capture, the state in which no
// money is lost: the AUTHORISATION notification, which carries the capture mode,
// moves it on.
func outcome(res *paymentResponse, capture payment.CaptureMethod) (payment.Outcome, error) {
	o := payment.Outcome{ProviderReference: res.PSPReference}
	methodOf(&o, res.PaymentMethod, res.AdditionalData)
	switch res.ResultCode {
	case "Authorised", "Success":
		if capture == "" {
			capture = payment.CaptureMethod(res.AdditionalData["metadata."+MetaCapture])
		}
		if capture == payment.CaptureAutomatic {
			// Adyen captures asynchronously, but with captureDelayHours 0 an
			// authorisation is as good as captured.
			o.Status = payment.StatusSucceeded
			if res.Amount != nil {
				o.AmountCaptured = fromAdyen(res.Amount.Value, res.Amount.Currency)
			}
		} else {
			o.Status = payment.StatusRequiresCapture
		}
	case "RedirectShopper", "IdentifyShopper", "ChallengeShopper":
		o.Status = payment.StatusRequiresAction
		o.RedirectURL = redirectURL(res.Action)
	case "PresentToShopper":
		o.Status = payment.StatusProcessing
		if u := redirectURL(res.Action); u != "" {
			o.Status, o.RedirectURL = payment.StatusRequiresAction, u
		}
	case "Refused":
		o.Status = payment.StatusFailed
		o.FailureCode = failureCode(res.RefusalReasonCode, res.RefusalReason, res.AdditionalData["refusalReasonRaw"])
		o.FailureMessage = refusalMessage(res.RefusalReason)
	case "Cancelled":
		o.Status = payment.StatusCanceled
	case "Error":
		msg := "Adyen could not process the payment"
		if res.RefusalReason != "" {
			msg += ": " + res.RefusalReason
		}
		if res.PSPReference != "" {
			msg += " (Adyen pspReference " + res.PSPReference + ")"
		}
		return payment.Outcome{}, &provider.Error{Provider: Name, Code: "adyen_error", Message: msg}
	default:
		// Pending, Received, AuthenticationFinished, PartiallyAuthorised or a code this
		// version does not know: not final; the notification brings the outcome.
		o.Status = payment.StatusProcessing
	}
	return o, nil
}

func refusalMessage(reason string) string {
	if reason == "" {
		return "Adyen refused the payment."
	}
	return "Adyen refused the payment: " + reason + "."
}

// redirectURL is where a requires_action shopper goes: the URL of a redirect action.
// Adyen's v71 redirects (3-D Secure 2 with nativeThreeDS disabled, and the redirect
// payment methods) use GET; the rare POST redirect has its form fields appended to
// the URL. Empty for actions only Adyen's JavaScript can run (threeDS2, sdk, await).
func redirectURL(a *action) string {
	if a == nil || a.URL == "" {
		return ""
	}
	u, err := url.Parse(a.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	if strings.EqualFold(a.Method, "POST") && len(a.Data) > 0 {
		q := u.Query()
		for k, v := range a.Data {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return a.URL
}

// methodOf fills the payment method type, card brand and last four digits from
// Adyen's answer: paymentMethod {type, brand} and additionalData (cardSummary,
// paymentMethod, paymentMethodVariant), as far as the merchant account returns them.
func methodOf(o *payment.Outcome, pm *responsePaymentMethod, ad map[string]string) {
	typ, brand := "", ""
	if pm != nil {
		typ, brand = pm.Type, pm.Brand
	}
	variant := ad["paymentMethodVariant"]
	if brand == "" {
		brand = ad["cardPaymentMethod"]
	}
	if brand == "" {
		brand = ad["paymentMethod"]
	}
	setMethod(o, typ, brand, variant, ad["cardSummary"])
}

// setMethod normalises Adyen's names: type scheme is a card; applepay and googlepay
// (or a variant such as visa_applepay) are the wallets; brands mc, amex, cup and
// cartebancaire become mastercard, amex, unionpay and cartes_bancaires.
func setMethod(o *payment.Outcome, typ, brand, variant, summary string) {
	wallet := ""
	for _, s := range []string{typ, brand, variant} {
		switch {
		case strings.Contains(s, "applepay"):
			wallet = "apple_pay"
		case strings.Contains(s, "googlepay"), strings.Contains(s, "paywithgoogle"):
			wallet = "google_pay"
		}
	}
	if b, _, ok := strings.Cut(brand, "_"); ok {
		brand = b
	}
	card := cardBrands[brand]
	switch {
	case wallet != "":
		o.PaymentMethodType = wallet
	case typ == "scheme" || typ == "card" || (typ == "" && card != ""):
		o.PaymentMethodType = "card"
	case typ != "":
		o.PaymentMethodType = typ
	case brand != "":
		o.PaymentMethodType = brand
	}
	if card != "" {
		o.CardBrand = card
	}
	if len(summary) == 4 && strings.Trim(summary, "0123456789") == "" && (card != "" || o.PaymentMethodType == "card") {
		o.CardLast4 = summary
	}
}

// cardBrands maps Adyen's card brand codes to the names paymux shows.
var cardBrands = map[string]string{
	"visa": "visa", "mc": "mastercard", "amex": "amex", "discover": "discover", "diners": "diners",
	"jcb": "jcb", "cup": "unionpay", "maestro": "maestro", "cartebancaire": "cartes_bancaires",
	"bcmc": "bancontact", "elo": "elo", "hipercard": "hipercard", "dankort": "dankort",
	"visadankort": "visa", "electron": "visa", "mcdebit": "mastercard", "visadebit": "visa",
}

// pspPath is the API path of a modification of payment pspReference ref, refusing a
// reference that is not one of Adyen's (alphanumeric, such as 993617895204576J).
func pspPath(ref, suffix string) (string, error) {
	if !validPSP(ref) {
		return "", &provider.Error{Provider: Name, Code: "provider_reference_invalid",
			Message: fmt.Sprintf("%q is not an Adyen pspReference", clip(ref))}
	}
	return "/payments/" + ref + suffix, nil
}

func validPSP(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// MethodOf tells the payment method type of a payment_method value from its Adyen
// type, as paymentMethod builds it: scheme (and the scheme: test cards) is a card,
// applepay and googlepay (or paywithgoogle) the wallets, and any other Adyen type
// ("ideal", …) is itself, which paymux then refuses as not among Adyen's declared
// capabilities.
func MethodOf(pm string) (provider.Method, bool) {
	pm = strings.TrimSpace(pm)
	typ := ""
	switch {
	case strings.HasPrefix(pm, TestCardPrefix):
		typ = "scheme"
	case strings.HasPrefix(pm, "{"):
		var state struct {
			Type          string `json:"type"`
			PaymentMethod *struct {
				Type string `json:"type"`
			} `json:"paymentMethod"`
		}
		if len(pm) > maxPaymentMethod || json.Unmarshal([]byte(pm), &state) != nil {
			return "", false
		}
		typ = state.Type
		if state.PaymentMethod != nil {
			typ = state.PaymentMethod.Type
		}
	case reMethodType.MatchString(pm):
		typ = pm
	}
	switch typ {
	case "":
		return "", false
	case "scheme", "card":
		return provider.MethodCard, true
	case "applepay":
		return provider.MethodApplePay, true
	case "googlepay", "paywithgoogle":
		return provider.MethodGooglePay, true
	}
	return provider.Method(typ), true
}
