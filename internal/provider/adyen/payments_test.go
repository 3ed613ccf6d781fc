package adyen

import (
	"testing"

	"github.com/paymux/paymux/internal/payment"
)

// TestOutcome maps every resultCode of Adyen's v71 PaymentResponse.
func TestOutcome(t *testing.T) {
	t.Parallel()
	redirect := &action{Type: "redirect", Method: "GET", URL: "https://checkoutshopper-test.adyen.com/threeDS/redirect?MD=x"}
	tests := []struct {
		name    string
		res     paymentResponse
		capture payment.CaptureMethod
		want    payment.Outcome
		err     bool
	}{
		{"authorised, automatic", paymentResponse{ResultCode: "Authorised", PSPReference: "P1", Amount: &amount{"EUR", 990}}, payment.CaptureAutomatic,
			payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: "P1", AmountCaptured: 990}, false},
		{"authorised, manual", paymentResponse{ResultCode: "Authorised", PSPReference: "P1"}, payment.CaptureManual,
			payment.Outcome{Status: payment.StatusRequiresCapture, ProviderReference: "P1"}, false},
		{"authorised, capture unknown but in metadata", paymentResponse{ResultCode: "Authorised", PSPReference: "P1",
			AdditionalData: map[string]string{"metadata.paymux_capture": "automatic"}}, "",
			payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: "P1"}, false},
		{"authorised, capture unknown", paymentResponse{ResultCode: "Authorised", PSPReference: "P1"}, "",
			payment.Outcome{Status: payment.StatusRequiresCapture, ProviderReference: "P1"}, false},
		{"success", paymentResponse{ResultCode: "Success", PSPReference: "P1"}, payment.CaptureAutomatic,
			payment.Outcome{Status: payment.StatusSucceeded, ProviderReference: "P1"}, false},
		{"redirect shopper", paymentResponse{ResultCode: "RedirectShopper", PSPReference: "P1", Action: redirect}, payment.CaptureAutomatic,
			payment.Outcome{Status: payment.StatusRequiresAction, ProviderReference: "P1", RedirectURL: redirect.URL}, false},
		{"POST redirect carries its fields in the URL", paymentResponse{ResultCode: "RedirectShopper", Action: &action{Type: "redirect", Method: "POST",
			URL: "https://bank.test/pay", Data: map[string]string{"MD": "m d", "PaReq": "p"}}}, payment.CaptureAutomatic,
			payment.Outcome{Status: payment.StatusRequiresAction, RedirectURL: "https://bank.test/pay?MD=m+d&PaReq=p"}, false},
		{"redirect to a non-http URL is not followed", paymentResponse{ResultCode: "RedirectShopper", Action: &action{Type: "redirect", URL: "javascript:alert(1)"}}, "",
			payment.Outcome{Status: payment.StatusRequiresAction}, false},
		{"challenge shopper without a URL", paymentResponse{ResultCode: "ChallengeShopper", Action: &action{Type: "threeDS2"}}, "",
			payment.Outcome{Status: payment.StatusRequiresAction}, false},
		{"present to shopper with a URL", paymentResponse{ResultCode: "PresentToShopper", Action: &action{Type: "voucher", URL: "https://voucher.test/v"}}, "",
			payment.Outcome{Status: payment.StatusRequiresAction, RedirectURL: "https://voucher.test/v"}, false},
		{"present to shopper without a URL", paymentResponse{ResultCode: "PresentToShopper", Action: &action{Type: "qrCode"}}, "",
			payment.Outcome{Status: payment.StatusProcessing}, false},
		{"pending", paymentResponse{ResultCode: "Pending", PSPReference: "P1"}, "", payment.Outcome{Status: payment.StatusProcessing, ProviderReference: "P1"}, false},
		{"received", paymentResponse{ResultCode: "Received"}, "", payment.Outcome{Status: payment.StatusProcessing}, false},
		{"unknown result code", paymentResponse{ResultCode: "SomethingNew"}, "", payment.Outcome{Status: payment.StatusProcessing}, false},
		{"refused without a reason", paymentResponse{ResultCode: "Refused"}, "",
			payment.Outcome{Status: payment.StatusFailed, FailureCode: "card_declined", FailureMessage: "Adyen refused the payment."}, false},
		{"refused, raw code", paymentResponse{ResultCode: "Refused", RefusalReasonCode: "2", RefusalReason: "Refused",
			AdditionalData: map[string]string{"refusalReasonRaw": "51 : Insufficient funds"}}, "",
			payment.Outcome{Status: payment.StatusFailed, FailureCode: "insufficient_funds", FailureMessage: "Adyen refused the payment: Refused."}, false},
		{"cancelled", paymentResponse{ResultCode: "Cancelled", PSPReference: "P1"}, "", payment.Outcome{Status: payment.StatusCanceled, ProviderReference: "P1"}, false},
		{"error", paymentResponse{ResultCode: "Error", PSPReference: "P1", RefusalReason: "Acquirer Error"}, "", payment.Outcome{}, true},
		{"card details", paymentResponse{ResultCode: "Authorised", PaymentMethod: &responsePaymentMethod{Type: "scheme", Brand: "amex"},
			AdditionalData: map[string]string{"cardSummary": "0005"}}, payment.CaptureManual,
			payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "card", CardBrand: "amex", CardLast4: "0005"}, false},
		{"Google Pay by variant", paymentResponse{ResultCode: "Authorised", AdditionalData: map[string]string{"paymentMethod": "visa",
			"paymentMethodVariant": "visa_googlepay", "cardSummary": "1234"}}, payment.CaptureManual,
			payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "google_pay", CardBrand: "visa", CardLast4: "1234"}, false},
		{"PayPal", paymentResponse{ResultCode: "Authorised", PaymentMethod: &responsePaymentMethod{Type: "paypal"},
			AdditionalData: map[string]string{"cardSummary": "9999"}}, payment.CaptureManual,
			payment.Outcome{Status: payment.StatusRequiresCapture, PaymentMethodType: "paypal"}, false},
	}
	for _, tc := range tests {
		got, err := outcome(&tc.res, tc.capture)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: outcome = %+v, %v; want %+v (error %t)", tc.name, got, err, tc.want, tc.err)
		}
		if tc.err {
			if pe := asProviderError(t, err); pe.Code != "adyen_error" || pe.Temporary || pe.Uncertain {
				t.Errorf("%s: error = %+v", tc.name, pe)
			}
		}
	}
}

func TestMetaValue(t *testing.T) {
	t.Parallel()
	if got := metaValue("pay_1-authorize-1"); got != "pay_1-authorize-1" {
		t.Errorf("short value changed: %q", got)
	}
	long := metaValue(string(make([]byte, 200)))
	if len(long) > maxMetaValue || long[:7] != "sha256:" || long == metaValue(string(make([]byte, 201))) {
		t.Errorf("long value = %q", long)
	}
}
