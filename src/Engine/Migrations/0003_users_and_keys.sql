-- Users and API keys (sign-in and access control). Independent of every other migration's content.
-- A municipality user is bound to one authority (its NIS code, e.g. '71016' for Genk); other roles have none.

CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    display_name  text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    email         text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    role          text        NOT NULL CHECK (role IN ('officer', 'municipality', 'auditor', 'admin')),
    authority_id  text        CHECK (authority_id IS NULL OR length(authority_id) BETWEEN 1 AND 64),
    created_at    timestamptz NOT NULL,
    -- municipality users carry exactly one authority; the other roles carry none
    CONSTRAINT users_authority CHECK ((role = 'municipality') = (authority_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- The secret itself is never stored: only its SHA-256 (hex). The secret is shown once, when the key is made.
CREATE TABLE api_key (
    id            uuid        PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id),
    secret_hash   text        NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
    label         text        NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_key_by_user ON api_key (user_id);
