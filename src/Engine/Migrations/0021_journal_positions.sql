-- The journal's chain positions in one unpartitioned key table (docs/decisions/2026-12-07-journal-partitions.md,
-- "Revision: the key table journal_position"). Migration 0020's append guard refused a second event at
-- a dossier's chain position by probing (dossier_id, dossier_seq) in the unique index of every yearly partition:
-- about fourteen index probes, and a lock on each partition and each of those indexes, on every append. Measured in
-- docs/benchmarks.md ("Fires at full size, the append guard's key table"): the guard took 210-340 us of PostgreSQL time
-- per fire, about the whole regression of PostgreSQL CPU per fire since 0020.
--
-- Now the guard inserts the position into journal_position, whose primary key is named journal_dossier_seq like the
-- constraint of the unpartitioned journal (0001): one unique-index insert, and a duplicate is refused by PostgreSQL's
-- own unique check, SQLSTATE 23505 with that constraint name, waiting for a concurrent insert of the same position
-- to end as a UNIQUE constraint does. The guard still holds the dossier's row (every append of one dossier waits for
-- the one before it to end) and still refuses an event of a dossier that has no row (SQLSTATE 23503).
--
-- journal_position is append-only like the journal (the same triggers) and the service's role may only read and
-- insert into it. What a superuser's bulk load writes with triggers off (session_replication_role = replica) has no
-- position unless the load writes it too; replay and the checkpoints read the journal itself, not this table.

LOCK TABLE journal IN SHARE ROW EXCLUSIVE MODE; -- no append between the backfill and the new guard

CREATE TABLE journal_position (
    dossier_id   uuid    NOT NULL,
    dossier_seq  integer NOT NULL,
    CONSTRAINT journal_dossier_seq PRIMARY KEY (dossier_id, dossier_seq)
);
COMMENT ON TABLE journal_position IS 'Every (dossier_id, dossier_seq) of the journal, written by the trigger journal_guard_append: the unique key a partitioned journal cannot declare; see docs/decisions/2026-12-07-journal-partitions.md';

-- Every event already journaled. A position held twice (only a tampered database has that: the guard refused it)
-- is written once, and the second event stays in the journal for replay to report, as 0020 kept orphaned events.
INSERT INTO journal_position (dossier_id, dossier_seq)
SELECT dossier_id, dossier_seq FROM journal ORDER BY dossier_id, dossier_seq
ON CONFLICT DO NOTHING;

CREATE TRIGGER journal_position_append_only BEFORE UPDATE OR DELETE ON journal_position
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER journal_position_no_truncate BEFORE TRUNCATE ON journal_position
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'subsidy_app') THEN
        REVOKE ALL ON journal_position FROM subsidy_app;
        GRANT SELECT, INSERT ON journal_position TO subsidy_app;
    END IF;
END $$;

-- The guard: refuse an event of a dossier without a row, make sure this transaction holds the row, claim the position.
-- The row is locked (FOR NO KEY UPDATE, as in 0020) unless the version this transaction sees was written by this very
-- transaction (xmin: the known path's guarded UPDATE, or the INSERT of a new dossier): any other writer of the row waits
-- for this transaction to end in that case already, and locking a version this transaction wrote costs a WAL record
-- for nothing. The locking path (SELECT ... FOR UPDATE first) finds the row locked already: its lock costs no WAL.
CREATE OR REPLACE FUNCTION journal_guard_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE written_here boolean;
BEGIN
    SELECT d.xmin = pg_current_xact_id_if_assigned()::xid INTO written_here FROM dossier d WHERE d.id = NEW.dossier_id;
    IF FOUND AND written_here IS NOT TRUE THEN
        PERFORM 1 FROM dossier WHERE id = NEW.dossier_id FOR NO KEY UPDATE;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journal event for dossier %, which does not exist', NEW.dossier_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'journal', CONSTRAINT = 'journal_dossier_exists';
    END IF;
    INSERT INTO journal_position (dossier_id, dossier_seq) VALUES (NEW.dossier_id, NEW.dossier_seq);
    RETURN NEW;
END $$;

-- The partition maintenance of 0020, with one change: events moved out of the catch-all journal_later keep the
-- positions they claimed when they were first appended, so the guard is off while they are inserted again (the
-- moved rows come from one partition with its own unique index: no two of them share a position).
CREATE OR REPLACE FUNCTION journal_ensure_partitions(through_year integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    last_year integer;
    y integer;
    created integer := 0;
    has_later boolean;
    moved bigint := 0;
    cols text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('journal_ensure_partitions'));
    SELECT max(substring(c.relname FROM '^journal_(\d{4})$')::integer) INTO last_year
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'journal'::regclass;
    IF last_year IS NULL THEN
        RAISE EXCEPTION 'journal has no yearly partition';
    END IF;
    IF through_year <= last_year THEN
        RETURN 0;
    END IF;
    IF through_year > last_year + 50 THEN
        RAISE EXCEPTION 'journal_ensure_partitions(%): more than 50 years ahead of journal_%', through_year, last_year;
    END IF;

    SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'journal'::regclass AND c.relname = 'journal_later')
        INTO has_later;
    IF has_later THEN
        ALTER TABLE journal DETACH PARTITION journal_later;
        ALTER TABLE journal_later RENAME TO journal_later_detached;
        ALTER INDEX journal_later_dossier_seq RENAME TO journal_later_detached_dossier_seq;
    END IF;

    FOR y IN last_year + 1 .. through_year LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF journal FOR VALUES FROM (%L) TO (%L)', 'journal_' || y, journal_year_start(y), journal_year_start(y + 1));
        PERFORM journal_prepare_partition(format('%I', 'journal_' || y)::regclass);
        created := created + 1;
    END LOOP;
    EXECUTE format('CREATE TABLE journal_later PARTITION OF journal FOR VALUES FROM (%L) TO (MAXVALUE)', journal_year_start(through_year + 1));
    PERFORM journal_prepare_partition('journal_later'::regclass);

    IF has_later THEN
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
        FROM pg_attribute WHERE attrelid = 'journal'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        ALTER TABLE journal DISABLE TRIGGER journal_guard_append;
        EXECUTE format('INSERT INTO journal (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM journal_later_detached ORDER BY seq', cols, cols);
        GET DIAGNOSTICS moved = ROW_COUNT;
        ALTER TABLE journal ENABLE TRIGGER journal_guard_append;
        DROP TABLE journal_later_detached;
        IF moved > 0 THEN
            RAISE NOTICE 'journal: % events moved from journal_later into the new yearly partitions', moved;
        END IF;
    END IF;
    RETURN created;
END $$;
