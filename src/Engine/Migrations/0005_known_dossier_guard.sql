-- The guard of a fire decided on the dossier as this process last wrote it (WorkflowRuntime, "known" path; see
-- docs/decisions/2026-11-23-fire-on-known-dossier.md). The fire's first statement updates the row only where its
-- version and chain head are still the ones the decision was made on, and passes the number of rows it updated
-- here: anything but one aborts the whole transaction (the rest of the batch, COMMIT included, is skipped) and the
-- runtime decides again on the locked row. SQLSTATE 40001 (serialization_failure): the standard "retry" answer.

CREATE FUNCTION dossier_expect_unchanged(updated bigint, dossier uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF updated <> 1 THEN
        RAISE EXCEPTION 'dossier % changed since it was decided on', dossier USING ERRCODE = 'serialization_failure';
    END IF;
END $$;
