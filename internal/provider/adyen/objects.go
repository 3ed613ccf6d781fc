package adyen

import "encoding/json"

// The Checkout API objects this package sends and reads, with only the fields it
// uses. Unknown fields in answers are ignored; requests carry only fields the v71
// spec defines (the contract tests check that against Adyen's OpenAPI document).

// paymentRequest is the body of POST /payments.
type paymentRequest struct {
	Amount                 amount              `json:"amount"`
	MerchantAccount        string              `json:"merchantAccount"`
	Reference              string              `json:"reference"`
	PaymentMethod          json.RawMessage     `json:"paymentMethod"`
	ReturnURL              string              `json:"returnUrl"`
	Channel                string              `json:"channel"`
	ShopperInteraction     string              `json:"shopperInteraction"`
	ShopperEmail           string              `json:"shopperEmail,omitempty"`
	MerchantOrderReference string              `json:"merchantOrderReference,omitempty"`
	CaptureDelayHours      *int                `json:"captureDelayHours,omitempty"`
	AdditionalData         map[string]string   `json:"additionalData,omitempty"`
	Metadata               map[string]string   `json:"metadata,omitempty"`
	AuthenticationData     *authenticationData `json:"authenticationData,omitempty"`
	BrowserInfo            json.RawMessage     `json:"browserInfo,omitempty"`
}

// authenticationData chooses how 3-D Secure runs.
type authenticationData struct {
	ThreeDSRequestData *threeDSRequestData `json:"threeDSRequestData,omitempty"`
}

type threeDSRequestData struct {
	// NativeThreeDS "disabled" makes Adyen answer 3-D Secure 2 with a redirect
	// action to its hosted page instead of a threeDS2 action only its JavaScript
	// can run.
	NativeThreeDS string `json:"nativeThreeDS,omitempty"`
}

// paymentResponse is the answer of /payments and /payments/details.
type paymentResponse struct {
	ResultCode        string                 `json:"resultCode"`
	PSPReference      string                 `json:"pspReference"`
	MerchantReference string                 `json:"merchantReference"`
	RefusalReason     string                 `json:"refusalReason"`
	RefusalReasonCode string                 `json:"refusalReasonCode"`
	Amount            *amount                `json:"amount"`
	Action            *action                `json:"action"`
	AdditionalData    map[string]string      `json:"additionalData"`
	PaymentMethod     *responsePaymentMethod `json:"paymentMethod"`
}

// action is what the shopper must do next. Only redirect actions carry a URL
// paymux can send the shopper to.
type action struct {
	Type              string            `json:"type"`
	URL               string            `json:"url"`
	Method            string            `json:"method"`
	Data              map[string]string `json:"data"`
	PaymentMethodType string            `json:"paymentMethodType"`
}

// responsePaymentMethod is how the payment was made, as Adyen reports it.
type responsePaymentMethod struct {
	Brand string `json:"brand"`
	Type  string `json:"type"`
}

// detailsRequest is the body of POST /payments/details.
type detailsRequest struct {
	Details map[string]string `json:"details"`
}

// modificationRequest is the body of the captures, cancels and refunds endpoints.
type modificationRequest struct {
	MerchantAccount      string  `json:"merchantAccount"`
	Amount               *amount `json:"amount,omitempty"`
	Reference            string  `json:"reference,omitempty"`
	MerchantRefundReason string  `json:"merchantRefundReason,omitempty"`
}

// modificationResponse is Adyen's acknowledgement of a modification: status
// "received"; the outcome follows by notification.
type modificationResponse struct {
	MerchantAccount     string  `json:"merchantAccount"`
	PaymentPSPReference string  `json:"paymentPspReference"`
	PSPReference        string  `json:"pspReference"`
	Reference           string  `json:"reference"`
	Status              string  `json:"status"`
	Amount              *amount `json:"amount"`
}
