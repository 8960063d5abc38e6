-- Listing, counting and quota checks touch only live (not deleted) circuits,
-- so their indexes hold only those rows (partial indexes). Two counts per
-- (account, region) are kept in their own table, updated in the same
-- transaction as the circuit write that changes them: `live` (TotalCount of
-- an unfiltered DescribePhysicalConnections) and `pending` (live circuits not
-- yet Enabled: the quota of CreatePhysicalConnection). A 50-item page and a
-- quota check then cost the same with 10 or 100,000 circuits (BENCHMARKS.md).
-- The pending statuses are `Status::is_pending` in physconn-domain.

-- A page: newest first. With the id (and deleted_at, always NULL here, so
-- the planner needs no row to check it) the index answers the page's ids
-- and its OFFSET on its own.
CREATE INDEX IF NOT EXISTS circuits_live
    ON circuits (account_id, region_id, created_at DESC, id, deleted_at)
    WHERE deleted_at IS NULL;
-- The FinancialLocked check of CreatePhysicalConnection: only locked
-- circuits have an entry, so writing any other circuit never touches it.
CREATE INDEX IF NOT EXISTS circuits_locked ON circuits (account_id)
    WHERE deleted_at IS NULL AND business_status = 'FinancialLocked';
-- Superseded (every query they served filters on deleted_at IS NULL and
-- starts with the account): each index costs every circuit write, in pages
-- written to the WAL at every commit.
DROP INDEX IF EXISTS circuits_listing;
DROP INDEX IF EXISTS circuits_account_status;

CREATE TABLE IF NOT EXISTS circuit_counts (
    account_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    live BIGINT NOT NULL,
    pending BIGINT NOT NULL,
    PRIMARY KEY (account_id, region_id)
);
INSERT INTO circuit_counts (account_id, region_id, live, pending)
    SELECT account_id, region_id, COUNT(*),
        COUNT(CASE WHEN status IN ('Initial', 'Approved', 'Allocating', 'Allocated', 'Confirmed')
            THEN 1 END)
    FROM circuits WHERE deleted_at IS NULL
    GROUP BY account_id, region_id
    ON CONFLICT (account_id, region_id) DO NOTHING;
