-- Letters from the fire's own snapshot (issue 21; docs/decisions/2026-11-22-outbox-delivery.md, addendum
-- 2026-12-07). A notice row carries the dossier as its cause left it, written in the same transaction as the notice:
-- the fire's post-event data and state (EventWrite.AddNotices), or for a reminder the dossier row as the reminder
-- sweep's statement read it. The dispatcher renders the letter and takes its recipients from this snapshot alone;
-- re-rendering from the journal (replay, LetterVerifier) stays the audit check and gives the same bytes.
--
-- Rows written before this migration keep NULL here: they cannot be backfilled in SQL (the data as of an event is
-- rebuilt by replaying the journal in the service), so the dispatcher renders them from the journal as before.
-- Adding nullable columns rewrites nothing. IF NOT EXISTS: a test that builds an older schema (before the journal
-- partitions) for the code of this build adds these columns ahead of the migration.

ALTER TABLE notice
    ADD COLUMN IF NOT EXISTS data      jsonb,         -- the dossier data the letter is rendered from and addressed with
    ADD COLUMN IF NOT EXISTS state     text,          -- the dossier state with that data
    ADD COLUMN IF NOT EXISTS data_seq  integer,       -- the dossier version (dossier_seq) the data is as of: dossier_seq
                                                      -- for a fire's notice, the dossier's version at the sweep for a reminder
    ADD COLUMN IF NOT EXISTS caused_at timestamptz;   -- occurred_at of the causing event (dossier_seq): the letter's "as of" time
