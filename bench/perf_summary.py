#!/usr/bin/env python3
"""Groups a flat `perf report --no-children --sort comm,dso,sym -g none --stdio`
(on stdin) into categories, so a profile says in a few lines where CPU goes."""
import re
import sys
from collections import defaultdict

RULES = [
    ("kernel: scheduler, futex wake/wait (thread hand-offs)",
     r"\[k\] .*(finish_task_switch|schedule|futex|try_to_wake_up|_raw_spin_unlock|"
     r"switch_|enqueue|dequeue|rseq|select_task_rq|update_curr|pick_next|ttwu)"),
    ("kernel: file I/O, fsync (ext4/xfs, page cache)",
     r"\[k\] .*(ext4|xfs|jbd2|filemap|folio|fsync|blk_|iomap|page_cache|copy_folio|"
     r"generic_perform_write|iowrite|nvme|virtblk)"),
    ("kernel: TCP loopback, epoll",
     r"\[k\] .*(tcp|sock|skb|ip_|__dev_queue|net_|epoll|ep_|loopback|napi|inet)"),
    ("kernel: other", r"\[k\] "),
    ("malloc/free", r"\[\.\] .*(malloc|_int_free|cfree|realloc|unlink_chunk|__rdl_|"
                    r"__rust_alloc|__rust_dealloc|calloc|_int_realloc)"),
    ("SQLite engine", r"\[\.\] (sqlite3|btree|pcache|pager|wal|vdbe|sqlite)"),
    ("sqlx + flume (statement hand-off to the worker thread)",
     r"\[\.\] .*(sqlx|flume|futures_executor|futures_task|rendezvous)"),
    ("physconn code", r"\[\.\] .*physconn"),
    ("hyper/axum/tower (HTTP)", r"\[\.\] .*(hyper|axum|tower|httparse|http::)"),
    ("tokio runtime", r"\[\.\] .*tokio"),
    ("serde_json / formatting", r"\[\.\] .*(serde|fmt::|format|itoa|ryu|indexmap)"),
    ("hashing, HMAC, SHA", r"\[\.\] .*(sha|hmac|digest|hash|sip)"),
    ("libc: memcpy/memcmp/strings", r"\[\.\] .*(mem|str|__GI)"),
]


def main() -> None:
    totals = defaultdict(float)
    threads = defaultdict(float)
    top = []
    for line in sys.stdin:
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+(\[.\] .*)$", line)
        if not m:
            continue
        pct, comm, _dso, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
        threads[comm] += pct
        top.append((pct, comm, sym))
        for name, rx in RULES:
            if re.match(rx, sym):
                totals[name] += pct
                break
        else:
            totals["other user space"] += pct
    print("CPU of the server by category (% of its samples):")
    for name, pct in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {pct:5.1f}%  {name}")
    print("by thread:")
    for name, pct in sorted(threads.items(), key=lambda kv: -kv[1]):
        print(f"  {pct:5.1f}%  {name}")
    print("top symbols:")
    for pct, comm, sym in sorted(top, reverse=True)[:15]:
        print(f"  {pct:5.2f}%  {comm:16s} {sym[:100]}")


if __name__ == "__main__":
    main()
