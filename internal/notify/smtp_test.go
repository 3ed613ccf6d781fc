package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/notify"
	"github.com/paymux/paymux/internal/testutil/mailtest"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw     string
		want    notify.SMTPConfig
		wantErr string
	}{
		{raw: "smtp://mail.example.com", want: notify.SMTPConfig{Host: "mail.example.com", Port: 587, TLS: notify.TLSOpportunistic}},
		{raw: "smtp://user%40shop:p%3Ass@mail.example.com:2525", want: notify.SMTPConfig{Host: "mail.example.com", Port: 2525,
			Username: "user@shop", Password: "p:ss", TLS: notify.TLSOpportunistic}},
		{raw: "smtp://mail.example.com?tls=starttls", want: notify.SMTPConfig{Host: "mail.example.com", Port: 587, TLS: notify.TLSStartTLS}},
		{raw: "smtps://u:p@mail.example.com", want: notify.SMTPConfig{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", ImplicitTLS: true}},
		{raw: "smtp://127.0.0.1:1025?tls=none", want: notify.SMTPConfig{Host: "127.0.0.1", Port: 1025, TLS: notify.TLSNone}},
		{raw: "smtp://localhost:1025?tls=none", want: notify.SMTPConfig{Host: "localhost", Port: 1025, TLS: notify.TLSNone}},
		{raw: "smtp://[::1]:1025?tls=none", want: notify.SMTPConfig{Host: "::1", Port: 1025, TLS: notify.TLSNone}},
		{raw: "smtp://mail.example.com?tls=none", wantErr: "only to a server on this machine"},
		{raw: "smtp://10.0.0.5:25?tls=none", wantErr: "only to a server on this machine"},
		{raw: "smtps://mail.example.com?tls=starttls", wantErr: "smtps:// always speaks TLS"},
		{raw: "smtp://mail.example.com?tls=maybe", wantErr: "use opportunistic"},
		{raw: "smtp://mail.example.com?timeout=5", wantErr: `unknown option "timeout"`},
		{raw: "http://mail.example.com", wantErr: `scheme "http"`},
		{raw: "mail.example.com:25", wantErr: "scheme"},
		{raw: "smtp://", wantErr: "no host"},
		{raw: "smtp://mail.example.com:99999", wantErr: "not a port number"},
		{raw: "smtp://mail.example.com/inbox", wantErr: "unexpected path"},
		{raw: "smtp://u:secret@mail.example.com:%zz", wantErr: "not a URL"},
	} {
		got, err := notify.ParseSMTPURL(tc.raw)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one saying %q", tc.raw, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: the error shows the password: %v", tc.raw, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
	}
	c, _ := notify.ParseSMTPURL("smtp://ada:hunter2@mail.example.com:587?tls=starttls")
	if s := c.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "ada:***@mail.example.com:587") || !strings.Contains(s, "STARTTLS required") {
		t.Errorf("String() = %q: want the server without its password", s)
	}
}

func message(to string) *notify.Message {
	return &notify.Message{From: "noreply@paymux.test", FromName: "Caffè Roma", To: to, ReplyTo: "help@caffe.example",
		Subject: "Pagamento confermato: 12,50 €", Text: "Grazie.\n", HTML: "<p>Grazie.</p>",
		Headers: map[string]string{"X-Paymux-Notification": "ntf_1", "Auto-Submitted": "auto-generated"}}
}

func sender(t *testing.T, cfg notify.SMTPConfig) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func plain(port int) notify.SMTPConfig {
	return notify.SMTPConfig{Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second}
}

