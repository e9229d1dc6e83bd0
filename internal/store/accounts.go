package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// Account is a person's sign-in to the web interface. The password hash never
// leaves this package's callers' process: it has no JSON form.
type Account struct {
	PersonID      int64      `db:"person_id"`
	Username      string     `db:"username"`
	PasswordHash  string     `db:"password_hash"`
	DisabledAt    *time.Time `db:"disabled_at"`
	FailedCount   int        `db:"failed_count"`
	LockedUntil   *time.Time `db:"locked_until"`
	PasswordSetAt time.Time  `db:"password_set_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

// Sign-in throttling: after MaxFailedSignIns failures in a row an account is
// locked for SignInLock; a success clears the count.
const (
	MaxFailedSignIns = 5
	SignInLock       = 15 * time.Minute
	// SessionIdle ends a session nobody used for this long.
	SessionIdle = 8 * time.Hour
	// ResetValid is how long a one-time password reset link works.
	ResetValid = 24 * time.Hour
)

const accountColumns = `person_id, username, password_hash, disabled_at, failed_count, locked_until, password_set_at, created_at`

// UpsertAccount creates a person's account or sets its name and password hash.
func UpsertAccount(ctx context.Context, db sqlx.ExtContext, personID int64, username, passwordHash string) error {
	_, err := db.ExecContext(ctx, `
INSERT INTO accounts (person_id, username, password_hash) VALUES ($1, $2, $3)
ON CONFLICT (person_id) DO UPDATE SET username = EXCLUDED.username, password_hash = EXCLUDED.password_hash,
    password_set_at = now(), failed_count = 0, locked_until = NULL`, personID, username, passwordHash)
	if err != nil {
		return fmt.Errorf("account of person %d: %w", personID, mapError(err))
	}
	return nil
}

// AccountByUsername finds an account by its name.
func AccountByUsername(ctx context.Context, db sqlx.ExtContext, username string) (Account, error) {
	var a Account
	if err := sqlx.GetContext(ctx, db, &a, `SELECT `+accountColumns+` FROM accounts WHERE username = $1`, username); err != nil {
		return a, fmt.Errorf("account %q: %w", username, mapError(err))
	}
	return a, nil
}

// AccountOf finds a person's account.
func AccountOf(ctx context.Context, db sqlx.ExtContext, personID int64) (Account, error) {
	var a Account
	if err := sqlx.GetContext(ctx, db, &a, `SELECT `+accountColumns+` FROM accounts WHERE person_id = $1`, personID); err != nil {
		return a, fmt.Errorf("account of person %d: %w", personID, mapError(err))
	}
	return a, nil
}

// SignInFailed counts a failed sign-in and locks the account at the limit.
func SignInFailed(ctx context.Context, db sqlx.ExtContext, personID int64, now time.Time) error {
	_, err := db.ExecContext(ctx, `
UPDATE accounts SET failed_count = failed_count + 1,
    locked_until = CASE WHEN failed_count + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
WHERE person_id = $1`, personID, MaxFailedSignIns, now.Add(SignInLock))
	return err
}

// SignInSucceeded clears the failure count.
func SignInSucceeded(ctx context.Context, db sqlx.ExtContext, personID int64) error {
	_, err := db.ExecContext(ctx, `UPDATE accounts SET failed_count = 0, locked_until = NULL WHERE person_id = $1`, personID)
	return err
}

// SetPassword replaces a person's password hash and ends every session of theirs.
func SetPassword(ctx context.Context, tx *sqlx.Tx, personID int64, passwordHash string) error {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $2, password_set_at = now(), failed_count = 0, locked_until = NULL
WHERE person_id = $1`, personID, passwordHash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account of person %d: %w", personID, domain.ErrNotFound)
	}
	return EndSessions(ctx, tx, personID)
}

