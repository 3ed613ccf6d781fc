// Package mailtest runs Mailpit (github.com/axllent/mailpit, installed with
// `go install` by .ci/run) as a real SMTP server on loopback for tests, and reads
// what it received through its HTTP API. Mailpit's options give the faults tests
// need from a real server: refused recipients (5xx), temporary refusals (4xx,
// through its "chaos" triggers), STARTTLS and implicit TLS.
package mailtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the Mailpit release .ci/run installs.
const Version = "v1.27.11"

// Binary finds the mailpit executable: on PATH, or in Go's install directory.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	t.Fatalf("mailtest: mailpit is not installed: run `go install github.com/axllent/mailpit@%s` (.ci/run does)", Version)
	return ""
}

// Options choose how the server behaves.
type Options struct {
	// SMTPPort fixes the SMTP port (e.g. one a test reserved with FreePort so that
	// paymux was configured before the server started); 0 picks a free one.
	SMTPPort int
	// AllowedRecipients, a regular expression, makes the server refuse every other
	// recipient with 550.
	AllowedRecipients string
	// Chaos lets SetChaos make the server refuse senders or recipients.
	Chaos bool
	// CertFile and KeyFile make the server offer STARTTLS; with RequireTLS it
	// speaks TLS from the first byte instead (smtps).
	CertFile, KeyFile string
	RequireTLS        bool
	// AuthAcceptAny makes the server accept any user and password (and ask for
	// none); AuthFile requires those listed ("user:password" lines).
	AuthAcceptAny bool
	AuthFile      string
	// AuthAllowInsecure lets clients log in with PLAIN or LOGIN without TLS.
	AuthAllowInsecure bool
}

// Server is a running Mailpit.
type Server struct {
	t        testing.TB
	SMTPPort int
	api      string
	client   *http.Client
}

// Start runs Mailpit on loopback with opts (nil for the defaults); it stops when
// the test ends.
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	bin := Binary(t)
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		smtpPort := opts.SMTPPort
		if smtpPort == 0 {
			smtpPort = FreePort(t)
		}
		httpPort := FreePort(t)
		args := []string{
			"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
			"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", attempt)),
			"--disable-version-check", "--smtp-disable-rdns", "--max", "0",
		}
		if opts.AllowedRecipients != "" {
			args = append(args, "--smtp-allowed-recipients", opts.AllowedRecipients)
		}
		if opts.Chaos {
			args = append(args, "--enable-chaos")
		}
		if opts.CertFile != "" {
			args = append(args, "--smtp-tls-cert", opts.CertFile, "--smtp-tls-key", opts.KeyFile)
			if opts.RequireTLS {
				args = append(args, "--smtp-require-tls")
			}
		}
		if opts.AuthAcceptAny {
			args = append(args, "--smtp-auth-accept-any")
		}
		if opts.AuthFile != "" {
			args = append(args, "--smtp-auth-file", opts.AuthFile)
		}
		if opts.AuthAllowInsecure {
			args = append(args, "--smtp-auth-allow-insecure")
		}
		cmd := exec.Command(bin, args...)
		var (
			mu  sync.Mutex
			log bytes.Buffer
		)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatalf("mailtest: start mailpit: %v", err)
		}
		exited := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				mu.Lock()
				log.WriteString(sc.Text() + "\n")
				mu.Unlock()
			}
			_ = cmd.Wait()
			close(exited)
		}()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		s := &Server{t: t, SMTPPort: smtpPort, api: fmt.Sprintf("http://127.0.0.1:%d", httpPort),
			client: &http.Client{Timeout: 10 * time.Second}}
		if s.waitReady(exited) {
			t.Cleanup(stop)
			return s
		}
		stop()
		mu.Lock()
		msg := log.String()
		mu.Unlock()
		if !strings.Contains(msg, "address already in use") {
			t.Fatalf("mailtest: mailpit did not start (%s):\n%s", strings.Join(args, " "), msg)
		}
	}
	t.Fatal("mailtest: no free port for mailpit after 5 tries")
	return nil
}

