//! Writes generated activity in the real formats: an archive zip per account (current generation,
//! with manifest), an Account Activity webhook log per account, a generic log for list additions,
//! and one trends JSONL log.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::GenOptions;
use super::activity::{Activity, BOT_CLIENT, Dm, PostKind, TimedKind};
use crate::error::{Error, Result};
use crate::model::time::format_ts;

fn tweet_time(ts: i64) -> String {
    Utc.timestamp_micros(ts)
        .single()
        .map(|t| t.format("%a %b %d %H:%M:%S +0000 %Y").to_string())
        .unwrap_or_default()
}

fn iso_ms(ts: i64) -> String {
    Utc.timestamp_micros(ts)
        .single()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn source_anchor(client: &str) -> String {
    let href = match client {
        "Twitter Web App" => "https://mobile.twitter.com",
        "Twitter for iPhone" => "http://twitter.com/download/iphone",
        "Twitter for Android" => "http://twitter.com/download/android",
        _ => "https://example.invalid/app",
    };
    format!("<a href=\"{href}\" rel=\"nofollow\">{client}</a>")
}

/// X escapes `&`, `<` and `>` in archived text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn tweet_json(a: &Activity, p: &super::activity::Post, archive: bool) -> Value {
    let mut t = json!({
        "id_str": p.id, "id": p.id,
        "created_at": tweet_time(p.ts),
        "full_text": if archive { escape(&p.text) } else { p.text.clone() },
        "source": source_anchor(&p.client),
        "lang": "en", "retweeted": false, "favorited": false, "truncated": false,
        "favorite_count": "0", "retweet_count": "0",
        "display_text_range": ["0", p.text.chars().count().to_string()],
        "entities": {
            "hashtags": p.hashtags.iter().map(|h| json!({"text": h, "indices": ["0", "0"]})).collect::<Vec<_>>(),
            "symbols": [],
            "user_mentions": p.mentions.iter().map(|(id, h)| json!({"id_str": id, "id": id, "screen_name": h, "name": h, "indices": ["0", "0"]})).collect::<Vec<_>>(),
            "urls": p.urls.iter().map(|(u, e, d)| json!({"url": u, "expanded_url": e, "display_url": d, "indices": ["0", "0"]})).collect::<Vec<_>>(),
        },
        "edit_info": {"initial": {"editTweetIds": [p.id], "editableUntil": iso_ms(p.ts + 3_600_000_000), "editsRemaining": "5", "isEditEligible": false}},
    });
    if let PostKind::Reply {
        to_post,
        to_user,
        to_handle,
    } = &p.kind
    {
        t["in_reply_to_status_id_str"] = json!(to_post);
        t["in_reply_to_status_id"] = json!(to_post);
        t["in_reply_to_user_id_str"] = json!(to_user);
        t["in_reply_to_user_id"] = json!(to_user);
        t["in_reply_to_screen_name"] = json!(to_handle);
    }
    if !archive {
        t["user"] = json!({"id_str": a.account_id, "id": a.account_id.parse::<u64>().unwrap_or(0), "screen_name": a.handle});
        t["timestamp_ms"] = json!((p.ts / 1000).to_string());
        if let PostKind::Repost {
            orig_post,
            orig_user,
            orig_handle,
        } = &p.kind
        {
            t["retweeted_status"] = json!({"id_str": orig_post, "user": {"id_str": orig_user, "screen_name": orig_handle}, "created_at": tweet_time(p.ts - 7_200_000_000)});
        }
        // The webhook copy carries no archive-only fields.
        if let Some(o) = t.as_object_mut() {
            o.remove("edit_info");
            o.remove("display_text_range");
        }
    }
    t
}

fn js_file(name: &str, records: &[Value]) -> String {
    let global = name.trim_end_matches(".js").replace('-', "_");
    if records.is_empty() {
        return format!("window.YTD.{global}.part0 = [ ]");
    }
    let body = serde_json::to_string_pretty(records).expect("JSON values serialize");
    format!("window.YTD.{global}.part0 = {body}")
}

fn dm_conversations(a: &Activity) -> Vec<Value> {
    let mut convs: BTreeMap<String, Vec<&Dm>> = BTreeMap::new();
    for m in &a.dms {
        let other = if m.sender == a.account_id {
            &m.recipient
        } else {
            &m.sender
        };
        convs
            .entry(crate::model::conversation_id(other, &a.account_id))
            .or_default()
            .push(m);
    }
    convs
        .into_iter()
        .map(|(id, mut msgs)| {
            // Archives list messages newest first.
            msgs.sort_by_key(|m| std::cmp::Reverse(m.ts));
            json!({"dmConversation": {"conversationId": id, "messages": msgs.iter().map(|m| json!({"messageCreate": {
                "recipientId": m.recipient, "reactions": [], "urls": [], "text": escape(&m.text), "mediaUrls": [],
                "senderId": m.sender, "id": m.id, "createdAt": iso_ms(m.ts), "editHistory": []
            }})).collect::<Vec<_>>()}})
        })
        .collect()
}

