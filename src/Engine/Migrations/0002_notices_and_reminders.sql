-- Notices and reminders: the outbox gets leases and delivery facts, rendered letters are stored once and never
-- change, reminders exist once per deadline and stage, deadlines can be extended, and authorities can subscribe
-- to their deadlines with a secret calendar token. Schema only. See docs/decisions/2026-11-22-outbox-delivery.md.

-- The runtime stores the definition's "remind" flag of each deadline (reminders are swept only for these).
ALTER TABLE deadline ADD COLUMN remind boolean NOT NULL DEFAULT false;
CREATE INDEX deadline_remind_due ON deadline (due_at, id) WHERE status = 'open' AND remind;  -- the reminder sweep's keyset

-- The outbox. A notice being sent is 'sending' with next_attempt_at holding the end of its lease: when the lease
-- runs out (the sender crashed) the notice is due again. 'cancelled': a reminder whose deadline closed before
-- it was sent.
ALTER TABLE notice DROP CONSTRAINT notice_status_check;
ALTER TABLE notice ADD CONSTRAINT notice_status_check CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled'));
ALTER TABLE notice
    ADD COLUMN last_attempt_at  timestamptz,          -- when the latest attempt was claimed (recorded before SMTP)
    ADD COLUMN message_id       text,                 -- Message-ID of the delivered message
    ADD COLUMN transport        text,                 -- smtp | eml
    ADD COLUMN server_reply     text,                 -- the SMTP server's reply to DATA, or the file written
    ADD COLUMN failed_at        timestamptz,
    ADD COLUMN outcome_journal_seq bigint;            -- the notice.sent or notice.failed record event
CREATE INDEX notice_failed ON notice (failed_at DESC) WHERE status = 'failed';

-- A rendered letter: subject, bodies, PDF, recipients, stored the first time the notice is composed and reused
-- by every later attempt, so a resend carries the same bytes and html_sha256 (recorded in notice.sent) proves it.
CREATE TABLE letter (
    notice_id         uuid        PRIMARY KEY REFERENCES notice (id),
    template_id       text        NOT NULL,
    template_version  integer     NOT NULL,
    to_recipients     jsonb       NOT NULL,   -- [{"name": ..., "address": ...}]
    cc_recipients     jsonb       NOT NULL,
    subject           text        NOT NULL,
    html              text        NOT NULL,
    text_body         text        NOT NULL,
    html_sha256       text        NOT NULL,   -- SHA-256 (hex) of the UTF-8 bytes of html
    pdf               bytea,
    pdf_file_name     text,
    rendered_at       timestamptz NOT NULL
);

CREATE FUNCTION letter_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a rendered letter is immutable: UPDATE on letter refused'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER letter_immutable BEFORE UPDATE ON letter
    FOR EACH ROW EXECUTE FUNCTION letter_refuse_update();

-- One reminder per deadline and stage (before-30, before-7, due, overdue-1, ...), however many sweepers run.
-- The reminder's notice has the same id.
CREATE TABLE reminder (
    id           uuid        PRIMARY KEY REFERENCES notice (id),
    deadline_id  uuid        NOT NULL REFERENCES deadline (id),
    dossier_id   uuid        NOT NULL,   -- the deadline's dossier (no second foreign key: the sweep inserts in bulk)
    offset_code  text        NOT NULL,
    due_at       timestamptz NOT NULL,   -- the effective due time the stage was computed from
    created_at   timestamptz NOT NULL,
    CONSTRAINT reminder_once UNIQUE (deadline_id, offset_code)
);

-- Extensions granted to the authority of a dossier. deadline.due_at always holds the effective due time (the
-- newest extension), so the timeout sweep and the reminders follow it; this table keeps the history.
CREATE TABLE deadline_extension (
    id            uuid        PRIMARY KEY,
    deadline_id   uuid        NOT NULL REFERENCES deadline (id),
    dossier_id    uuid        NOT NULL REFERENCES dossier (id),
    authority_id  text        NOT NULL,   -- the party the extension was granted to (dossier owner)
    previous_due  timestamptz NOT NULL,
    new_due       timestamptz NOT NULL CHECK (new_due > previous_due),
    reason        text        NOT NULL CHECK (length(btrim(reason)) > 0),
    granted_by    text        NOT NULL,
    granted_at    timestamptz NOT NULL,
    journal_seq   bigint      NOT NULL    -- the deadline.extended record event
);
CREATE INDEX deadline_extension_by_deadline ON deadline_extension (deadline_id, granted_at DESC);

-- Secret calendar feed tokens; only the SHA-256 of the secret is stored.
CREATE TABLE calendar_token (
    id            uuid        PRIMARY KEY,
    authority_id  text        NOT NULL,
    token_sha256  text        NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX calendar_token_by_authority ON calendar_token (authority_id);
