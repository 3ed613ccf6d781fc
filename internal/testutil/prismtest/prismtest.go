// Package prismtest runs Prism (tools/prism, installed from npm by .ci/run) on a
// provider's published OpenAPI spec from ../shared/specs, on loopback, for connector
// contract tests: Prism answers 422 with an sl-violations header when a request
// breaks the spec.
package prismtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot finds the directory holding go.mod, above the test's working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("prismtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Spec returns the path of a spec under ../shared/specs, e.g. "paypal/checkout_orders_v2.fixed.json".
func Spec(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "..", "shared", "specs", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("prismtest: spec %s not found (shared/ must sit beside the repository): %v", rel, err)
	}
	return p
}

func binary(t testing.TB) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "tools", "prism", "node_modules", ".bin", "prism")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("prismtest: Prism is not installed: run `npm ci --prefix tools/prism` (.ci/run does)")
	}
	return p
}

// Start runs `prism mock` on the spec and returns its base URL; it stops with the test.
func Start(t testing.TB, spec string) string {
	t.Helper()
	bin := binary(t)
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", fmt.Sprint(port), spec)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatalf("prismtest: start prism: %v", err)
		}
		var (
			mu  sync.Mutex
			log strings.Builder
		)
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				mu.Lock()
				log.WriteString(line + "\n")
				mu.Unlock()
				if strings.Contains(line, "Prism is listening") {
					select {
					case ready <- true:
					default:
					}
				}
			}
			select {
			case ready <- false:
			default:
			}
		}()
		stop := func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		select {
		case ok := <-ready:
			if ok {
				t.Cleanup(stop)
				return fmt.Sprintf("http://127.0.0.1:%d", port)
			}
		case <-time.After(60 * time.Second):
		}
		stop()
		mu.Lock()
		msg := log.String()
		mu.Unlock()
		if !strings.Contains(msg, "EADDRINUSE") {
			t.Fatalf("prismtest: prism did not start on %s:\n%s", spec, msg)
		}
	}
	t.Fatal("prismtest: no free port for prism after 5 tries")
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