fn write_archive(path: &Path, a: &Activity) -> Result<()> {
    let tweets: Vec<Value> = a
        .posts
        .iter()
        .map(|p| json!({"tweet": tweet_json(a, p, true)}))
        .collect();
    let dms = dm_conversations(a);
    let mut following: Vec<&String> = Vec::new();
    let mut unfollowed = std::collections::HashSet::new();
    for t in a.timed.iter().rev() {
        match t.kind {
            TimedKind::Unfollow => {
                unfollowed.insert(&t.user);
            }
            TimedKind::Follow if !unfollowed.contains(&t.user) => following.push(&t.user),
            _ => {}
        }
    }
    following.sort();
    following.dedup();
    let mut followers: Vec<&String> = a
        .followers
        .iter()
        .chain(
            a.timed
                .iter()
                .filter(|t| t.kind == TimedKind::FollowedBy)
                .map(|t| &t.user),
        )
        .collect();
    followers.sort();
    followers.dedup();
    let likes: Vec<Value> = a
        .timed
        .iter()
        .filter(|t| t.kind == TimedKind::Like)
        .filter_map(|t| t.post.as_ref())
        .map(|p| json!({"like": {"tweetId": p, "expandedUrl": format!("https://twitter.com/i/web/status/{p}")}}))
        .collect();
    let link = |id: &str| format!("https://twitter.com/intent/user?user_id={id}");
    let files: Vec<(&str, Vec<Value>)> = vec![
        (
            "account.js",
            vec![
                json!({"account": {"email": format!("{}@example.invalid", a.handle), "createdVia": "web", "username": a.handle, "accountId": a.account_id, "createdAt": iso_ms(a.created_at), "accountDisplayName": a.handle}}),
            ],
        ),
        ("tweets.js", tweets),
        ("direct-messages.js", dms),
        (
            "following.js",
            following
                .iter()
                .map(|u| json!({"following": {"accountId": u, "userLink": link(u)}}))
                .collect(),
        ),
        (
            "follower.js",
            followers
                .iter()
                .map(|u| json!({"follower": {"accountId": u, "userLink": link(u)}}))
                .collect(),
        ),
        ("like.js", likes),
        (
            "connected-application.js",
            if a.bot {
                vec![
                    json!({"connectedApplication": {"organization": {"name": "PostPilot", "url": "https://example.invalid"}, "name": BOT_CLIENT.1, "description": "Schedules posts", "permissions": ["read", "write", "directmessages"], "approvedAt": iso_ms(a.created_at + 86_400_000_000), "id": BOT_CLIENT.0}}),
                ]
            } else {
                vec![]
            },
        ),
        ("lists-created.js", vec![]),
    ];
    let mut manifest_types = serde_json::Map::new();
    for (name, records) in &files {
        let key = name.trim_end_matches(".js").replace('-', "_");
        manifest_types.insert(key.clone(), json!({"files": [{"fileName": format!("data/{name}"), "globalName": format!("YTD.{key}.part0"), "count": records.len().to_string()}]}));
    }
    let manifest = json!({
        "userInfo": {"accountId": a.account_id, "userName": a.handle, "displayName": a.handle},
        "archiveInfo": {"sizeBytes": "0", "generationDate": iso_ms(a.generated_at), "isPartialArchive": false, "maxPartSizeBytes": "53687091200"},
        "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
        "dataTypes": manifest_types,
    });
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(f));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let zerr =
        |e: zip::result::ZipError| Error::Internal(format!("writing {}: {e}", path.display()));
    zip.start_file("data/manifest.js", opts).map_err(zerr)?;
    zip.write_all(
        format!(
            "window.__THAR_CONFIG = {}",
            serde_json::to_string_pretty(&manifest).expect("serializes")
        )
        .as_bytes(),
    )
    .map_err(|e| Error::io(path, e))?;
    for (name, records) in &files {
        zip.start_file(format!("data/{name}"), opts).map_err(zerr)?;
        zip.write_all(js_file(name, records).as_bytes())
            .map_err(|e| Error::io(path, e))?;
    }
    zip.start_file("Your archive.html", opts).map_err(zerr)?;
    zip.write_all(b"<!doctype html><title>Your archive</title>")
        .map_err(|e| Error::io(path, e))?;
    zip.finish().map_err(zerr)?;
    Ok(())
}

