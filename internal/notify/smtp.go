package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of an smtp:// URL (an smtps:// URL always speaks TLS from the start).
const (
	// TLSOpportunistic upgrades with STARTTLS when the server offers it. Passwords
	// still never cross an unencrypted connection: without TLS only
	// challenge-response mechanisms (SCRAM, CRAM-MD5) are used.
	TLSOpportunistic = "opportunistic"
	// TLSStartTLS requires STARTTLS: a server that does not offer it is an error.
	TLSStartTLS = "starttls"
	// TLSNone never encrypts, and sends PLAIN or LOGIN credentials in the clear. It
	// is accepted only for a server on this machine (loopback), such as a local
	// mail catcher, where nothing crosses a network.
	TLSNone = "none"
)

// DefaultSendTimeout bounds one SMTP conversation (connecting, TLS, sending).
const DefaultSendTimeout = 10 * time.Second

// SMTPConfig says where and how emails are sent.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS speaks TLS from the first byte (smtps://, usually port 465).
	ImplicitTLS bool
	// TLS is the STARTTLS policy of a plain connection: TLSOpportunistic,
	// TLSStartTLS or TLSNone.
	TLS string
	// TLSConfig verifies the server; nil means the system's roots. Tests set it to
	// trust their own certificate authority.
	TLSConfig *tls.Config
	// Timeout bounds one send; zero means DefaultSendTimeout.
	Timeout time.Duration
}

// ParseSMTPURL reads PAYMUX_SMTP_URL:
//
//	smtp://[user:password@]host[:port][?tls=opportunistic|starttls|none]
//	smtps://[user:password@]host[:port]
//
// smtp:// defaults to port 587 and STARTTLS when offered; smtps:// to port 465.
// tls=none (no encryption at all) is refused unless host is a loopback address.
// User and password are URL-encoded ("%40" for "@").
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(raw)
	if err != nil {
		// url's own error repeats the whole URL, password included.
		return c, errors.New("not a URL: write smtp://user:password@host:port or smtps://…")
	}
	switch u.Scheme {
	case "smtp":
		c.Port, c.TLS = 587, TLSOpportunistic
	case "smtps":
		c.Port, c.ImplicitTLS = 465, true
	default:
		return c, fmt.Errorf("scheme %q: use smtp:// (STARTTLS when offered) or smtps:// (TLS from the start)", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("no host: write smtp://user:password@host:port")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("port %q is not a port number", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if u.Path != "" && u.Path != "/" {
		return c, fmt.Errorf("unexpected path %q: the URL names a server only", u.Path)
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return c, fmt.Errorf("unknown option %q: the only one is tls=opportunistic|starttls|none", k)
		}
	}
	if v := q.Get("tls"); v != "" {
		if c.ImplicitTLS {
			return c, errors.New("tls= applies to smtp:// only: smtps:// always speaks TLS")
		}
		switch v {
		case TLSOpportunistic, TLSStartTLS:
			c.TLS = v
		case TLSNone:
			if !isLoopback(c.Host) {
				return c, fmt.Errorf("tls=none sends mail and passwords unencrypted, so it is allowed only to a server on this machine (localhost, 127.0.0.1, ::1), not %s", c.Host)
			}
			c.TLS = v
		default:
			return c, fmt.Errorf("tls=%q: use opportunistic (the default), starttls or none", v)
		}
	}
	return c, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the server without its password, for logs.
func (c SMTPConfig) String() string {
	scheme, how := "smtp", "STARTTLS when offered"
	switch {
	case c.ImplicitTLS:
		scheme, how = "smtps", "TLS"
	case c.TLS == TLSStartTLS:
		how = "STARTTLS required"
	case c.TLS == TLSNone:
		how = "unencrypted, loopback only"
	}
	user := ""
	if c.Username != "" {
		user = url.User(c.Username).String() + ":***@"
	}
	return fmt.Sprintf("%s://%s%s (%s)", scheme, user, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), how)
}

// Message is one email to send.
type Message struct {
	// From is the sender; FromName its display name (the merchant's brand).
	From     string
	FromName string
	To       string
	// ReplyTo, when set, is where replies go (the merchant's address).
	ReplyTo string
	Subject string
	Text    string
	HTML    string
	// Headers are added as they are, e.g. X-Paymux-Notification.
	Headers map[string]string
	// Attachments are attached as they are (an invoice's PDF).
	Attachments []Attachment
}

// Attachment is a file attached to an email.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Sender sends emails. *SMTP is the real one.
type Sender interface {
	// Send delivers m to the next server, or returns an error that says, through
	// IsPermanent, whether trying again later may help.
	Send(ctx context.Context, m *Message) error
}

// SMTP sends through one SMTP server.
type SMTP struct {
	cfg SMTPConfig
}

var _ Sender = (*SMTP)(nil)

// NewSMTP returns a sender for cfg.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.Port == 0 {
		return nil, errors.New("notify: SMTP host and port are required")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSOpportunistic
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSendTimeout
	}
	return &SMTP{cfg: cfg}, nil
}

// Config returns the sender's settings.
func (s *SMTP) Config() SMTPConfig { return s.cfg }

// Send delivers m. A go-mail client is made per message: the client's state is not
// safe to share between concurrent sends, and a connection per message keeps a
// failure from touching any other.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := buildMsg(m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

func (s *SMTP) client() (*gomail.Client, error) {
	cfg := s.cfg
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	tc.ServerName = cfg.Host
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(tc)}
	switch {
	case cfg.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case cfg.TLS == TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case cfg.TLS == TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
		if cfg.TLS == TLSNone {
			// Loopback only (ParseSMTPURL): nothing crosses a network.
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc))
		} else {
			// The strongest mechanism the server offers; PLAIN and LOGIN only over TLS.
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
		}
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP client: %w", err)
	}
	return c, nil
}

func buildMsg(m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.FromName, m.From); err != nil {
		return nil, &SendError{Err: fmt.Errorf("sender address: %w", err), Permanent: true}
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return nil, &SendError{Err: fmt.Errorf("recipient %w", err), Permanent: true}
	}
	if err := msg.To(m.To); err != nil {
		return nil, &SendError{Err: fmt.Errorf("recipient address: %w", err), Permanent: true}
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, &SendError{Err: fmt.Errorf("reply-to address: %w", err), Permanent: true}
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetUserAgent("paymux")
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return nil, &SendError{Err: fmt.Errorf("attach %s: %w", a.Name, err), Permanent: true}
		}
	}
	return msg, nil
}
