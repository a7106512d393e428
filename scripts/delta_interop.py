#!/usr/bin/env python3
"""Check that another Delta Lake reader (delta-rs for Python) reads every table of an xaudit store
with the same row counts xaudit reports.

    python3 scripts/delta_interop.py XAUDIT_BINARY STORE_DIR
"""
import json
import os
import subprocess
import sys

from deltalake import DeltaTable

TABLES = ["events", "accounts", "connected_apps", "trends", "snapshots", "lists", "absent_files", "superseded", "rejects", "inputs"]


def main() -> int:
    binary, store = sys.argv[1], sys.argv[2]
    failures = 0
    for table in TABLES:
        # xaudit's `events` is a view without superseded rows; the Delta table itself is `event_log`.
        name = "event_log" if table == "events" else table
        out = subprocess.run(
            [binary, "sql", "--store", store, "--format", "json", f"SELECT count(*) AS n FROM {name}"],
            check=True, capture_output=True, text=True,
        ).stdout
        ours = json.loads(out)[0]["n"]
        dt = DeltaTable(f"{store}/{table}")
        theirs = dt.to_pyarrow_table().num_rows
        ok = ours == theirs
        failures += not ok
        print(f"{table:15} xaudit {ours:6}  delta-rs {theirs:6}  version {dt.version()}  {'ok' if ok else 'MISMATCH'}")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # delta-rs's background runtime can abort during interpreter teardown; skip the teardown.
    os._exit(code)
