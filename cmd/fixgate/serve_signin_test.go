package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/store/storetest"
)

func TestSignInFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	cert, key := selfSigned(t, dir)
	for _, c := range []struct {
		f     signInFlags
		field string
	}{
		{signInFlags{oidcIssuer: "https://idp.example", oidcClientID: "fixgate", oidcSecretFile: secret}, "oidc-issuer"},
		{signInFlags{oidcIssuer: "https://idp.example", oidcClientID: "fixgate", oidcSecretFile: filepath.Join(dir, "none"), publicURL: "https://f.example"}, "oidc-client-secret-file"},
		{signInFlags{publicURL: "https://f.example/fixgate"}, "public-url"},
		{signInFlags{publicURL: "ftp://f.example"}, "public-url"},
		{signInFlags{tlsCert: cert}, "tls-cert"},
		{signInFlags{tlsCert: key, tlsKey: cert}, "tls-cert"},
		{signInFlags{sessionIdle: 2 * time.Hour, sessionAbsolute: time.Hour}, "session-idle"},
		{signInFlags{trustedProxies: []string{"10.0.0.0/8", "proxy.example"}}, "trusted-proxy"},
	} {
		if _, err := c.f.webConfig(); fault.As(err) == nil || fault.As(err).Field != c.field {
			t.Errorf("%+v: %v, want an error on %s", c.f, err, c.field)
		}
	}
	c, err := (&signInFlags{oidcIssuer: "https://idp.example", oidcClientID: "fixgate", oidcSecretFile: secret, publicURL: "https://f.example/"}).webConfig()
	if err != nil || c.OIDC == nil || c.OIDC.RedirectURL != "https://f.example/oidc/callback" || c.OIDC.ClientSecret != "s3cret" || !c.TLS {
		t.Fatalf("single sign-on config: %+v %v", c.OIDC, err)
	}
	if c, _ := (&signInFlags{publicURL: "http://127.0.0.1:8080"}).webConfig(); c.TLS || c.OIDC != nil {
		t.Fatalf("plain HTTP: %+v", c)
	}
}

// TestServeTLSSendsHSTS: with --tls-cert and --tls-key serve answers HTTPS,
// and pages carry Strict-Transport-Security.
func TestServeTLSSendsHSTS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	st, _ := storetest.Open(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cmd := &cobra.Command{}
	cmd.SetErr(os.Stderr)
	f := serverFlags{addr: ln.Addr().String(), dataDir: filepath.Join(dir, "data"), logFormat: "text",
		signIn: signInFlags{tlsCert: cert, tlsKey: key}}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serveOn(ctx, cmd, f, st, ln, func(addr string) { ready <- addr }) }()
	defer func() { cancel(); <-done }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := c.Get("https://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("GET /login over TLS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fixgate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}
