"""The peer's ingest: an `xaudit gen` population's raw exports -> Parquet, in plain Python.

What a data engineer would write instead of `xaudit ingest`: parse each X archive (the
`window.YTD.* = [...]` JavaScript files in the zip), each Account Activity webhook log and each
generic action log, keep the columns the rules read, drop the posts and DMs that both an archive
and a webhook log hold (the webhook's millisecond time wins), and write `events.parquet` and
`connected_apps.parquet`. Files are parsed on every core (multiprocessing), as xaudit does.

    python3 benches/peers/ingest.py POPULATION_DIR OUT_DIR
"""

import json
import multiprocessing
import os
import re
import sys
import zipfile
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = [
    "event_id", "account_id", "kind", "ts", "actor_id", "target_user_id", "target_post_id",
    "post_id", "text", "client", "origin",
]
SOURCE_NAME = re.compile(r">([^<]*)</a>")
ARCHIVE_TIME = "%a %b %d %H:%M:%S %z %Y"


def js_array(data):
    """The JSON array after `window.YTD.<name>.part0 = `."""
    text = data.decode("utf-8")
    return json.loads(text[text.index("=") + 1 :])


def client_name(source):
    if not source:
        return None
    m = SOURCE_NAME.search(source)
    return m.group(1) if m else source


def ms(value):
    return int(value) * 1000


def archive_us(created_at):
    return int(datetime.strptime(created_at, ARCHIVE_TIME).timestamp()) * 1_000_000


def iso_us(value):
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1_000_000)


def tweet_kind(tweet):
    if tweet.get("retweeted_status") or tweet.get("full_text", tweet.get("text", "")).startswith("RT @"):
        return "repost"
    if tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_user_id_str"):
        return "reply"
    if tweet.get("is_quote_status") and tweet.get("quoted_status_id_str"):
        return "quote"
    return "post"


def own_tweet(account, tweet, ts, origin):
    return {
        "event_id": tweet["id_str"], "account_id": account, "kind": tweet_kind(tweet), "ts": ts,
        "actor_id": account, "target_user_id": tweet.get("in_reply_to_user_id_str"),
        "target_post_id": tweet.get("in_reply_to_status_id_str"), "post_id": tweet["id_str"],
        "text": tweet.get("full_text", tweet.get("text")), "client": client_name(tweet.get("source")),
        "origin": origin,
    }


def parse_archive(path):
    events, apps = [], []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        account = js_array(z.read("data/account.js"))[0]["account"]["accountId"]
        for item in js_array(z.read("data/tweets.js")) if "data/tweets.js" in names else []:
            t = item["tweet"]
            events.append(own_tweet(account, t, archive_us(t["created_at"]), "archive"))
        for item in js_array(z.read("data/direct-messages.js")) if "data/direct-messages.js" in names else []:
            for m in item["dmConversation"]["messages"]:
                m = m.get("messageCreate")
                if not m:
                    continue
                sent = m["senderId"] == account
                events.append({
                    "event_id": m["id"], "account_id": account, "kind": "dm_sent" if sent else "dm_received",
                    "ts": iso_us(m["createdAt"]), "actor_id": m["senderId"], "target_user_id": m["recipientId"],
                    "target_post_id": None, "post_id": None, "text": m.get("text"), "client": None,
                    "origin": "archive",
                })
        for item in js_array(z.read("data/connected-application.js")) if "data/connected-application.js" in names else []:
            a = item["connectedApplication"]
            apps.append({
                "account_id": account, "app_id": a["id"], "name": a.get("name"),
                "permissions": a.get("permissions", []),
                "approved_at": iso_us(a["approvedAt"]) if a.get("approvedAt") else None,
            })
    return events, apps