// waitReady waits until both the API and the SMTP port answer.
func (s *Server) waitReady(exited <-chan struct{}) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		resp, err := s.client.Get(s.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.SMTPPort), time.Second); err == nil {
					c.Close()
					return true
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is the server as PAYMUX_SMTP_URL names it (no TLS offered, no login).
func (s *Server) URL() string { return fmt.Sprintf("smtp://127.0.0.1:%d", s.SMTPPort) }

// Address is a mailbox of a message.
type Address struct {
	Name    string
	Address string
}

// Summary is a message as the list shows it.
type Summary struct {
	ID      string
	From    Address
	To      []Address
	Subject string
	Created time.Time
}

// Message is one received message, both parts and its headers.
type Message struct {
	ID      string
	From    Address
	To      []Address
	ReplyTo []Address
	Subject string
	Text    string
	HTML    string
	Headers map[string][]string
	// Attachments are the message's attached files (Part reads one).
	Attachments []Attachment
}

// Attachment is a file attached to a message.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	Size        int
}

// Part reads the bytes of one attachment of a message.
func (s *Server) Part(messageID, partID string) []byte {
	s.t.Helper()
	resp, err := s.client.Get(s.api + "/api/v1/message/" + url.PathEscape(messageID) + "/part/" + url.PathEscape(partID))
	if err != nil {
		s.t.Fatalf("mailtest: read part %s of %s: %v", partID, messageID, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("mailtest: read part %s of %s: %d %v", partID, messageID, resp.StatusCode, err)
	}
	return b
}

// Header returns the first value of a header.
func (m *Message) Header(name string) string {
	for k, v := range m.Headers {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (s *Server) get(path string, dst any) error {
	resp, err := s.client.Get(s.api + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, dst)
}

// Messages lists every message received, newest first.
func (s *Server) Messages() []Summary {
	s.t.Helper()
	var out struct{ Messages []Summary }
	if err := s.get("/api/v1/messages?limit=1000", &out); err != nil {
		s.t.Fatalf("mailtest: list messages: %v", err)
	}
	return out.Messages
}

// Message reads one message with its parts and headers.
func (s *Server) Message(id string) *Message {
	s.t.Helper()
	var m Message
	if err := s.get("/api/v1/message/"+url.PathEscape(id), &m); err != nil {
		s.t.Fatalf("mailtest: read message %s: %v", id, err)
	}
	if err := s.get("/api/v1/message/"+url.PathEscape(id)+"/headers", &m.Headers); err != nil {
		s.t.Fatalf("mailtest: read headers of %s: %v", id, err)
	}
	return &m
}

// To lists the messages received for addr, oldest first.
func (s *Server) To(addr string) []*Message {
	s.t.Helper()
	list := s.Messages()
	var out []*Message
	for i := len(list) - 1; i >= 0; i-- {
		for _, to := range list[i].To {
			if strings.EqualFold(to.Address, addr) {
				out = append(out, s.Message(list[i].ID))
				break
			}
		}
	}
	return out
}

// WaitTo waits until n messages arrived for addr and returns them, oldest first.
func (s *Server) WaitTo(addr string, n int, timeout time.Duration) []*Message {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.To(addr)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mailtest: %d message(s) for %s after %s, want %d", len(got), addr, timeout, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Trigger is a chaos trigger: the SMTP reply code and the chance (0-100) of it.
type Trigger struct {
	ErrorCode   int
	Probability int
}

// SetChaos makes the server refuse MAIL FROM (sender) or RCPT TO (recipient) with
// the trigger's code; a zero Trigger switches it off. The server must have been
// started with Options.Chaos.
func (s *Server) SetChaos(sender, recipient Trigger) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]Trigger{"Sender": fix(sender), "Recipient": fix(recipient)})
	req, err := http.NewRequest(http.MethodPut, s.api+"/api/v1/chaos", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("mailtest: set chaos: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("mailtest: set chaos: %d %s", resp.StatusCode, b)
	}
}

// fix gives an off trigger a valid code: Mailpit checks codes even at 0%.
func fix(tr Trigger) Trigger {
	if tr.ErrorCode == 0 {
		tr.ErrorCode = 451
	}
	return tr
}
