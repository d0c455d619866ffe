-- The journal partitioned by time (docs/decisions/2026-12-07-journal-partitions.md): one partition per calendar year
-- in Europe/Brussels of the event's occurred_at (journal_2024 = [2024-01-01, 2025-01-01) Brussels), a catch-all for
-- anything earlier (journal_before_<first year>) and one for anything beyond the years created so far
-- (journal_later). Native partitioning maintained by the function journal_ensure_partitions below, which this
-- migration, every start of the service and the daily checkpoint job call; no extension is needed.
--
-- What replaces UNIQUE (dossier_id, dossier_seq): a unique index on a partitioned table must contain the partition
-- key, so the parent can only declare PRIMARY KEY (seq, occurred_at). Each partition has its own unique index on
-- (dossier_id, dossier_seq), and the BEFORE INSERT trigger journal_guard_append closes the gap between partitions:
-- it locks the dossier's row (every append of one dossier therefore waits for the one before it to end) and refuses
-- an event whose (dossier_id, dossier_seq) is already in any partition, with SQLSTATE 23505 as the constraint did. It
-- also refuses an event of a dossier that has no row (the dossier row is always inserted first).
--
-- Numbered 0020 so that it follows the trust-boundary (0007-0009) and letters (0010-) migrations of other branches;
-- the migrator allows gaps between numbers but refuses duplicates and refuses to apply a migration numbered below
-- one already applied (Migrator.cs). The
-- conversion below copies the journal's columns, defaults, constraints, indexes, triggers and grants as they are when
-- it runs, so migrations that come before it may change the journal.

-- 1. The unpartitioned journal moves aside with its indexes (their names are needed for the new ones).
DO $$
DECLARE r record;
BEGIN
    ALTER TABLE journal RENAME TO journal_unpartitioned;
    FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'journal_unpartitioned'::regclass LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', r.relname, left(r.relname, 50) || '_unpartitioned');
    END LOOP;
END $$;

-- 2. The partitioned table: the same columns, defaults, identity, CHECK constraints and comments.
CREATE TABLE journal (LIKE journal_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING CONSTRAINTS
    INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION) PARTITION BY RANGE (occurred_at);
ALTER TABLE journal ADD CONSTRAINT journal_pkey PRIMARY KEY (seq, occurred_at);
COMMENT ON TABLE journal IS 'The append-only journal, partitioned by year of occurred_at (Europe/Brussels); see docs/decisions/2026-12-07-journal-partitions.md';

-- 3. One partition: its chain-position unique index, and its own TRUNCATE guard (statement triggers of the parent do
--    not apply when a partition is truncated by name). Row triggers of the parent (append-only, the append guard)
--    are cloned onto every partition by PostgreSQL. Partitions get no grants: the service's role reaches the rows
--    only through the parent, whose grants it has.
CREATE FUNCTION journal_prepare_partition(partition regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE name text := (SELECT relname FROM pg_class WHERE oid = partition);
BEGIN
    EXECUTE format('CREATE UNIQUE INDEX %I ON %s (dossier_id, dossier_seq)', name || '_dossier_seq', partition);
    EXECUTE format('CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change()', partition);
END $$;

CREATE FUNCTION journal_year_start(year integer) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
$$ SELECT make_timestamptz(year, 1, 1, 0, 0, 0, 'Europe/Brussels') $$;

-- 4. Makes sure that a yearly partition exists for every year up to and including through_year (the catch-all
--    journal_later then starts at the year after). Returns the number of yearly partitions created. Runs as the
--    owner of the journal (SECURITY DEFINER), so the service may call it when it runs as subsidy_app. Events already
--    in journal_later (a clock moved years ahead, as in tests) are moved, unchanged, into the new partitions: the
--    old catch-all is detached, its rows inserted through the parent with their own seq, and then dropped. Nothing
--    of the journal is updated or deleted.
CREATE FUNCTION journal_ensure_partitions(through_year integer) RETURNS integer
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
        EXECUTE format('INSERT INTO journal (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM journal_later_detached ORDER BY seq', cols, cols);
        GET DIAGNOSTICS moved = ROW_COUNT;
        DROP TABLE journal_later_detached;
        IF moved > 0 THEN
            RAISE NOTICE 'journal: % events moved from journal_later into the new yearly partitions', moved;
        END IF;
    END IF;
    RETURN created;
END $$;

-- 5. The guard that replaces UNIQUE (dossier_id, dossier_seq) across partitions (see the top of this file). The
--    runtime already holds the dossier's row lock when it appends (FOR UPDATE, or the guarded UPDATE of the known
--    path, or the INSERT of a new dossier), so the lock taken here costs no wait; any other writer is serialised on
--    it. After the lock, the check reads with a new snapshot (READ COMMITTED) and sees an append committed by the
--    writer it waited for.
CREATE FUNCTION journal_guard_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM dossier WHERE id = NEW.dossier_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journal event for dossier %, which does not exist', NEW.dossier_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'journal', CONSTRAINT = 'journal_dossier_exists';
    END IF;
    IF EXISTS (SELECT 1 FROM journal WHERE dossier_id = NEW.dossier_id AND dossier_seq = NEW.dossier_seq) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "journal_dossier_seq"'
            USING ERRCODE = 'unique_violation', TABLE = 'journal', CONSTRAINT = 'journal_dossier_seq',
                  DETAIL = format('Key (dossier_id, dossier_seq)=(%s, %s) already exists.', NEW.dossier_id, NEW.dossier_seq);
    END IF;
    RETURN NEW;