def parse_webhooks(path):
    events = []
    with open(path, "rb") as f:
        for line in f:
            d = json.loads(line)
            me = d["for_user_id"]
            for t in d.get("tweet_create_events", ()):
                ts = ms(t["timestamp_ms"])
                if t["user"]["id_str"] == me:
                    events.append(own_tweet(me, t, ts, "webhook"))
                else:
                    kind = "reply_received" if t.get("in_reply_to_user_id_str") == me else "mention_received"
                    events.append({
                        "event_id": t["id_str"], "account_id": me, "kind": kind, "ts": ts,
                        "actor_id": t["user"]["id_str"], "target_user_id": me,
                        "target_post_id": t.get("in_reply_to_status_id_str"), "post_id": t["id_str"],
                        "text": t.get("full_text", t.get("text")), "client": client_name(t.get("source")),
                        "origin": "webhook",
                    })
            for fav in d.get("favorite_events", ()):
                mine = fav["user"]["id_str"] == me
                events.append({
                    "event_id": fav["id"], "account_id": me, "kind": "like" if mine else "liked_by",
                    "ts": ms(fav["timestamp_ms"]), "actor_id": fav["user"]["id_str"],
                    "target_user_id": fav["favorited_status"]["user"]["id_str"],
                    "target_post_id": fav["favorited_status"]["id_str"], "post_id": None, "text": None,
                    "client": None, "origin": "webhook",
                })
            for fol in d.get("follow_events", ()):
                mine = fol["source"]["id_str"] == me
                kind = fol["type"] if mine else ("followed_by" if fol["type"] == "follow" else "unfollowed_by")
                ts = ms(fol["created_timestamp"])
                events.append({
                    "event_id": f"{me}:{kind}:{fol['source']['id_str']}:{fol['target']['id_str']}:{ts}",
                    "account_id": me, "kind": kind, "ts": ts, "actor_id": fol["source"]["id_str"],
                    "target_user_id": fol["target"]["id_str"], "target_post_id": None, "post_id": None,
                    "text": None, "client": None, "origin": "webhook",
                })
            app_names = {k: v.get("name") for k, v in d.get("apps", {}).items()}
            for m in d.get("direct_message_events", ()):
                if m.get("type") != "message_create":
                    continue
                c = m["message_create"]
                sent = c["sender_id"] == me
                events.append({
                    "event_id": m["id"], "account_id": me, "kind": "dm_sent" if sent else "dm_received",
                    "ts": ms(m["created_timestamp"]), "actor_id": c["sender_id"],
                    "target_user_id": c["target"]["recipient_id"], "target_post_id": None, "post_id": None,
                    "text": c["message_data"].get("text"), "client": app_names.get(c.get("source_app_id")),
                    "origin": "webhook",
                })
    return events, []


def parse_log(path):
    events = []
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            d = json.loads(line)
            events.append({
                "event_id": f"{path}:{n}", "account_id": d["account_id"], "kind": d["kind"],
                "ts": iso_us(d["ts"]), "actor_id": d["account_id"], "target_user_id": d.get("target_user_id"),
                "target_post_id": d.get("target_post_id"), "post_id": d.get("post_id"), "text": d.get("text"),
                "client": d.get("client"), "origin": "generic",
            })
    return events, []


def parse(path):
    if path.endswith(".zip"):
        return parse_archive(path)
    if os.sep + "webhooks" + os.sep in path:
        return parse_webhooks(path)
    return parse_log(path)


def main(population, out):
    files = []
    for folder in ("archives", "webhooks", "logs"):
        d = os.path.join(population, folder)
        files += [os.path.join(d, n) for n in sorted(os.listdir(d))] if os.path.isdir(d) else []
    events, apps = {}, []
    with multiprocessing.Pool() as pool:
        # Webhooks after archives: a post or DM in both keeps the webhook's millisecond time.
        for file_events, file_apps in pool.imap(parse, files, chunksize=4):
            for e in file_events:
                events[(e["account_id"], e["kind"], e["event_id"])] = e
            apps += file_apps
    os.makedirs(out, exist_ok=True)
    rows = list(events.values())
    schema = pa.schema([(c, pa.timestamp("us", tz="UTC") if c == "ts" else pa.string()) for c in COLUMNS])
    table = pa.Table.from_pydict({c: [r[c] for r in rows] for c in COLUMNS}, schema=schema)
    pq.write_table(table, os.path.join(out, "events.parquet"), compression="zstd")
    app_schema = pa.schema([
        ("account_id", pa.string()), ("app_id", pa.string()), ("name", pa.string()),
        ("permissions", pa.list_(pa.string())), ("approved_at", pa.timestamp("us", tz="UTC")),
    ])
    pq.write_table(pa.Table.from_pylist(apps, schema=app_schema), os.path.join(out, "connected_apps.parquet"))
    print(f"{len(rows)} events from {len(files)} files", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
