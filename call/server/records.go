package server

import (
	"context"
	"fmt"

	"duet/call/proto"
)

// insertRecord stores a finished call, clears its open state (opencalls.go)
// and returns its seq. Inserting the same cid twice keeps the first
// record, so a retried write cannot duplicate it.
func (s *store) insertRecord(ctx context.Context, r proto.CallRecord) (int64, error) {
	var seq int64
	if q := s.dialect.recordStatement(); q != "" {
		args := append(append([]any{recordLock}, recordArgs(r)...), r.CID, r.CID)
		if err := s.queryRow(ctx, q, args...).Scan(&seq); err != nil {
			return 0, fmt.Errorf("write call record %s: %w", r.CID, describeDBError(err))
		}
		return seq, nil
	}
	if err := s.insertRecordTx(ctx, r); err != nil {
		return 0, fmt.Errorf("write call record %s: %w", r.CID, describeDBError(err))
	}
	if err := s.queryRow(ctx, `SELECT seq FROM records WHERE cid = ?`, r.CID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read back call record %s: %w", r.CID, describeDBError(err))
	}
	return seq, nil
}

// recordArgs are a record's columns in the order the inserts name them.
func recordArgs(r proto.CallRecord) []any {
	return []any{r.CID, r.Caller, r.Callee, int(r.Type), int(r.Status), r.CreatedAt, r.AnsweredAt, r.EndedAt, r.Duration, r.EndedBy}
}

func (s *store) insertRecordTx(ctx context.Context, r proto.CallRecord) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = tx.exec(ctx, `INSERT INTO records
		(cid, caller, callee, type, status, created_at, answered_at, ended_at, duration, ended_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cid) DO NOTHING`, recordArgs(r)...)
	if err != nil {
		return err
	}
	if err := tx.exec(ctx, `DELETE FROM open_calls WHERE cid = ?`, r.CID); err != nil {
		return err
	}
	return tx.Commit()
}

// history returns one page of an account's records, newest first.
func (s *store) history(ctx context.Context, account string, before int64, limit int) (proto.HistoryResult, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.query(ctx, `SELECT seq, cid, caller, callee, type, status, created_at, answered_at, ended_at, duration, ended_by
		FROM records WHERE seq < ? AND (caller = ? OR callee = ?) ORDER BY seq DESC LIMIT ?`,
		before, account, account, limit+1)
	if err != nil {
		return proto.HistoryResult{}, fmt.Errorf("read history of %s: %w", account, err)
	}
	defer rows.Close()
	res := proto.HistoryResult{Records: []proto.CallRecord{}}
	for rows.Next() {
		var r proto.CallRecord
		var typ, status int
		if err := rows.Scan(&r.Seq, &r.CID, &r.Caller, &r.Callee, &typ, &status,
			&r.CreatedAt, &r.AnsweredAt, &r.EndedAt, &r.Duration, &r.EndedBy); err != nil {
			return proto.HistoryResult{}, fmt.Errorf("read history of %s: %w", account, err)
		}
		r.Type, r.Status = proto.CallType(typ), proto.CallStatus(status)
		res.Records = append(res.Records, r)
	}
	if err := rows.Err(); err != nil {
		return proto.HistoryResult{}, fmt.Errorf("read history of %s: %w", account, err)
	}
	if len(res.Records) > limit {
		res.Records = res.Records[:limit]
		res.Next = res.Records[limit-1].Seq
	}
	return res, nil
}
