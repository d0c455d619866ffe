-- PLACEHOLDER. The migrator requires contiguous numbers (0001, 0002, 0003, ...) and another branch is writing the
-- real 0002 in parallel. This file only keeps the sequence contiguous on branch `api` so 0003 can be applied.
-- When the branches are merged, DELETE THIS FILE and keep the real 0002 (databases that applied this
-- placeholder must be recreated: its checksum will not match the real 0002).
SELECT 1;
