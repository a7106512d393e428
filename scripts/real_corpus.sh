#!/usr/bin/env bash
# Audit a folder of real exports, one per entry (an archive folder or .zip, or a folder of logs),
# and print one summary table: per export and account, the activity, the clients by class, the
# verdict and every rule that fired with its instances per severity. docs/real-corpus.md is
# written from this table.
#
#   scripts/real_corpus.sh DIR [XAUDIT]
#
# DIR holds the exports (for example public archives fetched for testing; never commit them:
# they hold people's messages). XAUDIT is the binary (default: target/release/xaudit, else
# `xaudit` on PATH). Each export's full JSON report is kept in DIR/.reports/ for a closer look.
set -euo pipefail

dir=${1:?usage: scripts/real_corpus.sh DIR [XAUDIT]}
bin=${2:-}
if [[ -z $bin ]]; then
    here=$(cd "$(dirname "$0")/.." && pwd)
    if [[ -x $here/target/release/xaudit ]]; then bin=$here/target/release/xaudit; else bin=xaudit; fi
fi
reports=$dir/.reports
mkdir -p "$reports"

shopt -s nullglob
for export in "$dir"/*; do
    name=$(basename "$export")
    [[ $name == .reports ]] && continue
    code=0
    "$bin" audit "$export" --format json >"$reports/$name.json" 2>"$reports/$name.stderr" || code=$?
    if [[ $code -ge 2 ]]; then
        echo "$name: the audit failed (exit $code):" >&2
        tail -n 3 "$reports/$name.stderr" >&2
        rm -f "$reports/$name.json"
    fi
done

python3 - "$reports" <<'PY'
import collections, json, pathlib, sys

reports = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
print("| export | account | period | posts / replies / DMs sent | clients (class: posts) | verdict | rules fired (instances by severity) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for path in reports:
    report = json.loads(path.read_text())
    for a in report["accounts"]:
        c = a["counts"]
        own = f'{c.get("post", 0) + c.get("quote", 0)} / {c.get("reply", 0)} / {c.get("dm_sent", 0)}'
        by_class = collections.Counter()
        for client in a["automation"]["clients"]:
            by_class[client["class"]] += client["posts"]
        clients = ", ".join(f"{k}: {v}" for k, v in by_class.most_common())
        fired = collections.defaultdict(collections.Counter)
        for f in a["findings"]:
            fired[f["rule"]][f["severity"]] += 1
        rules = "; ".join(
            f"`{rule}` " + " ".join(f"{n} {sev}" for sev, n in sorted(sevs.items()))
            for rule, sevs in sorted(fired.items())
        ) or "none"
        period = f'{a["period"]["from"][:10]} … {a["period"]["to"][:10]}'
        handle = a.get("handle") or a["account_id"]
        print(f"| {path.stem} | @{handle} | {period} | {own} | {clients} | {a['verdict']} | {rules} |")
PY