END $$;

-- 6. The partitions: yearly from 2020 (or the year of the oldest event, if earlier) through three years from now.
DO $$
DECLARE
    first_year integer := least(2020, coalesce((SELECT extract(year FROM min(occurred_at) AT TIME ZONE 'Europe/Brussels')::integer FROM journal_unpartitioned), 2020));
BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF journal FOR VALUES FROM (MINVALUE) TO (%L)', 'journal_before_' || first_year, journal_year_start(first_year));
    PERFORM journal_prepare_partition(format('%I', 'journal_before_' || first_year)::regclass);
    EXECUTE format('CREATE TABLE %I PARTITION OF journal FOR VALUES FROM (%L) TO (%L)', 'journal_' || first_year, journal_year_start(first_year), journal_year_start(first_year + 1));
    PERFORM journal_prepare_partition(format('%I', 'journal_' || first_year)::regclass);
    EXECUTE format('CREATE TABLE journal_later PARTITION OF journal FOR VALUES FROM (%L) TO (MAXVALUE)', journal_year_start(first_year + 1));
    PERFORM journal_prepare_partition('journal_later'::regclass);
    PERFORM journal_ensure_partitions(greatest(first_year + 1, extract(year FROM now() AT TIME ZONE 'Europe/Brussels')::integer + 3));
END $$;

-- 7. Indexes of the old table other than its primary key and chain-position constraint; the rows, with their own seq
--    (before any trigger exists on the new table: the old table held each event once, and orphaned rows of a
--    tampered database are kept as they are for replay to report); then the triggers, grants and the identity's
--    position.
DO $$
DECLARE
    r record;
    old_seq text := pg_get_serial_sequence('journal_unpartitioned', 'seq');
    new_seq text := pg_get_serial_sequence('journal', 'seq');
    cols text;
BEGIN
    FOR r IN SELECT pg_get_indexdef(i.indexrelid) AS def, c.relname
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'journal_unpartitioned'::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) LOOP
        EXECUTE replace(replace(r.def, ' ON public.journal_unpartitioned ', ' ON public.journal '), r.relname, replace(r.relname, '_unpartitioned', ''));
    END LOOP;

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_attribute WHERE attrelid = 'journal'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO journal (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM journal_unpartitioned ORDER BY seq', cols, cols);
    EXECUTE format('SELECT setval(%L, s.last_value, s.is_called) FROM %s s', new_seq, old_seq);

    FOR r IN SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t WHERE t.tgrelid = 'journal_unpartitioned'::regclass AND NOT t.tgisinternal LOOP
        EXECUTE replace(r.def, ' ON public.journal_unpartitioned ', ' ON public.journal ');
    END LOOP;
    CREATE TRIGGER journal_guard_append BEFORE INSERT ON journal FOR EACH ROW EXECUTE FUNCTION journal_guard_append();

    FOR r IN SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = 'journal_unpartitioned'::regclass AND a.grantee <> c.relowner LOOP
        EXECUTE format('GRANT %s ON journal TO %s', r.privilege_type, CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.grantee::regrole::text) END);
    END LOOP;
    FOR r IN SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = old_seq::regclass AND a.grantee <> c.relowner LOOP
        EXECUTE format('GRANT %s ON SEQUENCE %s TO %s', r.privilege_type, new_seq, CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.grantee::regrole::text) END);
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'subsidy_app') THEN
        GRANT EXECUTE ON FUNCTION journal_ensure_partitions(integer) TO subsidy_app;
    END IF;
END $$;

DROP TABLE journal_unpartitioned;
DO $$
BEGIN
    IF pg_get_serial_sequence('journal', 'seq') <> 'public.journal_seq_seq' THEN
        EXECUTE format('ALTER SEQUENCE %s RENAME TO journal_seq_seq', pg_get_serial_sequence('journal', 'seq'));
    END IF;
END $$;
