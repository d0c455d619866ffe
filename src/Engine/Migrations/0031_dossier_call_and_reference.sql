-- The call and the reference of a dossier as stored generated columns (issue 22, docs/benchmarks.md "scale"). The
-- call export filtered on data #>> '{call,id}' and data ->> 'programme' and sorted on data ->> 'reference': three
-- expressions over the TOASTed data of every dossier, with no index, so an export of one call read and decompressed
-- the data of every dossier of the database (19-22 s at 100,000 dossiers). As migration 0006 did for the owner and the
-- parent, PostgreSQL derives the values from the data itself, so no writer can let them drift.
--
-- The values are set when a dossier is created (the call snapshot and the computed reference) and never change
-- afterwards, so the index below costs nothing on a transition: PostgreSQL compares the indexed values, and an update
-- that leaves them equal stays HOT (0006).

ALTER TABLE dossier
    ADD COLUMN programme text GENERATED ALWAYS AS (data ->> 'programme') STORED,
    ADD COLUMN call_id   text GENERATED ALWAYS AS (data #>> '{call,id}') STORED,
    ADD COLUMN reference text GENERATED ALWAYS AS (data ->> 'reference') STORED;

-- One call's dossiers in export order (reference, id): the export reads them from the index without a sort, and
-- reads the data of those dossiers only.
CREATE INDEX dossier_by_call ON dossier (call_id, reference, id);