fn write_webhook(path: &Path, a: &Activity) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::new(f);
    let me = &a.account_id;
    let user_obj = |id: &str| json!({"id_str": id, "id": id.parse::<u64>().unwrap_or(0), "screen_name": format!("user{id}")});
    let mut lines: Vec<(i64, Value)> = Vec::new();
    for t in &a.timed {
        let ms = (t.ts / 1000).to_string();
        let v = match t.kind {
            TimedKind::Like => json!({"for_user_id": me, "favorite_events": [{
                "id": crate::model::hash_id(&[me, &ms]), "created_at": tweet_time(t.ts), "timestamp_ms": t.ts / 1000,
                "favorited_status": {"id_str": t.post, "created_at": tweet_time(t.ts - 3_600_000_000), "text": "a post", "user": user_obj(&t.user)},
                "user": user_obj(me)}]}),
            TimedKind::Follow | TimedKind::Unfollow => {
                json!({"for_user_id": me, "follow_events": [{
                "type": if t.kind == TimedKind::Follow { "follow" } else { "unfollow" }, "created_timestamp": ms,
                "source": user_obj(me), "target": user_obj(&t.user)}]})
            }
            TimedKind::FollowedBy => json!({"for_user_id": me, "follow_events": [{
                "type": "follow", "created_timestamp": ms, "source": user_obj(&t.user), "target": user_obj(me)}]}),
        };
        lines.push((t.ts, v));
    }
    for i in &a.inbound {
        let mut t = json!({"id_str": i.id, "created_at": tweet_time(i.ts), "text": i.text, "timestamp_ms": (i.ts / 1000).to_string(),
            "source": source_anchor("Twitter for iPhone"), "user": {"id_str": i.from, "screen_name": i.from_handle},
            "entities": {"hashtags": [], "urls": [], "user_mentions": [{"id_str": me, "screen_name": a.handle}]}});
        if let Some(r) = &i.reply_to {
            t["in_reply_to_status_id_str"] = json!(r);
            t["in_reply_to_user_id_str"] = json!(me);
        }
        lines.push((i.ts, json!({"for_user_id": me, "tweet_create_events": [t]})));
    }
    for p in a.posts.iter().filter(|p| p.in_webhook) {
        lines.push((
            p.ts,
            json!({"for_user_id": me, "tweet_create_events": [tweet_json(a, p, false)]}),
        ));
    }
    for m in &a.dms {
        let mut mc = json!({"target": {"recipient_id": m.recipient}, "sender_id": m.sender, "message_data": {"text": m.text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}});
        let mut payload = json!({"for_user_id": me, "direct_message_events": [{"type": "message_create", "id": m.id, "created_timestamp": (m.ts / 1000).to_string(), "message_create": Value::Null}]});
        if m.via_app {
            mc["source_app_id"] = json!(BOT_CLIENT.0);
            payload["apps"] = json!({BOT_CLIENT.0: {"id": BOT_CLIENT.0, "name": BOT_CLIENT.1, "url": "https://example.invalid"}});
        }
        payload["direct_message_events"][0]["message_create"] = mc;
        lines.push((m.ts, payload));
    }
    lines.sort_by_key(|(ts, _)| *ts);
    for (_, v) in lines {
        serde_json::to_writer(&mut w, &v).map_err(|e| Error::Internal(e.to_string()))?;
        w.write_all(b"\n").map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

fn write_generic(path: &Path, a: &Activity) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = BufWriter::new(f);
    for l in &a.list_adds {
        let v = json!({"account_id": a.account_id, "ts": format_ts(l.ts), "kind": "list_add", "list_id": l.list, "target_user_id": l.user, "client": BOT_CLIENT.1});
        serde_json::to_writer(&mut w, &v).map_err(|e| Error::Internal(e.to_string()))?;
        w.write_all(b"\n").map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// Writes the account's files; returns their paths relative to `out`.
pub fn account_files(out: &Path, _opts: &GenOptions, a: &Activity) -> Result<Vec<String>> {
    let mut files = vec![
        format!("archives/{}.zip", a.handle),
        format!("webhooks/{}.jsonl", a.handle),
    ];
    write_archive(&out.join(&files[0]), a)?;
    write_webhook(&out.join(&files[1]), a)?;
    if !a.list_adds.is_empty() {
        let rel = format!("logs/{}-actions.jsonl", a.handle);
        write_generic(&out.join(&rel), a)?;
        files.push(rel);
    }
    Ok(files)
}

pub fn trends_file(out: &Path, trends: &[(i64, Vec<String>)]) -> Result<String> {
    let rel = "trends.jsonl".to_string();
    let path = out.join(&rel);
    let f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut w = BufWriter::new(f);
    for (ts, names) in trends {
        let v = json!([{"trends": names.iter().map(|n| json!({"name": n, "url": format!("http://twitter.com/search?q=%23{}", n.trim_start_matches('#')), "promoted_content": null, "query": format!("%23{}", n.trim_start_matches('#')), "tweet_volume": null})).collect::<Vec<_>>(),
            "as_of": format_ts(*ts), "created_at": format_ts(*ts - 300_000_000), "locations": [{"name": "Worldwide", "woeid": 1}]}]);
        serde_json::to_writer(&mut w, &v).map_err(|e| Error::Internal(e.to_string()))?;
        w.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    Ok(rel)
}
