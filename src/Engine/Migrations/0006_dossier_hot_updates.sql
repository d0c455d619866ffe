-- HOT updates for the dossier projection (docs/decisions/2026-11-23-dossier-hot-updates.md). A transition rewrites
-- the row's state, version, data, chain head and time. PostgreSQL can update a row "HOT" (heap-only: no new entry in
-- any index, the old version pruned on the page) only when no indexed column changes. Until now every transition
-- changed indexed values: the state (dossier_by_state) and the data (the expression indexes on data ->> 'owner',
-- data ->> 'parent' and data -> 'participants'), so every update added an entry to all five indexes.
--
-- The values the access filters and lists look up become stored generated columns, derived from the data by
-- PostgreSQL itself, so no writer can let them drift. They change only when the owner, parent or participants do, and
-- PostgreSQL compares the values, not the SET list. The state index gives way to an index on the workflow: lists by
-- state filter one workflow's dossiers, a few thousand per programme.

ALTER TABLE dossier
    ADD COLUMN owner        text  GENERATED ALWAYS AS (data ->> 'owner') STORED,
    ADD COLUMN parent       text  GENERATED ALWAYS AS (data ->> 'parent') STORED,
    ADD COLUMN participants jsonb GENERATED ALWAYS AS (data -> 'participants') STORED;

DROP INDEX dossier_by_state;
DROP INDEX dossier_by_owner;
DROP INDEX dossier_by_participants;
DROP INDEX dossier_by_parent;

CREATE INDEX dossier_by_workflow ON dossier (workflow_id);
CREATE INDEX dossier_by_owner ON dossier (owner);
CREATE INDEX dossier_by_parent ON dossier (parent);
CREATE INDEX dossier_by_participants ON dossier USING gin (participants);

-- Room on each page for the new version of a row, so an update can stay on its page (HOT needs that too).
ALTER TABLE dossier SET (fillfactor = 90);
