package notify

import (
	"errors"
	"net/netip"
	"testing"
)

func TestForbiddenAddress(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" = allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"224.0.0.251", "link-local"},
		{"ff02::1", "link-local"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:10.0.0.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"239.1.2.3", "multicast"},
		{"ff0e::1", "multicast"},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"192.169.0.1", ""},
		{"100.64.0.1", ""},
		{"2001:4860:4860::8888", ""},
		{"::ffff:8.8.8.8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := forbiddenAddress(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Fatalf("forbiddenAddress(%s) = %q; want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestCheckDialAddress(t *testing.T) {
	tests := []struct {
		address string
		refused bool
	}{
		{"127.0.0.1:80", true},
		{"[::1]:443", true},
		{"[fe80::1%eth0]:443", true},
		{"10.0.0.1:8080", true},
		{"not-an-address", true},
		{"93.184.216.34:443", false},
		{"[2606:2800:220:1::1]:443", false},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := checkDialAddress("tcp", tt.address, nil)
			if tt.refused != errors.Is(err, ErrForbiddenAddress) || (!tt.refused && err != nil) {
				t.Fatalf("checkDialAddress(%s) = %v; refused %v", tt.address, err, tt.refused)
			}
		})
	}
}
