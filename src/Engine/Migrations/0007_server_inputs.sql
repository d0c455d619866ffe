-- Server-derived inputs (docs/decisions/2026-12-07-trust-boundary.md). Facts a decision depends on that the
-- server knows (the call, the register, other dossiers, the actor's authority) are read by the server inside the
-- fire's transaction and journaled apart from the actor's arguments, in the new canonical form sej2
-- (docs/audit.md). Events written before keep their form sej1: the form is stored with each event, so every chain
-- keeps verifying. Adding columns with constant defaults rewrites nothing (and fires no row trigger).

ALTER TABLE journal
    ADD COLUMN format text NOT NULL DEFAULT 'sej1' CHECK (format IN ('sej1', 'sej2')),
    ADD COLUMN inputs text NOT NULL DEFAULT '{}';

-- What identifies a dossier within its workflow, as its definition declares (creation.unique): one application per
-- authority per call, one call dossier per call, however the creation arrives (REST, page, CLI, job). The key is
-- '<workflow>|<value>|<value>...'. Claimed in the creation's transaction.
CREATE TABLE dossier_unique (
    key         text PRIMARY KEY,
    dossier_id  uuid NOT NULL REFERENCES dossier (id)
);

-- The dossiers created before: applications and call dossiers of the programme workflows, keyed as their successors'
-- definitions declare (call id and owner for an application, call id for a call). The oldest wins a duplicate.
INSERT INTO dossier_unique (key, dossier_id)
SELECT DISTINCT ON (key) key, id
FROM (
    SELECT workflow_id || '|' || (data -> 'call' ->> 'id') || '|' || owner AS key, id, created_at
    FROM dossier
    WHERE workflow_id LIKE '%/dossier' AND data -> 'call' ->> 'id' IS NOT NULL AND owner IS NOT NULL
    UNION ALL
    SELECT workflow_id || '|' || (data -> 'call' ->> 'id') AS key, id, created_at
    FROM dossier
    WHERE workflow_id LIKE '%/call' AND data -> 'call' ->> 'id' IS NOT NULL
) k
ORDER BY key, created_at, id;
