package main

import (
	"net"
	"strings"
	"testing"
)

// TestClientConfigErrors: a token pasted with a line break (say, two lines
// of a listing captured into the variable) is named as the fault, not
// reported as an unreachable server; surrounding blanks are forgiven; an
// unreachable server is named with its reason. Each is one line on stderr
// and exit 2.
func TestClientConfigErrors(t *testing.T) {
	_, url, flags := gateServer(t)
	bot := flags[len(flags)-1]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, c := range []struct {
		url, token, want string
	}{
		{url, "users\n" + bot, "FIXGATE_TOKEN"},
		{url, "fgt_a b", "position 6"},
		{closed, bot, "cannot reach fixgate at " + closed + ": connect: connection refused"},
	} {
		t.Setenv("FIXGATE_TOKEN", c.token)
		code, _, stderr := runCLI(t, "--url", c.url, "release", "show", "REL-1")
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("token %q at %s: exit %d, stderr %q; want exit 2 and one line naming %q", c.token, c.url, code, stderr, c.want)
		}
	}
	t.Setenv("FIXGATE_TOKEN", "  "+bot+"\n")
	if code, _, stderr := runCLI(t, "--url", url, "release", "show", "REL-1"); code != 0 {
		t.Errorf("token with surrounding blanks: exit %d, %s", code, stderr)
	}
}
