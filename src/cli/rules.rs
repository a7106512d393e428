use std::io::Write;
use std::process::ExitCode;

use xaudit::rules::sections::{self, Lang};
use xaudit::rules::{find, registry};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// List the SQL functions the rules are built from (usable in `xaudit sql` and the shell)
    /// instead of the rules.
    #[arg(long)]
    functions: bool,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// Rule id (see `xaudit rules`), or the name of one of xaudit's SQL functions (see
    /// `xaudit rules --functions`).
    rule: String,
    /// Language of the policy section heading.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// `json`: the rule as `xaudit rules --format json` lists it, with its section heading and
    /// policy; for a function, its name, syntax and description.
    #[arg(long, value_enum, default_value = "text")]
    format: ExplainFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

pub fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    // Written, not printed: a reader that stops early (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    if a.functions {
        return list_functions(a.format);
    }
    let rules = registry()?;
    match a.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?,
        Format::Md => write!(out, "{}", xaudit::rules::markdown_table(&rules))?,
        Format::Text => {
            for r in &rules {
                writeln!(
                    out,
                    "{:<34} {:<5} {:<20} {}",
                    r.id,
                    r.severity.as_str(),
                    r.section,
                    r.title
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    // Written, not printed: a reader that stops early (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    let rules = registry()?;
    let json = a.format == ExplainFormat::Json;
    let Some(r) = find(&rules, &a.rule) else {
        if json {
            let functions = xaudit::udf::functions();
            let doc = functions
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&a.rule))
                .and_then(|(name, doc)| doc.as_ref().map(|d| (name, d)));
            if let Some((name, d)) = doc {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&function_json(name, d))?
                )?;
                return Ok(ExitCode::SUCCESS);
            }
        } else if let Some(text) = xaudit::udf::docs::text(&a.rule) {
            write!(out, "{text}")?;
            return Ok(ExitCode::SUCCESS);
        }
        anyhow::bail!(
            "no rule or function `{}`; `xaudit rules` lists the rules, `xaudit rules --functions` the functions",
            a.rule
        );
    };
    let heading = sections::get(&r.section)
        .map(|s| s.heading(a.lang))
        .unwrap_or_default();
    if json {
        let mut value = serde_json::to_value(r)?;
        value["section_heading"] = heading.into();
        value["policy"] = sections::POLICY.into();
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "{} — {}\n", r.id, r.title)?;
    writeln!(
        out,
        "Section:  {} {heading} ({})",
        r.section,
        sections::POLICY
    )?;
    writeln!(out, "Default:  {}", r.severity)?;
    writeln!(
        out,
        "Needs:    {}",
        r.needs
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if !r.params.is_empty() {
        writeln!(out, "Parameters:")?;
        for p in &r.params {
            writeln!(out, "  {} = {}  ({})", p.name, p.default, p.doc)?;
        }
    }
    writeln!(
        out,
        "\nWhat it finds\n  {}\n",
        r.docs.what.replace('\n', "\n  ")
    )?;
    writeln!(
        out,
        "Why it matters\n  {}\n",
        r.docs.why.replace('\n', "\n  ")
    )?;
    writeln!(out, "Example\n  {}\n", r.docs.example.replace('\n', "\n  "))?;
    writeln!(
        out,
        "Remediation\n  {}",
        r.docs.remediation.replace('\n', "\n  ")
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn config_default() -> anyhow::Result<ExitCode> {
    // Written, not printed: a reader that stops early (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    write!(out, "{}", xaudit::audit::config::default_toml(&registry()?))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn eval(
    dir: std::path::PathBuf,
    config: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let rules = registry()?;
    let config = match config {
        Some(p) => xaudit::audit::Config::load(&p, &rules)?,
        None => xaudit::audit::Config::default(),
    };
    let e = xaudit::eval::evaluate(&dir, &rules, &config).await?;
    std::io::stdout()
        .lock()
        .write_all(e.markdown().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn list_functions(format: Format) -> anyhow::Result<ExitCode> {
    // Written, not printed: a reader that stops early (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    let functions = xaudit::udf::functions();
    let docs = || {
        functions
            .iter()
            .filter_map(|(name, doc)| doc.as_ref().map(|d| (name, d)))
    };
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> =
                docs().map(|(name, d)| function_json(name, d)).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Format::Md => {
            writeln!(out, "| function | what it does |\n| --- | --- |")?;
            for (_, d) in docs() {
                writeln!(
                    out,
                    "| `{}` | {} |",
                    d.syntax_example,
                    xaudit::udf::docs::summary(d).replace('|', "\\|")
                )?;
            }
        }
        Format::Text => {
            for (name, d) in docs() {
                writeln!(out, "{name:<22} {}", xaudit::udf::docs::summary(d))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One SQL function as `rules --functions --format json` and `explain FUNCTION --format json`
/// show it.
fn function_json(name: &str, doc: &datafusion::logical_expr::Documentation) -> serde_json::Value {
    serde_json::json!({
        "name": name, "syntax": doc.syntax_example, "description": doc.description,
    })
}
