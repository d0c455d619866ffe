-- PLACEHOLDER. The migrator requires contiguous numbers (0001, 0002, 0003, ...) and other branches are writing the
-- real 0002 and 0003 in parallel. This file only keeps the sequence contiguous on branch `audit` so 0004 can be
-- applied. When the branches are merged, DELETE THIS FILE and keep the real 0003 (databases that applied this
-- placeholder must be recreated: its checksum will not match the real 0003).
SELECT 1;