// DisableAccount disables (or enables) a person's account; disabling ends their sessions.
func DisableAccount(ctx context.Context, tx *sqlx.Tx, personID int64, disabled bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE person_id = $1`, personID, disabled)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account of person %d: %w", personID, domain.ErrNotFound)
	}
	if disabled {
		return EndSessions(ctx, tx, personID)
	}
	return nil
}

// WebSession is a signed-in browser.
type WebSession struct {
	PersonID  int64     `db:"person_id"`
	CSRF      string    `db:"csrf"`
	CreatedAt time.Time `db:"created_at"`
	SeenAt    time.Time `db:"seen_at"`
}

// NewSecret is a random URL-safe secret of 32 bytes.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// StartSession opens a session for a person: it answers the session id for the
// cookie (stored only hashed) and the session's CSRF token.
func StartSession(ctx context.Context, db sqlx.ExtContext, personID int64, userAgent string) (id, csrf string, err error) {
	if id, err = NewSecret(); err != nil {
		return "", "", err
	}
	if csrf, err = NewSecret(); err != nil {
		return "", "", err
	}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	if domain.TextProblem(userAgent) != "" {
		userAgent = "" // only a note for the person's list of sessions
	}
	_, err = db.ExecContext(ctx, `INSERT INTO web_sessions (id_hash, person_id, csrf, user_agent) VALUES ($1, $2, $3, $4)`,
		HashToken(id), personID, csrf, userAgent)
	if err != nil {
		return "", "", fmt.Errorf("start session: %w", mapError(err))
	}
	return id, csrf, nil
}

// ErrSessionEnded says the session is unknown, ended, idle too long, or its account disabled.
var ErrSessionEnded = errors.New("session ended")

// Session finds a live session and marks it seen; an idle one is ended.
func Session(ctx context.Context, db sqlx.ExtContext, id string, now time.Time) (WebSession, error) {
	var s WebSession
	err := sqlx.GetContext(ctx, db, &s, `
UPDATE web_sessions w SET seen_at = $2
WHERE w.id_hash = $1 AND w.ended_at IS NULL AND w.seen_at > $2::timestamptz - $3 * interval '1 second'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = w.person_id AND a.disabled_at IS NOT NULL)
RETURNING w.person_id, w.csrf, w.created_at, w.seen_at`, HashToken(id), now, int(SessionIdle/time.Second))
	if err != nil {
		if errors.Is(mapError(err), domain.ErrNotFound) {
			return s, ErrSessionEnded
		}
		return s, fmt.Errorf("session: %w", mapError(err))
	}
	return s, nil
}

// EndSession ends one session (sign-out).
func EndSession(ctx context.Context, db sqlx.ExtContext, id string) error {
	_, err := db.ExecContext(ctx, `UPDATE web_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL`, HashToken(id))
	return err
}

// EndSessions ends every session of a person (sign-out everywhere).
func EndSessions(ctx context.Context, db sqlx.ExtContext, personID int64) error {
	_, err := db.ExecContext(ctx, `UPDATE web_sessions SET ended_at = now() WHERE person_id = $1 AND ended_at IS NULL`, personID)
	return err
}

// IssueReset makes a one-time password reset token for a person; only its hash is stored.
func IssueReset(ctx context.Context, db sqlx.ExtContext, personID, issuedBy int64, now time.Time) (string, error) {
	token, err := NewSecret()
	if err != nil {
		return "", err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO password_resets (token_hash, person_id, issued_by, expires_at) VALUES ($1, $2, $3, $4)`,
		HashToken(token), personID, issuedBy, now.Add(ResetValid))
	if err != nil {
		return "", fmt.Errorf("reset for person %d: %w", personID, mapError(err))
	}
	return token, nil
}

// UseReset spends a reset token once, answering whose it was.
func UseReset(ctx context.Context, tx *sqlx.Tx, token string, now time.Time) (int64, error) {
	var personID int64
	err := sqlx.GetContext(ctx, tx, &personID, `UPDATE password_resets SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING person_id`, HashToken(token), now)
	if err != nil {
		return 0, fmt.Errorf("reset: %w", mapError(err))
	}
	return personID, nil
}

// ResetValidFor says whether a reset token could still be spent, without spending it.
func ResetValidFor(ctx context.Context, db sqlx.ExtContext, token string, now time.Time) (int64, error) {
	var personID int64
	err := sqlx.GetContext(ctx, db, &personID, `SELECT person_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`, HashToken(token), now)
	if err != nil {
		return 0, fmt.Errorf("reset: %w", mapError(err))
	}
	return personID, nil
}
