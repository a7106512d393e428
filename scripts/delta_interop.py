#!/usr/bin/env python3
"""Check that two other Delta Lake readers read every table of an xaudit store as xaudit does:
delta-rs for Python (pyarrow) and Polars (`read_delta`, its own Parquet reader). For each table
they must agree with xaudit on the row count and on a checksum of a few columns (the key and one
or two more), taken over the sorted rows.

    python3 scripts/delta_interop.py XAUDIT_BINARY STORE_DIR

Exit 1 on any mismatch. Polars is optional: without it, delta-rs alone is compared.
"""
import hashlib
import json
import os
import subprocess
import sys

from deltalake import DeltaTable

try:
    import polars
except ImportError:  # delta-rs alone still checks the store
    polars = None

# Per table, the columns whose values are compared: the key first. xaudit's `events` is a view
# without superseded rows; the Delta table itself is `event_log`.
TABLES = {
    "events": ["event_id", "kind", "source_record"],
    "accounts": ["row_id", "account_id", "handle"],
    "connected_apps": ["row_id", "app_id"],
    "trends": ["trend_id", "name"],
    "snapshots": ["row_id", "relation"],
    "lists": ["row_id", "list_url"],
    "absent_files": ["row_id", "file"],
    "superseded": ["row_key", "event_id"],
    "rejects": ["reject_id", "source", "record"],
    "inputs": ["row_id", "content_hash"],
    "audit_runs": ["run_id", "previous_run_id", "store_version"],
    "findings": ["row_id", "fingerprint"],
    "suppressions": ["suppression_id", "fingerprint", "action"],
}


def checksum(rows):
    """Row count and a digest of the sorted rows (None for NULL, integers as integers)."""
    normalized = sorted(tuple(None if v is None else v for v in r) for r in rows)
    h = hashlib.sha256()
    for r in normalized:
        h.update(json.dumps(r).encode())
        h.update(b"\n")
    return len(normalized), h.hexdigest()[:16]


def xaudit_rows(binary, store, table, columns):
    name = "event_log" if table == "events" else table
    out = subprocess.run(
        [binary, "sql", "--store", store, "--format", "jsonl", f"SELECT {', '.join(columns)} FROM {name}"],
        check=True, capture_output=True, text=True,
    ).stdout
    # The JSON writer leaves NULL fields out.
    return [tuple(json.loads(line).get(c) for c in columns) for line in out.splitlines() if line]


def main() -> int:
    binary, store = sys.argv[1], sys.argv[2]
    failures = 0
    readers = "delta-rs and Polars" if polars else "delta-rs (Polars not installed)"
    print(f"comparing xaudit with {readers}: rows and a checksum of the listed columns")
    for table, columns in TABLES.items():
        path = os.path.join(store, table)
        ours = checksum(xaudit_rows(binary, store, table, columns))
        dt = DeltaTable(path)
        theirs = {"delta-rs": checksum(tuple(r[c] for c in columns) for r in dt.to_pyarrow_table(columns=columns).to_pylist())}
        if polars is not None:
            theirs["polars"] = checksum(polars.read_delta(path, columns=columns).rows())
        ok = all(v == ours for v in theirs.values())
        failures += not ok
        others = "  ".join(f"{k} {n:6} {digest}" for k, (n, digest) in theirs.items())
        print(f"{table:15} v{dt.version():<3} xaudit {ours[0]:6} {ours[1]}  {others}  {'ok' if ok else 'MISMATCH'}  ({', '.join(columns)})")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # delta-rs's background runtime can abort during interpreter teardown; skip the teardown.
    os._exit(code)
