//! The report as one self-contained HTML page: no scripts, no network requests, charts as inline
//! SVG (charts-rs), and every text from the data escaped, so a post saying `<script>` stays text.

use std::collections::BTreeMap;
use std::fmt::Write;

use charts_rs::{BarChart, HorizontalBarChart, Series, SeriesCategory};
use chrono::{Datelike, Duration, NaiveDate};

use super::{AccountReport, DayActivity, Report, Verdict};
use crate::rules::Severity;
use crate::rules::sections::{self, Lang};
use crate::text::inert::visible;

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
header{margin-bottom:18px} h1{font-size:24px;margin:0 0 4px} .meta{color:#5b6675;font-size:13px}
section.account{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:18px 22px;margin:18px 0}
h2{font-size:19px;margin:0 0 6px} .verdict{display:inline-block;padding:2px 9px;border-radius:10px;font-size:13px;font-weight:600;margin-left:8px}
.violations{background:#fde2e1;color:#a4161a}.warnings{background:#fff1cc;color:#8a5a00}.compliant{background:#dff5e3;color:#1d6b32}
table{border-collapse:collapse;width:100%;margin:10px 0;font-size:14px} th,td{border-bottom:1px solid #e6e9ee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600} .sev{font-weight:700;text-transform:uppercase;font-size:12px}
.deny{color:#b3261e}.warn{color:#9a6400}.info{color:#2b6cb0} details{margin:2px 0} summary{cursor:pointer;color:#445}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0} .charts figure{margin:0} figcaption{font-size:13px;color:#5b6675}
.cov li{margin:2px 0} .muted{color:#5b6675} code{font-size:13px}
td{overflow-wrap:anywhere} .charts svg{max-width:100%;height:auto}
";

/// Buckets for the timeline: days for up to 120 days, then weeks, then months.
fn buckets(days: &[DayActivity]) -> (Vec<String>, Vec<DayActivity>) {
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let (Some(first), Some(last)) = (
        days.first().and_then(|d| parse(&d.day)),
        days.last().and_then(|d| parse(&d.day)),
    ) else {
        return (Vec::new(), Vec::new());
    };
    let span = (last - first).num_days();
    let key = |d: NaiveDate| -> String {
        if span <= 120 {
            d.format("%Y-%m-%d").to_string()
        } else if span <= 730 {
            (d - Duration::days(d.weekday().num_days_from_monday() as i64))
                .format("%Y-%m-%d")
                .to_string()
        } else {
            d.format("%Y-%m").to_string()
        }
    };
    let mut order = Vec::new();
    let mut d = first;
    while d <= last {
        let k = key(d);
        if order.last() != Some(&k) {
            order.push(k);
        }
        d += Duration::days(1);
    }
    let mut sums: BTreeMap<String, DayActivity> = order
        .iter()
        .map(|k| {
            (
                k.clone(),
                DayActivity {
                    day: k.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    for a in days {
        if let Some(s) = parse(&a.day).and_then(|d| sums.get_mut(&key(d))) {
            s.posts += a.posts;
            s.likes += a.likes;
            s.follows += a.follows;
            s.dms += a.dms;
            s.list_adds += a.list_adds;
        }
    }
    let values = order.iter().map(|k| sums[k].clone()).collect();
    (order, values)
}

fn timeline(a: &AccountReport) -> Option<String> {
    let (labels, values) = buckets(&a.daily);
    if labels.is_empty() {
        return None;
    }
    let bucket_of = |ts: &str| -> Option<usize> {
        let day = &ts[..ts.len().min(10)];
        labels
            .iter()
            .rposition(|l| day.starts_with(l.as_str()) || l.as_str() <= day)
    };
    let mut findings = vec![0f32; labels.len()];
    for f in a.findings.iter().filter(|f| f.severity >= Severity::Warn) {
        if let Some(i) = bucket_of(&f.first_seen) {
            findings[i] += 1.0;
        }
    }
    let series = |name: &str, get: fn(&DayActivity) -> u64| {
        Series::new(
            name.to_string(),
            values.iter().map(|v| get(v) as f32).collect(),
        )
    };
    let mut list = vec![
        series("posts", |v| v.posts),
        series("likes", |v| v.likes),
        series("follows", |v| v.follows),
        series("DMs sent", |v| v.dms),
        series("list additions", |v| v.list_adds),
    ];
    for s in &mut list {
        s.stack = Some("activity".into());
    }
    let mut marks = Series::new("deny/warn findings".into(), findings);
    marks.category = Some(SeriesCategory::Line);
    marks.y_axis_index = 1;
    list.push(marks);
    let mut chart = BarChart::new(list, labels);
    chart.width = 1040.0;
    chart.height = 320.0;
    if let Some(first) = chart.y_axis_configs.first().cloned() {
        chart.y_axis_configs.push(first);
    }
    chart.svg().ok()
}

/// Longest client name shown whole on the client-mix chart; longer ones are cut, with the whole
/// name as the label's tooltip, so no name pushes the bars off the chart.
const LABEL_CHARS: usize = 28;

fn client_mix(a: &AccountReport) -> Option<String> {
    if a.automation.clients.is_empty() {
        return None;
    }
    let clients: Vec<_> = a.automation.clients.iter().take(8).collect();
    let full: Vec<String> = clients
        .iter()
        .rev()
        .map(|c| {
            let name = visible(&c.name);
            if c.official {
                name.into_owned()
            } else {
                format!("{name} (app)")
            }
        })
        .collect();
    let shown: Vec<String> = full.iter().map(|n| cut_label(n)).collect();
    let data = clients.iter().rev().map(|c| c.posts as f32).collect();
    let mut chart = HorizontalBarChart::new(vec![Series::new("posts".into(), data)], shown.clone());
    chart.width = 520.0;
    chart.height = 60.0 + 34.0 * clients.len() as f32;
    let mut svg = chart.svg().ok()?;
    for (cut, whole) in shown.iter().zip(&full) {
        if cut == whole {
            continue;
        }
        // The axis label charts-rs wrote for this name (between whitespace it may add).
        let label = regex::Regex::new(&format!(
            r"(<text[^>]*>)(\s*{}\s*</text>)",
            regex::escape(&esc(cut))
        ))
        .ok()?;
        let titled = format!(
            "${{1}}<title>{}</title>${{2}}",
            esc(whole).replace('$', "$$")
        );
        svg = label.replacen(&svg, 1, titled.as_str()).into_owned();
    }
    Some(svg)
}

fn cut_label(name: &str) -> String {
    if name.chars().count() <= LABEL_CHARS {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(LABEL_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// An instance's automation evidence and its evidence events (folded).
fn instance_evidence(ev: &mut String, f: &super::ReportedFinding) {
    if !f.automated_evidence.is_empty() {
        let _ = write!(
            ev,
            "<div class=\"muted\">automation: {}</div>",
            esc(&f.automated_evidence.join(", "))
        );
    }
    if !f.evidence.is_empty() {
        let _ = write!(
            ev,
            "<details><summary>{} of {} events</summary><table>",
            f.evidence.len(),
            f.count
        );
        for e in &f.evidence {
            let _ = write!(
                ev,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.ts),
                esc(&e.kind),
                esc(e.target.as_deref().unwrap_or("")),
                esc(e.text.as_deref().unwrap_or(""))
            );
        }
        ev.push_str("</table></details>");
    }
}

pub fn render(r: &Report, lang: Lang) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>xaudit report</title><style>{STYLE}</style></head><body><main>\n<header><h1>xaudit report</h1>\
         <div class=\"meta\">{} · xaudit {} · store version {} · generated {}</div></header>\n",
        match lang {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::Tr => "tr",
        },
        esc(r.policy),
        esc(r.tool.version),
        r.store_version.map(|v| v.to_string()).unwrap_or("-".into()),
        esc(&r.generated_at)
    );
    for a in &r.accounts {
        let class = a.verdict.as_str();
        let label = match a.verdict {
            Verdict::Compliant => "no findings",
            _ => class,
        };
        let name = a
            .handle
            .as_deref()
            .map(|h| format!("@{h} "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<section class=\"account\"><h2>{}<code>{}</code><span class=\"verdict {class}\">{label}</span></h2>\
             <div class=\"meta\">{} … {} · {} events</div>",
            esc(&name),
            esc(&a.account_id),
            esc(a.period.from.as_deref().unwrap_or("-")),
            esc(a.period.to.as_deref().unwrap_or("-")),
            a.counts.values().sum::<u64>()
        );
        let cadence = a.cadence_lines();
        if !cadence.is_empty() {
            let _ = write!(
                out,
                "<div class=\"meta\">cadence — {}</div>",
                esc(&cadence.join(" · "))
            );
        }
        out.push_str("<div class=\"charts\">");
        if let Some(svg) = timeline(a) {
            let _ = write!(
                out,
                "<figure>{svg}<figcaption>Activity over time; the line counts deny and warn findings that start in each period.</figcaption></figure>"
            );
        }
        if let Some(svg) = client_mix(a) {
            let _ = write!(
                out,
                "<figure>{svg}<figcaption>Posts per client (apps that are not X's own are marked).</figcaption></figure>"
            );
        }
        out.push_str("</div>\n");
        if a.findings.is_empty() {
            out.push_str("<p>No findings.</p>\n");
        } else {
            out.push_str("<table><tr><th>severity</th><th>rule</th><th>finding</th><th>policy</th><th>when</th><th>evidence</th></tr>\n");
            for g in a.groups() {
                let summary = g.summary;
                let heading = sections::get(&summary.section)
                    .map(|s| s.heading(lang))
                    .unwrap_or(&summary.section);
                let mut finding = String::new();
                let mut ev = String::new();
                let several = g.counts_line();
                if let Some(counts) = &several {
                    let _ = write!(finding, "<b>{}</b><ul>", esc(counts));
                }
                for f in &g.shown {
                    let message = match f.note() {
                        n if n.is_empty() => esc(&f.message),
                        n => format!("{}<div class=\"muted\">{}</div>", esc(&f.message), esc(&n)),
                    };
                    if several.is_some() {
                        let _ = write!(finding, "<li>{message} ({})</li>", f.severity.as_str());
                    } else {
                        finding.push_str(&message);
                    }
                    instance_evidence(&mut ev, f);
                }
                if several.is_some() {
                    finding.push_str("</ul>");
                }
                if g.more > 0 {
                    let _ = write!(
                        finding,
                        "<div class=\"muted\">… and {} more in the JSON report</div>",
                        g.more
                    );
                }
                let _ = writeln!(
                    out,
                    "<tr><td class=\"sev {sev}\">{sev}</td><td><code>{}</code></td><td>{finding}</td><td>{} {}</td><td>{} … {}</td><td>{ev}</td></tr>",
                    esc(&summary.rule),
                    esc(&summary.section),
                    esc(heading),
                    esc(&summary.first_seen),
                    esc(&summary.last_seen),
                    sev = summary.severity.as_str(),
                );
            }
            out.push_str("</table>\n");
        }
        if let Some(resolved) = a.resolved.as_ref().filter(|r| !r.is_empty()) {
            out.push_str("<details><summary>Resolved since the previous run</summary><ul>");
            for f in resolved {
                let _ = write!(
                    out,
                    "<li><code>{}</code> ({}): {} — {} … {}</li>",
                    esc(&f.rule),
                    f.severity.as_str(),
                    esc(&f.message),
                    esc(&f.first_seen),
                    esc(&f.last_seen)
                );
            }
            out.push_str("</ul></details>\n");
        }
        let missing = a.not_fully_checked();
        if !missing.is_empty() {
            out.push_str(
                "<details><summary>Not fully checked (missing data)</summary><ul class=\"cov\">",
            );
            for s in missing {
                let st = s.status.label();
                let _ = write!(
                    out,
                    "<li><code>{}</code>: {st} — {}</li>",
                    esc(&s.rule),
                    esc(&s.reason)
                );
            }
            out.push_str("</ul></details>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str, posts: u64) -> DayActivity {
        DayActivity {
            day: d.into(),
            posts,
            ..Default::default()
        }
    }

    #[test]
    fn short_periods_are_daily_with_gaps_filled() {
        let (labels, values) = buckets(&[day("2026-03-01", 2), day("2026-03-04", 5)]);
        assert_eq!(
            labels,
            ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
        );
        assert_eq!(
            values.iter().map(|v| v.posts).collect::<Vec<_>>(),
            [2, 0, 0, 5]
        );
    }

    #[test]
    fn long_periods_are_weekly_then_monthly() {
        let (w, _) = buckets(&[day("2025-01-01", 1), day("2025-12-31", 1)]);
        assert_eq!(
            w.first().map(String::as_str),
            Some("2024-12-30"),
            "weeks start on Monday"
        );
        let (m, v) = buckets(&[
            day("2020-01-15", 1),
            day("2020-01-20", 2),
            day("2024-06-01", 3),
        ]);
        assert_eq!(m.first().map(String::as_str), Some("2020-01"));
        assert_eq!(v[0].posts, 3);
        assert_eq!(m.len(), 54);
    }
}
