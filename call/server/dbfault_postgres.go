package server

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// classifyPostgres names the fault behind a PostgreSQL error code
// (SQLSTATE; PostgreSQL's documentation, appendix A).
func classifyPostgres(code string) dbFault {
	switch code {
	case "55P03", "40P01", "40001": // lock_not_available, deadlock_detected, serialization_failure
		return faultBusy
	case "53100", "54000": // disk_full, program_limit_exceeded
		return faultFull
	case "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
		return faultReadOnly
	case "XX001", "XX002": // data_corrupted, index_corrupted
		return faultCorrupt
	case "58030": // io_error
		return faultIO
	case "28000", "28P01", "3D000", "3F000", "42501": // bad login or password, no such database or schema, no privilege
		return faultCantOpen
	case "57014": // query_canceled: statement_timeout
		return faultTimeout
	case "57P01", "57P02", "57P03", "53300": // shutting down, crashed, starting up, too many connections
		return faultUnreachable
	}
	if strings.HasPrefix(code, "08") { // connection exceptions
		return faultUnreachable
	}
	return faultUnknown
}

// lostPostgres reports whether err says the connection to PostgreSQL could
// not be made or was lost.
func lostPostgres(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "conn closed")
}
