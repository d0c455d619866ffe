-- Journal checkpoints (audit): once a day a digest of every dossier's chain head is recorded here, chained to the
-- previous checkpoint, and mailed to the auditors. A superuser who rewrites the journal with recomputed hashes
-- cannot make the heads match a digest the auditors already hold. See docs/audit.md.
-- NOTE: numbered 0004 because 0002 and 0003 are written on other branches; make the numbering contiguous at merge.

CREATE TABLE journal_checkpoint (
    seq              bigint      PRIMARY KEY,          -- 1, 2, 3, ... (assigned under an advisory lock)
    brussels_day     date        NOT NULL UNIQUE,      -- one checkpoint per calendar day in Europe/Brussels
    taken_at         timestamptz NOT NULL,
    dossier_count    bigint      NOT NULL,
    event_count      bigint      NOT NULL,
    max_journal_seq  bigint      NOT NULL,             -- heads = each dossier's last event with seq <= this
    head_digest      text        NOT NULL,             -- SHA-256 over sorted "<dossier_id> <dossier_seq> <hash>\n"
    prev_hash        text        NOT NULL,             -- hash of the previous checkpoint; 64 zeros for the first
    hash             text        NOT NULL              -- SHA-256 of the canonical form sejc1 (docs/audit.md)
);

CREATE FUNCTION checkpoint_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal checkpoints are append-only: % on journal_checkpoint refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER checkpoint_append_only BEFORE UPDATE OR DELETE ON journal_checkpoint
    FOR EACH ROW EXECUTE FUNCTION checkpoint_refuse_change();
CREATE TRIGGER checkpoint_no_truncate BEFORE TRUNCATE ON journal_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION checkpoint_refuse_change();

-- The application role: owns nothing; may only append to and read the journal and the checkpoints, and work
-- normally on the projections and work tables. Created when the migrating user may create roles (an embedded
-- cluster's superuser can; a managed database's owner may not, then a DBA runs the same statements).
-- Run the service as this role: docs/audit.md, "Running the service as subsidy_app".
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'subsidy_app') THEN
        BEGIN
            CREATE ROLE subsidy_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently by another database's migration
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'role subsidy_app not created (no CREATEROLE privilege); see docs/audit.md';
        END;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'subsidy_app') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO subsidy_app', current_database());
        GRANT USAGE ON SCHEMA public TO subsidy_app;
        REVOKE ALL ON journal, journal_checkpoint FROM subsidy_app;
        GRANT SELECT, INSERT ON journal, journal_checkpoint TO subsidy_app;
        GRANT SELECT, INSERT ON workflow_definition TO subsidy_app;
        GRANT SELECT ON schema_version TO subsidy_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON dossier, idempotency_key, deadline, notice TO subsidy_app;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO subsidy_app;
    END IF;
END
$$;
