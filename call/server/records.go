package server

import (
	"context"
	"fmt"

	"duet/call/proto"
)

// insertRecord stores a finished call and returns its seq. Inserting the same
// cid twice keeps the first record, so a retried write cannot duplicate it.
func (s *store) insertRecord(ctx context.Context, r proto.CallRecord) (int64, error) {
	const insert = `INSERT INTO records
		(cid, caller, callee, type, status, created_at, answered_at, ended_at, duration, ended_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cid) DO NOTHING`
	args := []any{r.CID, r.Caller, r.Callee, int(r.Type), int(r.Status), r.CreatedAt, r.AnsweredAt, r.EndedAt, r.Duration, r.EndedBy}
	if err := s.insertRecordSerialized(ctx, insert, args); err != nil {
		return 0, fmt.Errorf("write call record %s: %w", r.CID, describeDBError(err))
	}
	var seq int64
	if err := s.queryRow(ctx, `SELECT seq FROM records WHERE cid = ?`, r.CID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read back call record %s: %w", r.CID, describeDBError(err))
	}
	return seq, nil
}

func (s *store) insertRecordSerialized(ctx context.Context, insert string, args []any) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.dialect.serializeRecords(ctx, tx.Tx); err != nil {
		return err
	}
	if err := tx.exec(ctx, insert, args...); err != nil {
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
