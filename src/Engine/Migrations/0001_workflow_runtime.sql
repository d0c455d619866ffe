-- Workflow runtime: definitions in use, dossiers (state projection), the append-only journal,
-- idempotency keys, deadlines and the notice outbox. Schema only: definitions and letters live in files.

CREATE TABLE workflow_definition (
    workflow_id    text        NOT NULL,
    version        integer     NOT NULL,
    content_hash   text        NOT NULL,  -- SHA-256 (hex) of the file bytes; a published version never changes
    source_path    text        NOT NULL,
    content        text        NOT NULL,  -- the exact file, so auditors can export what was used
    registered_at  timestamptz NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE dossier (
    id                uuid        PRIMARY KEY,
    workflow_id       text        NOT NULL,
    workflow_version  integer     NOT NULL,
    state             text        NOT NULL,
    version           integer     NOT NULL,  -- dossier_seq of the newest journal event: the ETag
    data              jsonb       NOT NULL,  -- projection of the journal (assignments of every event)
    head_hash         text        NOT NULL,  -- hash of the newest journal event
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    FOREIGN KEY (workflow_id, workflow_version) REFERENCES workflow_definition (workflow_id, version)
);
CREATE INDEX dossier_by_state ON dossier (workflow_id, state);
CREATE INDEX dossier_by_owner ON dossier ((data ->> 'owner'));
CREATE INDEX dossier_by_participants ON dossier USING gin ((data -> 'participants'));
CREATE INDEX dossier_by_parent ON dossier ((data ->> 'parent'));

-- The journal is the truth. Each dossier has its own hash chain (prev_hash -> hash); see docs/audit.md for the
-- byte-level canonical form. Text columns for arguments and effects keep the exact bytes that were hashed.
CREATE TABLE journal (
    seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id          uuid        NOT NULL,
    dossier_seq         integer     NOT NULL,
    occurred_at         timestamptz NOT NULL,
    actor               text        NOT NULL,
    actor_role          text        NOT NULL,
    kind                text        NOT NULL,
    trigger             text        NOT NULL,
    from_state          text        NOT NULL,
    to_state            text        NOT NULL,
    definition_id       text        NOT NULL,
    definition_version  integer     NOT NULL,
    definition_hash     text        NOT NULL,
    arguments           text        NOT NULL,
    effects             text        NOT NULL,
    prev_hash           text        NOT NULL,
    hash                text        NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT journal_dossier_seq UNIQUE (dossier_id, dossier_seq)
);

CREATE FUNCTION journal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only: % on journal refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();

CREATE TABLE idempotency_key (
    key           text        PRIMARY KEY,
    request_hash  text        NOT NULL,
    dossier_id    uuid        NOT NULL,
    result        jsonb       NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE deadline (
    id               uuid        PRIMARY KEY,
    dossier_id       uuid        NOT NULL REFERENCES dossier (id),
    kind             text        NOT NULL,
    due_at           timestamptz NOT NULL,
    rule             text        NOT NULL,   -- how the due time was computed, for officers and auditors
    timeout_trigger  text,                   -- fired by the sweep when the deadline passes
    bound_state      text,                   -- cleared automatically when the dossier leaves this state
    set_by_seq       integer     NOT NULL,
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cleared', 'fired', 'met')),
    closed_at        timestamptz,
    closed_by_seq    integer
);
CREATE UNIQUE INDEX deadline_one_open_per_kind ON deadline (dossier_id, kind) WHERE status = 'open';
CREATE INDEX deadline_due ON deadline (due_at) WHERE status = 'open';

CREATE TABLE notice (
    id                uuid        PRIMARY KEY,
    dossier_id        uuid        NOT NULL REFERENCES dossier (id),
    journal_seq       bigint      NOT NULL,   -- the event that caused it
    dossier_seq       integer     NOT NULL,
    kind              text        NOT NULL,   -- letter | notice | reminder | digest
    template_id       text        NOT NULL,
    template_version  integer     NOT NULL,
    dedupe_key        text        NOT NULL UNIQUE,  -- one notice per cause, however often a job runs
    status            text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL,
    last_error        text,
    created_at        timestamptz NOT NULL,
    sent_at           timestamptz
);
CREATE INDEX notice_pending ON notice (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX notice_by_dossier ON notice (dossier_id);
