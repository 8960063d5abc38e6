-- Each account's counts over all its regions, in `circuit_counts` under the
-- region '' (no region is named so): the row a create's quota check locks and
-- updates in one statement (docs/design/decisions.md#account-counts). Every
-- statement that moves the counts of a region moves this row too, in the same
-- statement, the account's row first.
INSERT INTO circuit_counts (account_id, region_id, live, pending)
    SELECT account_id, '', SUM(live), SUM(pending)
    FROM circuit_counts WHERE region_id <> ''
    GROUP BY account_id
    ON CONFLICT (account_id, region_id) DO NOTHING;
