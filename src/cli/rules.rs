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
}

pub fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    if a.functions {
        return list_functions(a.format);
    }
    let rules = registry()?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rules)?),
        Format::Md => print!("{}", xaudit::rules::markdown_table(&rules)),
        Format::Text => {
            for r in &rules {
                println!(
                    "{:<34} {:<5} {:<20} {}",
                    r.id,
                    r.severity.as_str(),
                    r.section,
                    r.title
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let rules = registry()?;
    let Some(r) = find(&rules, &a.rule) else {
        if let Some(text) = xaudit::udf::docs::text(&a.rule) {
            print!("{text}");
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
    println!("{} — {}\n", r.id, r.title);
    println!("Section:  {} {heading} ({})", r.section, sections::POLICY);
    println!("Default:  {}", r.severity);
    println!(
        "Needs:    {}",
        r.needs
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !r.params.is_empty() {
        println!("Parameters:");
        for p in &r.params {
            println!("  {} = {}  ({})", p.name, p.default, p.doc);
        }
    }
    println!("\nWhat it finds\n  {}\n", r.docs.what.replace('\n', "\n  "));
    println!("Why it matters\n  {}\n", r.docs.why.replace('\n', "\n  "));
    println!("Example\n  {}\n", r.docs.example.replace('\n', "\n  "));
    println!(
        "Remediation\n  {}",
        r.docs.remediation.replace('\n', "\n  ")
    );
    Ok(ExitCode::SUCCESS)
}

pub fn config_default() -> anyhow::Result<ExitCode> {
    print!("{}", xaudit::audit::config::default_toml(&registry()?));
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
    print!("{}", e.markdown());
    Ok(ExitCode::SUCCESS)
}

fn list_functions(format: Format) -> anyhow::Result<ExitCode> {
    let functions = xaudit::udf::functions();
    let docs = || {
        functions
            .iter()
            .filter_map(|(name, doc)| doc.as_ref().map(|d| (name, d)))
    };
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = docs()
                .map(|(name, d)| {
                    serde_json::json!({
                        "name": name, "syntax": d.syntax_example, "description": d.description,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        Format::Md => {
            println!("| function | what it does |\n| --- | --- |");
            for (_, d) in docs() {
                println!(
                    "| `{}` | {} |",
                    d.syntax_example,
                    xaudit::udf::docs::summary(d).replace('|', "\\|")
                );
            }
        }
        Format::Text => {
            for (name, d) in docs() {
                println!("{name:<22} {}", xaudit::udf::docs::summary(d));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
