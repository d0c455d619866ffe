-- Letters from the fire's own snapshot (issue 21; docs/decisions/2026-11-22-outbox-delivery.md, addendum
-- 2026-12-07). A notice row carries the dossier as its cause left it, written in the same transaction as the notice:
-- the fire's post-event data and state (EventWrite.AddNotices), or for a reminder the dossier row as the reminder
-- sweep's statement read it. The dispatcher renders the letter and takes its recipients from this snapshot alone;
-- re-rendering from the journal (replay, LetterVerifier) stays the audit check and gives the same bytes.
--
-- Rows written before this migration keep NULL here: they cannot be backfilled in SQL (the data as of an event is
-- rebuilt by replaying the journal in the service), so the dispatcher renders them from the journal as before.
-- Adding nullable columns rewrites nothing.

ALTER TABLE notice
    ADD COLUMN data      jsonb,         -- the dossier data the letter is rendered from and addressed with
    ADD COLUMN state     text,          -- the dossier state with that data
    ADD COLUMN data_seq  integer,       -- the dossier version (dossier_seq) the data is as of: dossier_seq for a fire's
                                        -- notice, the dossier's version at the sweep for a reminder
    ADD COLUMN caused_at timestamptz;   -- occurred_at of the causing event (dossier_seq): the letter's "as of" time
