package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Unavailable says err is the database being out of reach — refused or
// dropped connections, a server shutting down or starting, too many
// connections: nothing the caller did wrong, and worth trying again soon.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code.Class() == "08", pqErr.Code.Class() == "53", pqErr.Code.Class() == "57":
			return true
		}
		return false
	}
	var netErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &netErr), errors.As(err, &dnsErr):
		return true
	}
	// lib/pq reports a few connection states as plain errors.
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "bad connection") ||
		strings.Contains(msg, "the database system is") // starting up, shutting down, in recovery
}

// Rejected says PostgreSQL refused the data itself: a data exception (class
// 22: text it cannot store, a number out of its column's range, …) or an
// integrity constraint (class 23). Trying again with the same data cannot help.
func Rejected(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	c := pqErr.Code.Class()
	return c == "22" || c == "23"
}
