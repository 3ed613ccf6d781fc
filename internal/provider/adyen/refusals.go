package adyen

import (
	"strings"
)

// refusal is one of Adyen's refusal reasons (docs.adyen.com/development-resources/
// refusal-reasons) and the failure code paymux records for it. Codes follow the
// decline codes paymux already uses for Stripe and the sandbox, so merchants see
// one vocabulary whatever the provider.
type refusal struct {
	reason string // Adyen's refusalReason text
	code   string
}

// refusals maps Adyen's refusalReasonCode to its reason and paymux's failure code.
var refusals = map[string]refusal{
	"2":  {"Refused", "card_declined"},
	"3":  {"Referral", "call_issuer"},
	"4":  {"Acquirer Error", "processing_error"},
	"5":  {"Blocked Card", "pickup_card"},
	"6":  {"Expired Card", "expired_card"},
	"7":  {"Invalid Amount", "invalid_amount"},
	"8":  {"Invalid Card Number", "incorrect_number"},
	"9":  {"Issuer Unavailable", "issuer_not_available"},
	"10": {"Not supported", "card_not_supported"},
	"11": {"3D Not Authenticated", "authentication_failed"},
	"12": {"Not enough balance", "insufficient_funds"},
	"14": {"Acquirer Fraud", "fraudulent"},
	"15": {"Cancelled", "payment_canceled"},
	"16": {"Shopper Cancelled", "shopper_canceled"},
	"17": {"Invalid Pin", "incorrect_pin"},
	"18": {"Pin tries exceeded", "pin_try_exceeded"},
	"19": {"Pin validation not possible", "processing_error"},
	"20": {"FRAUD", "fraudulent"},
	"21": {"Not Submitted", "processing_error"},
	"22": {"FRAUD-CANCELLED", "fraudulent"},
	"23": {"Transaction Not Permitted", "transaction_not_allowed"},
	"24": {"CVC Declined", "incorrect_cvc"},
	"25": {"Restricted Card", "restricted_card"},
	"26": {"Revocation Of Auth", "revocation_of_authorization"},
	"27": {"Declined Non Generic", "do_not_honor"},
	"28": {"Withdrawal amount exceeded", "card_velocity_exceeded"},
	"29": {"Withdrawal count exceeded", "withdrawal_count_limit_exceeded"},
	"31": {"Issuer Suspected Fraud", "fraudulent"},
	"32": {"AVS Declined", "incorrect_address"},
	"33": {"Card requires online pin", "online_or_offline_pin_required"},
	"34": {"No checking account available on Card", "invalid_account"},
	"35": {"No savings account available on Card", "invalid_account"},
	"36": {"Mobile pin required", "authentication_required"},
	"37": {"Contactless fallback", "card_declined"},
	"38": {"Authentication required", "authentication_required"},
	"39": {"RReq not received from DS", "authentication_failed"},
	"40": {"Current AID is in Penalty Box", "card_declined"},
	"41": {"CVM Required Restart Payment", "authentication_required"},
	"42": {"3DS Authentication Error", "authentication_failed"},
	"43": {"Online PIN required", "online_or_offline_pin_required"},
	"44": {"Try another interface", "card_declined"},
	"45": {"Chip downgrade mode", "card_declined"},
	"46": {"Transaction blocked by Adyen to prevent excessive retry fees", "try_again_later"},
}

// refusalByReason finds a refusal by Adyen's reason text (case-insensitive), as a
// notification gives it without the code.
var refusalByReason = func() map[string]string {
	m := make(map[string]string, len(refusals))
	for _, r := range refusals {
		m[strings.ToLower(r.reason)] = r.code
	}
	return m
}()

// rawResponseCodes maps the issuer's ISO 8583 response code, which Adyen passes on
// in additionalData.refusalReasonRaw ("51 : Insufficient funds"), to a more precise
// failure code than a generic refusal gives.
var rawResponseCodes = map[string]string{
	"05": "do_not_honor",
	"14": "incorrect_number",
	"41": "lost_card",
	"43": "stolen_card",
	"51": "insufficient_funds",
	"54": "expired_card",
	"55": "incorrect_pin",
	"57": "transaction_not_allowed",
	"61": "card_velocity_exceeded",
	"62": "restricted_card",
	"65": "withdrawal_count_limit_exceeded",
	"82": "incorrect_cvc",
	"N7": "incorrect_cvc",
	"91": "issuer_not_available",
	"96": "processing_error",
}

// failureCode is paymux's failure code for a refusal: from the refusal reason code,
// else its text; a generic refusal ("Refused", "Declined Non Generic") is made
// precise by the issuer's raw response code when Adyen passes it on.
func failureCode(reasonCode, reason, raw string) string {
	code := ""
	if r, ok := refusals[strings.TrimSpace(reasonCode)]; ok {
		code = r.code
	} else if c, ok := refusalByReason[strings.ToLower(strings.TrimSpace(reason))]; ok {
		code = c
	}
	if code == "" || code == "card_declined" || code == "do_not_honor" {
		if c, ok := rawResponseCodes[rawCode(raw)]; ok {
			return c
		}
	}
	if code == "" {
		code = "card_declined"
	}
	return code
}

// rawCode extracts the leading two-character response code of refusalReasonRaw
// ("51 : Insufficient funds", "05 Do not honor"); "" when there is none.
func rawCode(raw string) string {
	raw = strings.TrimSpace(raw)
	if len(raw) < 2 || (len(raw) > 2 && raw[2] != ' ' && raw[2] != ':') {
		return ""
	}
	return strings.ToUpper(raw[:2])
}
