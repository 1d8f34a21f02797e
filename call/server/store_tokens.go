package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// migrateTokens moves the single SHA-256 token hash that older databases
// keep in accounts.token_hash into the tokens table, where its first
// successful use upgrades it to argon2id. SQLite only: PostgreSQL
// databases never had that column.
func migrateTokens(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO tokens(account, hash, bare, created_at)
		SELECT name, '$sha256$' || lower(hex(token_hash)), 1, created_at FROM accounts WHERE token_hash IS NOT NULL`); err != nil {
		return fmt.Errorf("migrate tokens: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET token_hash = NULL WHERE token_hash IS NOT NULL`); err != nil {
		return fmt.Errorf("migrate tokens: %w", err)
	}
	return nil
}

// tokenRow is what a sign-in needs of a stored token.
type tokenRow struct {
	id        int64
	hash      string
	revokedAt int64
}

var errNoToken = errors.New("no such token")

// token returns the token id of account.
func (s *store) token(ctx context.Context, account string, id int64) (tokenRow, error) {
	return s.tokenWhere(ctx, `account = ? AND id = ?`, account, id)
}

// bareToken returns account's token from before tokens had ids.
func (s *store) bareToken(ctx context.Context, account string) (tokenRow, error) {
	return s.tokenWhere(ctx, `account = ? AND bare = 1 ORDER BY id DESC LIMIT 1`, account)
}

func (s *store) tokenWhere(ctx context.Context, where string, args ...any) (tokenRow, error) {
	var r tokenRow
	err := s.queryRow(ctx, `SELECT id, hash, revoked_at FROM tokens WHERE `+where, args...).
		Scan(&r.id, &r.hash, &r.revokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoToken
	}
	if err != nil {
		return r, fmt.Errorf("look up token: %w", err)
	}
	return r, nil
}

// hasTokens reports whether account was ever given a token; such a name
// always needs one, even on an open server.
func (s *store) hasTokens(ctx context.Context, account string) (bool, error) {
	var exists bool
	err := s.queryRow(ctx, `SELECT EXISTS(SELECT 1 FROM tokens WHERE account = ?)`, account).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("look up tokens of %s: %w", account, err)
	}
	return exists, nil
}

// upgradeHash replaces a token's hash unless another process changed it first.
func (s *store) upgradeHash(ctx context.Context, id int64, old, hash string) error {
	err := s.exec(ctx, `UPDATE tokens SET hash = ? WHERE id = ? AND hash = ?`, hash, id, old)
	if err != nil {
		return fmt.Errorf("upgrade hash of token %d: %w", id, err)
	}
	return nil
}

// insertToken creates account if needed and gives it a token.
func (s *store) insertToken(ctx context.Context, account, label, hash string, now int64) (int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("add token for %s: %w", account, err)
	}
	defer tx.Rollback()
	if err := tx.exec(ctx,
		`INSERT INTO accounts(name, created_at) VALUES(?, ?) ON CONFLICT(name) DO NOTHING`, account, now); err != nil {
		return 0, fmt.Errorf("add token for %s: %w", account, err)
	}
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO tokens(account, label, hash, created_at) VALUES(?, ?, ?, ?) RETURNING id`,
		account, label, hash, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("add token for %s: %w", account, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add token for %s: %w", account, err)
	}
	return id, nil
}

// revokeTokens revokes account's token id, or all its live tokens when id
// is 0, and returns those it revoked. Each call takes the next revocation
// sequence number (see dialect.nextRevocation), so numbers only grow.
func (s *store) revokeTokens(ctx context.Context, account string, id int64, now int64) ([]TokenInfo, error) {
	q := `UPDATE tokens SET revoked_at = ?, revoked_seq = ` + s.dialect.nextRevocation() + `
		WHERE account = ? AND revoked_at = 0`
	args := []any{now, account}
	if id != 0 {
		q += ` AND id = ?`
		args = append(args, id)
	}
	rows, err := s.query(ctx, q+` RETURNING id, label, bare, created_at, revoked_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("revoke tokens of %s: %w", account, err)
	}
	defer rows.Close()
	var out []TokenInfo
	for rows.Next() {
		t := TokenInfo{Account: account}
		var created, revoked int64
		if err := rows.Scan(&t.ID, &t.Label, &t.Bare, &created, &revoked); err != nil {
			return nil, fmt.Errorf("revoke tokens of %s: %w", account, err)
		}
		t.Created, t.Revoked = time.UnixMilli(created), time.UnixMilli(revoked)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revoke tokens of %s: %w", account, err)
	}
	return out, nil
}

// lastRevocation is the newest revocation's sequence number (0: none yet).
func (s *store) lastRevocation(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.queryRow(ctx, `SELECT COALESCE(MAX(revoked_seq), 0) FROM tokens`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read revocations: %w", err)
	}
	return seq, nil
}

// revokedSince returns the tokens revoked after sequence number seq, and
// the newest sequence number among them (seq when there are none).
func (s *store) revokedSince(ctx context.Context, seq int64) (map[int64]string, int64, error) {
	rows, err := s.query(ctx,
		`SELECT id, account, revoked_seq FROM tokens WHERE revoked_seq > ? ORDER BY revoked_seq`, seq)
	if err != nil {
		return nil, seq, fmt.Errorf("read revocations: %w", err)
	}
	defer rows.Close()
	ids := map[int64]string{}
	for rows.Next() {
		var id, n int64
		var account string
		if err := rows.Scan(&id, &account, &n); err != nil {
			return nil, seq, fmt.Errorf("read revocations: %w", err)
		}
		ids[id], seq = account, max(seq, n)
	}
	return ids, seq, rows.Err()
}

// listAccounts returns every account with its tokens, by name then token id.
func (s *store) listAccounts(ctx context.Context) ([]AccountInfo, error) {
	rows, err := s.query(ctx, `
		SELECT a.name, a.created_at, t.id, t.label, t.bare, t.created_at, t.revoked_at
		FROM accounts a LEFT JOIN tokens t ON t.account = a.name
		ORDER BY a.name, t.id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []AccountInfo
	for rows.Next() {
		var name string
		var created int64
		var id, bare, tCreated, revoked sql.NullInt64
		var label sql.NullString
		if err := rows.Scan(&name, &created, &id, &label, &bare, &tCreated, &revoked); err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, AccountInfo{Name: name, Created: time.UnixMilli(created)})
		}
		if !id.Valid {
			continue
		}
		t := TokenInfo{ID: id.Int64, Account: name, Label: label.String, Bare: bare.Int64 == 1,
			Created: time.UnixMilli(tCreated.Int64)}
		if revoked.Int64 != 0 {
			t.Revoked = time.UnixMilli(revoked.Int64)
		}
		a := &out[len(out)-1]
		a.Tokens = append(a.Tokens, t)
	}
	return out, rows.Err()
}
