package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// walletPSP plays the two providers' wallet endpoints as documented: Adyen's
// POST /applePay/sessions (X-API-Key; answers the Apple merchant session base64-
// encoded in data) under /adyen, and Stripe's POST /v1/payment_method_domains
// (Bearer key, form body; one registration per domain) under /stripe.
type walletPSP struct {
	srv *httptest.Server
	mu  sync.Mutex
	// sessions are the Adyen session requests received; domains the Stripe registrations.
	sessions []map[string]string
	domains  map[string]string
}

const (
	walletAdyenKey    = "AQEyhmfxK4PJahZCw0m_wallet_test_key"
	walletStripeKey   = "sk_test_51WalletTestKey0000000000000"
	walletApplePayMID = "merchant.com.adyen.paymuxtest"
)

func newWalletPSP(t *testing.T) *walletPSP {
	p := &walletPSP{domains: map[string]string{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *walletPSP) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.URL.Path {
	case "/adyen/applePay/sessions":
		if r.Header.Get("X-API-Key") != walletAdyenKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":401,"errorCode":"000","message":"HTTP Status Response - Unauthorized","errorType":"security"}`)
			return
		}
		var req map[string]string
		_ = json.Unmarshal(body, &req)
		p.sessions = append(p.sessions, req)
		session, _ := json.Marshal(map[string]any{"epochTimestamp": 1764020000000, "merchantSessionIdentifier": "SSH_test_1",
			"merchantIdentifier": req["merchantIdentifier"], "displayName": req["displayName"], "domainName": req["domainName"], "signature": "3080"})
		json.NewEncoder(w).Encode(map[string]string{"data": base64.StdEncoding.EncodeToString(session)})
	case "/stripe/v1/payment_method_domains":
		if r.Header.Get("Authorization") != "Bearer "+walletStripeKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`)
			return
		}
		form, _ := url.ParseQuery(string(body))
		domain := form.Get("domain_name")
		id, ok := p.domains[domain]
		if !ok {
			id = fmt.Sprintf("pmd_test%d", len(p.domains)+1)
			p.domains[domain] = id
		}
		fmt.Fprintf(w, `{"id":%q,"object":"payment_method_domain","domain_name":%q,"enabled":true,"livemode":false,
"apple_pay":{"status":"active"},"google_pay":{"status":"active"},"link":{"status":"active"}}`, id, domain)
	default:
		http.NotFound(w, r)
	}
}

// walletConnections creates an Adyen and a Stripe connection against psp.
func walletConnections(t *testing.T, env *apptest.Env, psp *walletPSP) (adyenID, stripeID string) {
	t.Helper()
	a := env.Secret("POST", "/v1/provider_connections", map[string]any{"provider": "adyen", "base_url": psp.srv.URL + "/adyen",
		"credentials": map[string]string{"api_key": walletAdyenKey, "merchant_account": "PaymuxTestECOM", "apple_pay_merchant_id": walletApplePayMID}}).
		MustStatus(t, http.StatusCreated).JSON(t)
	s := env.Secret("POST", "/v1/provider_connections", map[string]any{"provider": "stripe", "base_url": psp.srv.URL + "/stripe",
		"credentials": map[string]string{"secret_key": walletStripeKey}}).MustStatus(t, http.StatusCreated).JSON(t)
	return str(a, "id"), str(s, "id")
}

// Apple Pay on the web: Adyen validates the merchant session server-side (paymux
// relays it untouched); Stripe validates in Stripe.js on a domain registered once;
// the domain-association file is served where Apple looks for it.
func TestApplePayMerchantValidation(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		psp := newWalletPSP(t)
		_, stripeConn := walletConnections(t, env, psp)
		pay := str(createPayment(t, env, `{"amount":1990,"currency":"EUR"}`), "id")

		s := env.Secret("POST", "/v1/payments/"+pay+"/apple_pay_session",
			`{"provider":"adyen","display_name":"Ada's Mugs","domain_name":"Pay.Shop.Example"}`).MustStatus(t, http.StatusOK).JSON(t)
		ms, _ := s["merchant_session"].(map[string]any)
		if str(s, "object") != "apple_pay_session" || str(s, "payment_id") != pay || str(s, "provider") != "adyen" ||
			str(ms, "merchantSessionIdentifier") != "SSH_test_1" || str(ms, "domainName") != "pay.shop.example" {
			t.Fatalf("session %v", s)
		}
		psp.mu.Lock()
		got := psp.sessions[0]
		psp.mu.Unlock()
		if got["merchantIdentifier"] != walletApplePayMID || got["displayName"] != "Ada's Mugs" || got["domainName"] != "pay.shop.example" {
			t.Errorf("Adyen got %v", got)
		}

		for _, c := range []struct {
			name, body string
			status     int
			code       string
			says       string
		}{
			{"stripe validates itself", `{"provider":"stripe","display_name":"A","domain_name":"pay.shop.example"}`, 400, "parameter_invalid", "/wallet_domains"},
			{"no provider", `{"display_name":"A","domain_name":"pay.shop.example"}`, 400, "parameter_missing", "provider is required"},
			{"domain with scheme", `{"provider":"adyen","display_name":"A","domain_name":"https://pay.shop.example"}`, 400, "parameter_invalid", "bare host name"},
			{"display name too long", `{"provider":"adyen","display_name":"` + strings.Repeat("x", 65) + `","domain_name":"pay.shop.example"}`, 400, "parameter_invalid", "1-64"},
			{"sandbox has no Apple Pay on the web", `{"provider":"sandbox","display_name":"A","domain_name":"pay.shop.example"}`, 400, "parameter_invalid", "Apple Pay"},
			{"unknown field", `{"provider":"adyen","display_name":"A","domain_name":"pay.shop.example","nonce":"x"}`, 400, "parameter_unknown", "nonce"},
		} {
			r := env.Secret("POST", "/v1/payments/"+pay+"/apple_pay_session", c.body)
			e := errorOf(t, r.MustStatus(t, c.status))
			if str(e, "code") != c.code || !strings.Contains(str(e, "message"), c.says) {
				t.Errorf("%s: %v, want %s saying %q", c.name, e, c.code, c.says)
			}
		}
		// A paid payment needs no session.
		done := paid(t, env)
		r := env.Secret("POST", "/v1/payments/"+done+"/apple_pay_session", `{"provider":"adyen","display_name":"A","domain_name":"pay.shop.example"}`)
		wantError(t, r, http.StatusConflict, "payment_invalid_state", "", "succeeded")
		// Another merchant's payment does not exist.
		other, _ := env.App.Engine.CreateMerchant(t.Context(), "Other")
		r = env.Do("POST", "/v1/payments/"+pay+"/apple_pay_session", other.TestSecretKey, `{"provider":"adyen","display_name":"A","domain_name":"pay.shop.example"}`)
		wantError(t, r, http.StatusNotFound, "resource_missing", "id")

		// Stripe: register the domain once; again gives the same registration.
		d := env.Secret("POST", "/v1/provider_connections/"+stripeConn+"/wallet_domains", `{"domain_name":"pay.shop.example"}`).MustStatus(t, http.StatusOK).JSON(t)
		if str(d, "object") != "wallet_domain" || str(d, "provider") != "stripe" || str(d, "domain_name") != "pay.shop.example" ||
			str(d, "apple_pay") != "active" || str(d, "google_pay") != "active" || !strings.HasPrefix(str(d, "provider_reference"), "pmd_") {
			t.Fatalf("domain %v", d)
		}
		again := env.Secret("POST", "/v1/provider_connections/"+stripeConn+"/wallet_domains", `{"domain_name":"pay.shop.example"}`).MustStatus(t, http.StatusOK).JSON(t)
		if str(again, "provider_reference") != str(d, "provider_reference") {
			t.Errorf("registered again as %v, first %v", again, d)
		}
		r = env.Secret("POST", "/v1/provider_connections/"+stripeConn+"/wallet_domains", `{"domain_name":"pay.shop.example/checkout"}`)
		wantError(t, r, http.StatusBadRequest, "parameter_invalid", "domain_name", "bare host name")
		r = env.Secret("POST", "/v1/provider_connections/"+stripeConn+"/wallet_domains", `{}`)
		wantError(t, r, http.StatusBadRequest, "parameter_missing", "domain_name")
	})
}

// The domain-association file Apple fetches is served when configured, and its
// absence says what to set.
func TestApplePayDomainAssociationFile(t *testing.T) {
	t.Parallel()
	file := []byte("7B227073704964223A2239373943394538343346343131343044463144313834333232393231314434\n")
	with := apptest.Start(t, "sqlite", apptest.WithApplePayDomainFile(file))
	r := with.Do("GET", "/.well-known/apple-developer-merchantid-domain-association", "", nil)
	if r.Status != 200 || string(r.Body) != string(file) || r.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("served %d %q %v", r.Status, r.Body, r.Header)
	}
	without := apptest.Start(t, "sqlite")
	r = without.Do("GET", "/.well-known/apple-developer-merchantid-domain-association", "", nil)
	if r.Status != 404 || !strings.Contains(string(r.Body), "PAYMUX_APPLE_PAY_DOMAIN_FILE") {
		t.Errorf("without a file: %d %q", r.Status, r.Body)
	}
}
