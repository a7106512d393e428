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
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// Rule id (see `xaudit rules`).
    rule: String,
    /// Language of the policy section heading.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
}

pub fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
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
        anyhow::bail!("no rule `{}`; `xaudit rules` lists them", a.rule);
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
