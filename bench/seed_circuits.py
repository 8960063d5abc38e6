#!/usr/bin/env python3
"""Clone one circuit row of a stopped physconn's SQLite store COUNT times.

Used by `physconn-bench suite` for the scale workload: 100,000 circuits through
the API would take minutes of the run. The clones copy every column of the
template (read from PRAGMA table_info, so new columns come along) except `id`
(fresh, in physconn's format) and `created_at` (one microsecond apart, older
than the template), then print a JSON list of SAMPLE of the new ids.

usage: seed_circuits.py DB TEMPLATE_ID COUNT [SAMPLE]
"""
import json
import random
import sqlite3
import string
import sys


def main() -> None:
    db, template, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sample = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(circuits)")]
    row = con.execute(
        f"SELECT {', '.join(cols)} FROM circuits WHERE id = ?", (template,)
    ).fetchone()
    if row is None:
        sys.exit(f"no circuit {template}")
    base = dict(zip(cols, row))
    prefix = template[: len("pc-") + 3]
    rest = len(template) - len(prefix)
    alphabet = string.ascii_lowercase + string.digits
    rng = random.Random(42)
    ids = []
    placeholders = ", ".join("?" for _ in cols)
    sql = f"INSERT INTO circuits ({', '.join(cols)}) VALUES ({placeholders})"

    def rows():
        for i in range(count):
            new_id = prefix + "".join(rng.choice(alphabet) for _ in range(rest))
            ids.append(new_id)
            r = dict(base, id=new_id, created_at=base["created_at"] - 1 - i)
            yield tuple(r[c] for c in cols)

    with con:
        con.executemany(sql, rows())
        # The per-(account, region) counts that physconn keeps with every
        # circuit write (migration 0004) are rebuilt from the rows.
        has_counts = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'circuit_counts'"
        ).fetchone()
        if has_counts:
            con.execute("DELETE FROM circuit_counts")
            con.execute(
                "INSERT INTO circuit_counts (account_id, region_id, live, pending) "
                "SELECT account_id, region_id, COUNT(*), COUNT(CASE WHEN status IN "
                "('Initial', 'Approved', 'Allocating', 'Allocated', 'Confirmed') THEN 1 END) "
                "FROM circuits WHERE deleted_at IS NULL GROUP BY account_id, region_id"
            )
    con.close()
    step = max(1, len(ids) // max(1, sample))
    print(json.dumps(ids[::step][:sample]))


if __name__ == "__main__":
    main()
