package paypal

// The PayPal objects this package reads and writes, with only the fields it uses.
// Unknown fields are ignored, so additions to PayPal's API do not break parsing.

// order is an Orders v2 order.
type order struct {
	ID            string         `json:"id"`
	Intent        string         `json:"intent"`
	Status        string         `json:"status"`
	PurchaseUnits []purchaseUnit `json:"purchase_units"`
	Links         []link         `json:"links"`
}

// purchaseUnit is one of an order's purchase units; paymux creates exactly one.
type purchaseUnit struct {
	ReferenceID string             `json:"reference_id,omitempty"`
	Amount      *amount            `json:"amount,omitempty"`
	CustomID    string             `json:"custom_id,omitempty"`
	InvoiceID   string             `json:"invoice_id,omitempty"`
	Description string             `json:"description,omitempty"`
	Payments    *paymentCollection `json:"payments,omitempty"`
}

// paymentCollection is what happened to a purchase unit once its order was authorised or
// captured.
type paymentCollection struct {
	Authorizations []authorization `json:"authorizations"`
	Captures       []capture       `json:"captures"`
	Refunds        []refund        `json:"refunds"`
}

// statusDetails says why a capture, authorisation or refund is pending or failed.
type statusDetails struct {
	Reason string `json:"reason"`
}

// relatedIDs are the ids of the objects around a capture or authorisation.
type relatedIDs struct {
	OrderID         string `json:"order_id"`
	AuthorizationID string `json:"authorization_id"`
	CaptureID       string `json:"capture_id"`
}

type supplementaryData struct {
	RelatedIDs relatedIDs `json:"related_ids"`
}

// capture is a captured payment (Payments v2).
type capture struct {
	ID                string             `json:"id"`
	Status            string             `json:"status"`
	StatusDetails     *statusDetails     `json:"status_details"`
	Amount            *amount            `json:"amount"`
	CustomID          string             `json:"custom_id"`
	InvoiceID         string             `json:"invoice_id"`
	FinalCapture      bool               `json:"final_capture"`
	SupplementaryData *supplementaryData `json:"supplementary_data"`
	Links             []link             `json:"links"`
}

// authorization is an authorised payment (Payments v2).
type authorization struct {
	ID                string             `json:"id"`
	Status            string             `json:"status"`
	StatusDetails     *statusDetails     `json:"status_details"`
	Amount            *amount            `json:"amount"`
	CustomID          string             `json:"custom_id"`
	InvoiceID         string             `json:"invoice_id"`
	SupplementaryData *supplementaryData `json:"supplementary_data"`
	Links             []link             `json:"links"`
}

// refund is a refund of a capture (Payments v2).
type refund struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"`
	StatusDetails *statusDetails `json:"status_details"`
	Amount        *amount        `json:"amount"`
	CustomID      string         `json:"custom_id"`
	InvoiceID     string         `json:"invoice_id"`
	Links         []link         `json:"links"`
}

// link is a HATEOAS link.
type link struct {
	Href   string `json:"href"`
	Rel    string `json:"rel"`
	Method string `json:"method,omitempty"`
}

// findLink returns the href of the first link with one of rels, or "".
func findLink(links []link, rels ...string) string {
	for _, rel := range rels {
		for _, l := range links {
			if l.Rel == rel && l.Href != "" {
				return l.Href
			}
		}
	}
	return ""
}

// unit is the order's first purchase unit, or an empty one.
func (o *order) unit() *purchaseUnit {
	if len(o.PurchaseUnits) == 0 {
		return &purchaseUnit{}
	}
	return &o.PurchaseUnits[0]
}

// payments lists the first purchase unit's payments (none before the order is
// authorised or captured).
func (o *order) payments() *paymentCollection {
	if p := o.unit().Payments; p != nil {
		return p
	}
	return &paymentCollection{}
}

// orderIDOf is the order a capture or authorisation belongs to, as PayPal reports it.
func orderIDOf(sd *supplementaryData) string {
	if sd == nil {
		return ""
	}
	return sd.RelatedIDs.OrderID
}