// A message reaches a real SMTP server with both parts and its headers.
func TestSMTPDeliversBothParts(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t, nil)
	if err := sender(t, plain(mp.SMTPPort)).Send(t.Context(), message("ada@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := mp.WaitTo("ada@example.com", 1, 10*time.Second)[0]
	if m.Subject != "Pagamento confermato: 12,50 €" || m.From.Name != "Caffè Roma" || m.From.Address != "noreply@paymux.test" {
		t.Errorf("message %+v", m)
	}
	if strings.TrimSpace(m.Text) != "Grazie." || !strings.Contains(m.HTML, "<p>Grazie.</p>") {
		t.Errorf("parts: text %q html %q", m.Text, m.HTML)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Address != "help@caffe.example" {
		t.Errorf("Reply-To %v", m.ReplyTo)
	}
	if m.Header("X-Paymux-Notification") != "ntf_1" || m.Header("Auto-Submitted") != "auto-generated" ||
		!strings.HasPrefix(m.Header("Content-Type"), "multipart/alternative") {
		t.Errorf("headers %v", m.Headers)
	}
}

// Refusals are sorted: 5xx replies and bad addresses are permanent; 4xx replies, a
// server that is not there and a timeout are worth retrying.
func TestSMTPErrorsAreSorted(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t, &mailtest.Options{AllowedRecipients: `@example\.com$`, Chaos: true})
	s := sender(t, plain(mp.SMTPPort))
	ctx := t.Context()

	err := s.Send(ctx, message("someone@elsewhere.org"))
	var se *notify.SendError
	if !errors.As(err, &se) || se.Code != 550 || !notify.IsPermanent(err) {
		t.Errorf("refused recipient: %v (%+v), want a permanent 550", err, se)
	}
	if err := s.Send(ctx, message("not an address")); !notify.IsPermanent(err) {
		t.Errorf("bad address: %v, want permanent", err)
	}

	mp.SetChaos(mailtest.Trigger{ErrorCode: 451, Probability: 100}, mailtest.Trigger{})
	err = s.Send(ctx, message("ada@example.com"))
	if !errors.As(err, &se) || se.Code != 451 || notify.IsPermanent(err) {
		t.Errorf("451 on MAIL FROM: %v, want a temporary 451", err)
	}
	mp.SetChaos(mailtest.Trigger{}, mailtest.Trigger{ErrorCode: 552, Probability: 100})
	if err := s.Send(ctx, message("ada@example.com")); !notify.IsPermanent(err) {
		t.Errorf("552 on RCPT TO: %v, want permanent", err)
	}
	mp.SetChaos(mailtest.Trigger{}, mailtest.Trigger{})
	if err := s.Send(ctx, message("ada@example.com")); err != nil {
		t.Errorf("after the chaos: %v", err)
	}

	down := sender(t, plain(mailtest.FreePort(t)))
	if err := down.Send(ctx, message("ada@example.com")); err == nil || notify.IsPermanent(err) {
		t.Errorf("server down: %v, want a temporary error", err)
	}
	// A server that accepts the connection and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	cfg := plain(ln.Addr().(*net.TCPAddr).Port)
	cfg.Timeout = 300 * time.Millisecond
	if err := sender(t, cfg).Send(ctx, message("ada@example.com")); err == nil || notify.IsPermanent(err) {
		t.Errorf("silent server: %v, want a temporary error", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Send(canceled, message("ada@example.com")); err == nil || notify.IsPermanent(err) {
		t.Errorf("canceled: %v, want a temporary error", err)
	}
}

// testCA makes a certificate authority and a server certificate for 127.0.0.1
// signed by it, written to files for Mailpit; it returns the files and a TLS
// config that trusts the authority.
func testCA(t *testing.T) (certFile, keyFile string, trust *tls.Config) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "paymux test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return certFile, keyFile, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TLS: STARTTLS is used when offered, required when asked, and smtps speaks TLS
// from the start; a certificate that is not trusted stops the send. Credentials go
// to the server only over TLS, or in the clear only to loopback with tls=none.
func TestSMTPTLSAndLogin(t *testing.T) {
	t.Parallel()
	cert, key, trust := testCA(t)
	auth := filepath.Join(t.TempDir(), "auth")
	if err := os.WriteFile(auth, []byte("shop:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	starttls := mailtest.Start(t, &mailtest.Options{CertFile: cert, KeyFile: key, AuthFile: auth})
	implicit := mailtest.Start(t, &mailtest.Options{CertFile: cert, KeyFile: key, RequireTLS: true})
	cleartext := mailtest.Start(t, &mailtest.Options{AuthFile: auth, AuthAllowInsecure: true})
	ctx := t.Context()

	for _, tc := range []struct {
		name   string
		mp     *mailtest.Server
		url    string
		trust  bool
		wantOK bool
	}{
		{"STARTTLS when offered, with login", starttls, "smtp://shop:s3cret@127.0.0.1:%d", true, true},
		{"STARTTLS required", starttls, "smtp://shop:s3cret@127.0.0.1:%d?tls=starttls", true, true},
		{"wrong password", starttls, "smtp://shop:nope@127.0.0.1:%d", true, false},
		{"untrusted certificate", starttls, "smtp://shop:s3cret@127.0.0.1:%d", false, false},
		{"smtps", implicit, "smtps://127.0.0.1:%d", true, true},
		{"smtps, untrusted", implicit, "smtps://127.0.0.1:%d", false, false},
		{"STARTTLS required, not offered", cleartext, "smtp://shop:s3cret@127.0.0.1:%d?tls=starttls", true, false},
		{"login in clear, opportunistic: refused by the client", cleartext, "smtp://shop:s3cret@127.0.0.1:%d", true, false},
		{"login in clear on loopback with tls=none", cleartext, "smtp://shop:s3cret@127.0.0.1:%d?tls=none", true, true},
	} {
		cfg, err := notify.ParseSMTPURL(strings.Replace(tc.url, "%d", itoa(tc.mp.SMTPPort), 1))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.trust {
			cfg.TLSConfig = trust
		}
		cfg.Timeout = 5 * time.Second
		to := strings.ReplaceAll(strings.ToLower(strings.Fields(tc.name)[0]), ",", "") + "-" + itoa(len(tc.name)) + "@example.com"
		err = sender(t, cfg).Send(ctx, message(to))
		t.Logf("%s: %v", tc.name, err)
		if (err == nil) != tc.wantOK {
			t.Errorf("%s: err = %v, want success %v", tc.name, err, tc.wantOK)
			continue
		}
		if tc.name == "wrong password" && !notify.IsPermanent(err) {
			t.Errorf("a refused login (535) is permanent: %v", err)
		}
		if err == nil {
			tc.mp.WaitTo(to, 1, 10*time.Second)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the password: %v", tc.name, err)
		}
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
