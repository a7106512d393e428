"""The peer's behavioural rules: DuckDB SQL over Parquet, with xaudit's default thresholds.

The six rules of `sql/` (mass_follow, follow_churn, automated_likes, bulk_reposts, unsolicited_dm,
unsolicited_reply) over either an xaudit store's Parquet files (the files of its current Delta
snapshot) or the peer ingest's `events.parquet`. Who acted (`automated`) comes from
`sql/activity.sql`: the client taxonomy of data/clients.toml and connected apps, the evidence a
data engineer would reach for; xaudit's cadence runs are not rebuilt here.

    python3 benches/peers/rules.py (--store STORE | --parquet DIR) --out FLAGGED.json

Writes {rule: [account ids]} and prints each rule's time to stderr.
"""

import argparse
import json
import os
import sys
import time
import tomllib

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = ["mass_follow", "follow_churn", "automated_likes", "bulk_reposts", "unsolicited_dm", "unsolicited_reply"]


def delta_files(table):
    from deltalake import DeltaTable

    return DeltaTable(table).file_uris()


def client_classes(con, clients_toml):
    """Each client name the data holds, classified as data/clients.toml says (case-insensitive; a
    trailing `*` matches any name starting with the rest)."""
    with open(clients_toml, "rb") as f:
        taxonomy = tomllib.load(f)
    classes = [(key, c) for key, c in taxonomy.items() if isinstance(c, dict) and "names" in c]
    names = con.sql("SELECT DISTINCT client FROM events WHERE client IS NOT NULL "
                    "UNION SELECT DISTINCT name FROM connected_apps WHERE name IS NOT NULL").fetchall()
    rows = []
    for (name,) in names:
        lower = name.lower()
        for key, c in classes:
            if any(lower == p.lower() or (p.endswith("*") and lower.startswith(p[:-1].lower())) for p in c["names"]):
                rows.append((name, key, c.get("posting"), c.get("interaction"), c.get("graph")))
                break
    con.execute("CREATE TABLE client_classes (client VARCHAR, class VARCHAR, posting VARCHAR, interaction VARCHAR, graph VARCHAR)")
    if rows:
        con.executemany("INSERT INTO client_classes VALUES (?, ?, ?, ?, ?)", rows)


def source_args(parser):
    """--store or --parquet: where the events are read from."""
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--store", help="an xaudit store: read the Parquet files of its Delta tables")
    src.add_argument("--parquet", help="a folder with the peer ingest's events.parquet")


def events_view(con, args):
    """`events` over the source. From a store, as xaudit's `events` view: snapshot differences a
    timed event explains, and rows a later ingest superseded, are not events."""
    if not args.store:
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({[os.path.join(args.parquet, 'events.parquet')]!r})")
        return
    events = delta_files(os.path.join(args.store, "events"))
    superseded = delta_files(os.path.join(args.store, "superseded"))
    anti = (f"ANTI JOIN (SELECT event_id, origin FROM read_parquet({superseded!r})) USING (event_id, origin)"
            if superseded else "")
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({events!r}) {anti} "
                "WHERE origin <> 'explained_snapshot'")


def connect(args):
    con = duckdb.connect()
    events_view(con, args)
    if args.store:
        apps = delta_files(os.path.join(args.store, "connected_apps"))
    else:
        apps = [os.path.join(args.parquet, "connected_apps.parquet")]
    if apps:
        con.execute(f"CREATE VIEW connected_apps AS SELECT account_id, name, permissions, approved_at FROM read_parquet({apps!r})")
    else:
        con.execute("CREATE VIEW connected_apps AS SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS name, "
                    "NULL::VARCHAR[] AS permissions, NULL::TIMESTAMPTZ AS approved_at WHERE false")
    client_classes(con, os.path.join(HERE, "..", "..", "data", "clients.toml"))
    with open(os.path.join(HERE, "sql", "activity.sql")) as f:
        con.execute(f.read())
    return con


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source_args(p)
    p.add_argument("--out", required=True)
    p.add_argument("--rules", default=",".join(RULES))
    args = p.parse_args()
    con = connect(args)
    flagged = {}
    for rule in args.rules.split(","):
        with open(os.path.join(HERE, "sql", f"{rule}.sql")) as f:
            sql = f.read()
        start = time.perf_counter()
        flagged[rule] = sorted(r[0] for r in con.sql(sql).fetchall())
        print(f"{rule}: {len(flagged[rule])} accounts, {time.perf_counter() - start:.3f} s", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(flagged, f, indent=1)


if __name__ == "__main__":
    main()
