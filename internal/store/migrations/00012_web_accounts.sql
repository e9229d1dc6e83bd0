-- +goose Up
-- People sign in to the web interface with an account name and a password
-- (bcrypt); repeated failures lock the account for a while. A session is a
-- server-side row behind a cookie that holds only a random id (stored
-- hashed); it expires after idle time and can be ended everywhere at once.
CREATE TABLE accounts (
    person_id       bigint PRIMARY KEY REFERENCES people (id),
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    password_hash   text NOT NULL,
    disabled_at     timestamptz,
    failed_count    int NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    locked_until    timestamptz,
    password_set_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE web_sessions (
    id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    person_id  bigint NOT NULL REFERENCES people (id),
    csrf       text NOT NULL CHECK (length(csrf) >= 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX web_sessions_person_idx ON web_sessions (person_id) WHERE ended_at IS NULL;

-- One-time links an administrator issues for a person to set a new password.
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    person_id  bigint NOT NULL REFERENCES people (id),
    issued_by  bigint REFERENCES people (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- +goose Down
DROP TABLE password_resets;
DROP TABLE web_sessions;
DROP TABLE accounts;
