package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dbFault is what is wrong with the database, so that logs can say what to
// do about it rather than just print SQLite's or PostgreSQL's words.
type dbFault int

const (
	faultUnknown  dbFault = iota
	faultBusy             // another connection holds the lock (SQLITE_BUSY)
	faultLocked           // a table is locked within a connection (SQLITE_LOCKED)
	faultFull             // no room: disk full or size limit (SQLITE_FULL)
	faultReadOnly         // the file or its directory is read-only (SQLITE_READONLY)
	faultCorrupt          // the file is damaged or not a database (SQLITE_CORRUPT, SQLITE_NOTADB)
	faultIO               // the disk failed a read or write (SQLITE_IOERR)
	faultCantOpen         // the file cannot be opened (SQLITE_CANTOPEN, SQLITE_PERM)
	faultTimeout          // the request's deadline passed while the database worked or waited
	// faultUnreachable: the PostgreSQL server refused or dropped the
	// connection (down, restarting, out of connections).
	faultUnreachable
)

func (f dbFault) String() string {
	switch f {
	case faultBusy:
		return "busy"
	case faultLocked:
		return "locked"
	case faultFull:
		return "full"
	case faultReadOnly:
		return "readOnly"
	case faultCorrupt:
		return "corrupt"
	case faultIO:
		return "ioError"
	case faultCantOpen:
		return "cantOpen"
	case faultTimeout:
		return "timeout"
	case faultUnreachable:
		return "unreachable"
	}
	return "unknown"
}

// advice says what is wrong and what to do, for an operator reading the
// log; where SQLite and PostgreSQL need different things done, it says both.
func (f dbFault) advice() string {
	switch f {
	case faultBusy:
		return "the database is locked by another program (a backup, a sqlite3 or psql shell or another server " +
			"holding a transaction open): end that transaction or stop that program"
	case faultLocked:
		return "a table of the database is locked inside the server (SQLITE_LOCKED): it should pass; " +
			"if it does not, restart the server"
	case faultFull:
		return "the disk holding the database is full (or the database reached its size limit): free disk space"
	case faultReadOnly:
		return "the database is read-only: for SQLite, make the file, its -wal and -shm files and its directory " +
			"writable by the server's user, and check the disk is not mounted read-only; for PostgreSQL, " +
			"point --db at the primary, not a standby"
	case faultCorrupt:
		return "the database is damaged: for SQLite, stop the server, move the file and its -wal and -shm files " +
			"aside, and restore a backup (sqlite3's .recover may save what is left); for PostgreSQL, restore a backup"
	case faultIO:
		return "the disk reported an I/O error: check the disk and the system log (dmesg)"
	case faultCantOpen:
		return "the database cannot be opened: check the --db path and its permissions, or the PostgreSQL " +
			"user, password and database name in the --db URL"
	case faultTimeout:
		return "the database did not answer in time: another program may hold a lock on it, or the disk is very slow"
	case faultUnreachable:
		return "the PostgreSQL server cannot be reached: check that it is running, that the --db URL's host " +
			"and port are right, and that it has connections to spare (max_connections)"
	}
	return "unexpected database error"
}

// forUsers says the fault in words for a client's error message, after
// "the server cannot save call records: ".
func (f dbFault) forUsers() string {
	switch f {
	case faultBusy, faultLocked, faultTimeout:
		return "its database is locked by another program"
	case faultFull:
		return "its disk is full"
	case faultReadOnly:
		return "its database is read-only"
	case faultCorrupt:
		return "its database is damaged"
	case faultIO:
		return "its disk is failing"
	case faultCantOpen:
		return "it cannot open its database"
	case faultUnreachable:
		return "it cannot reach its database"
	}
	return "its database is failing"
}

// classifyDB names the fault behind err.
func classifyDB(err error) dbFault {
	var de *dbError
	if errors.As(err, &de) {
		return de.fault
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // extended codes keep the primary code in the low byte
		case sqlite3.SQLITE_BUSY:
			return faultBusy
		case sqlite3.SQLITE_LOCKED:
			return faultLocked
		case sqlite3.SQLITE_FULL:
			return faultFull
		case sqlite3.SQLITE_READONLY:
			return faultReadOnly
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return faultCorrupt
		case sqlite3.SQLITE_IOERR:
			return faultIO
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return faultCantOpen
		case sqlite3.SQLITE_INTERRUPT:
			return faultTimeout
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classifyPostgres(pe.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return faultTimeout
	}
	if lostPostgres(err) {
		return faultUnreachable
	}
	return faultUnknown
}

// dbError is a database error with its fault named; its text carries the
// advice, so whoever logs it tells the operator what to do.
type dbError struct {
	fault dbFault
	err   error
}

func (e *dbError) Error() string { return fmt.Sprintf("%v (%s)", e.err, e.fault.advice()) }
func (e *dbError) Unwrap() error { return e.err }

// describeDBError wraps err with its fault's advice, when the fault is known.
func describeDBError(err error) error {
	if err == nil {
		return nil
	}
	var de *dbError
	if errors.As(err, &de) {
		return err
	}
	f := classifyDB(err)
	if f == faultUnknown {
		return err
	}
	return &dbError{fault: f, err: err}
}

// logDBError logs a failed database operation with its fault.
func logDBError(log *slog.Logger, msg string, err error, args ...any) {
	log.Error(msg, append(args, "fault", classifyDB(err), "err", describeDBError(err))...)
}
