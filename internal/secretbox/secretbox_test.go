package secretbox

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("sk_live_secret"), []byte("conn_1"))
	if bytes.Contains(sealed, []byte("sk_live_secret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := b.Open(sealed, []byte("conn_1"))
	if err != nil || string(got) != "sk_live_secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tests := map[string]struct {
		sealed []byte
		aad    string
		key    []byte
	}{
		"other owner":    {sealed, "conn_2", key},
		"other key":      {sealed, "conn_1", bytes.Repeat([]byte{8}, 32)},
		"tampered":       {append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1), "conn_1", key},
		"truncated":      {sealed[:5], "conn_1", key},
		"unknown format": {append([]byte{9}, sealed[1:]...), "conn_1", key},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			bb, _ := New(tc.key)
			if _, err := bb.Open(tc.sealed, []byte(tc.aad)); !errors.Is(err, ErrOpen) {
				t.Fatalf("Open = %v, want ErrOpen", err)
			}
		})
	}
}

func TestKeyFileAndParse(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("create: %v %v %d", err, created, len(k1))
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("reload gave another key: %v %v", err, created)
	}
	for _, bad := range []string{"", "short", "zz" + string(bytes.Repeat([]byte("a"), 62))} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if _, err := ParseKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); err != nil {
		t.Errorf("base64 key refused: %v", err)
	}
}
