//! The `onestop` command: set up logging, load settings, parse the command line and call the
//! library (`onestop::cli`) for the chosen subcommand. It holds no logic of its own.

use anyhow::Context;
use clap::{Parser, Subcommand};
use onestop::cli;
use onestop::settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: a request allocates and frees many small strings
/// and JSON values across threads, and glibc's arenas spent a large share of the server's time
/// at full load in `malloc`, `free` and their consolidation (round 3 of
/// `docs/performance-log.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "onestop",
    version,
    about = "One application for a life event, several registries, one receipt"
)]
struct Cli {
    /// Settings file (default: ./onestop.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Folder holding bundles/, services/ and forms/ (setting definitions.root).
    #[arg(long, global = true)]
    definitions: Option<PathBuf>,
    /// How log lines are written to standard error: `text` for people, `json` (one object a
    /// line) for log collectors.
    #[arg(
        long,
        global = true,
        env = "ONESTOP_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    log_format: cli::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the API, and fan out applications to the registries.
    Serve {
        /// Address to listen on (setting server.bind).
        #[arg(long)]
        bind: Option<String>,
        /// sqlite://file.db or postgres://… (setting database.url).
        #[arg(long)]
        database_url: Option<String>,
        /// Send registry calls to this URL instead of the in-process sandbox (setting registries.url).
        #[arg(long)]
        registries: Option<String>,
    },
    /// Check every definition file; exit non-zero listing every problem.
    Check {
        /// Treat warnings (unused form, missing translation) as errors.
        #[arg(long)]
        deny_warnings: bool,
        /// Record bundle versions not yet in bundles/versions.lock (recorded ones never change).
        #[arg(long)]
        lock: bool,
    },
    /// Serve the simulated registries alone.
    Sandbox(cli::SandboxArgs),
    /// Draw a bundle's dependency graph.
    Graph {
        bundle: String,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: onestop::bundle::Notation,
    },
    /// Say which services an application would run, in which stages, and why others would not.
    Explain {
        bundle: String,
        /// A submission: `{"data": {...}, "services": [...]}`.
        application: PathBuf,
    },
    /// Institutions (a maternity ward, a CNAP, an online channel) and the bundles they offer.
    Institution {
        #[command(subcommand)]
        command: InstitutionCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Machine clients' bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Remove the personal data of applications past their retention (`serve` does it daily).
    Purge {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Apply the database's pending migrations (for operators who set
    /// database.migrate_on_start = false), then exit.
    Migrate {
        /// sqlite://file.db or postgres://… (setting database.url).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print the combined form (JSON Schema) of a bundle.
    Form {
        bundle: String,
        /// Comma-separated optional services to include (default: all).
        #[arg(long)]
        services: Option<String>,
    },
}

#[derive(Subcommand)]
enum InstitutionCommand {
    /// Add an institution.
    Add {
        id: String,
        /// The Ukrainian title.
        #[arg(long)]
        title: String,
        #[arg(long)]
        title_en: String,
        /// The bundles it offers, comma-separated (birth,relocation,business-start).
        #[arg(long)]
        bundles: String,
        /// sqlite://file.db or postgres://… (setting database.url).
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; the password is read from standard input (one line).
    Add {
        login: String,
        #[arg(long)]
        institution: Option<String>,
        /// clerk, registrar, supervisor, auditor or admin.
        #[arg(long)]
        role: String,
        /// Make a password and print it once instead of reading one.
        #[arg(long)]
        generate_password: bool,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Disable a staff account: it signs in no more, and its sessions end at once.
    Disable {
        login: String,
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the trail's hash chain; name the first entry changed, removed or slipped in (exit 1).
    Verify {
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a machine client's token, bound to an institution and a role; printed once.
    Add {
        name: String,
        #[arg(long)]
        institution: Option<String>,
        #[arg(long)]
        role: String,
        /// How long it is valid, as an ISO 8601 duration.
        #[arg(long, default_value = "P90D")]
        expires: String,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Revoke a machine client's token.
    Revoke {
        name: String,
        #[arg(long)]
        database_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::logging(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The settings, with the definitions' folder the command line names.
fn settings(
    config: Option<&std::path::Path>,
    definitions: Option<std::path::PathBuf>,
) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(config).context("Failed to load settings")?;
    if let Some(root) = definitions {
        settings.definitions.root = root;
    }
    Ok(settings)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = settings(cli.config.as_deref(), cli.definitions)?;
    let root = settings.definitions.root.as_path();
    match cli.command {
        Command::Check {
            deny_warnings,
            lock,
        } => Ok(cli::check(root, &settings.registries, deny_warnings, lock)),
        Command::Form { bundle, services } => cli::form(root, &bundle, services.as_deref()),
        Command::Graph { bundle, format } => cli::graph(root, &bundle, format),
        Command::Explain {
            bundle,
            application,
        } => cli::explain(root, &bundle, &application),
        Command::Sandbox(args) => cli::sandbox(&settings, &args).map(|()| ExitCode::SUCCESS),
        Command::Institution {
            command:
                InstitutionCommand::Add {
                    id,
                    title,
                    title_en,
                    bundles,
                    database_url,
                },
        } => {
            settings.database.url = database_url.unwrap_or(settings.database.url);
            cli::add_institution(&settings, &id, &title, &title_en, &bundles)
                .map(|()| ExitCode::SUCCESS)
        }
        Command::User { command } => user(&mut settings, command).map(|()| ExitCode::SUCCESS),
        Command::Token { command } => token(&mut settings, command).map(|()| ExitCode::SUCCESS),
        Command::Purge {
            dry_run,
            database_url,
        } => cli::purge(&on(settings, database_url), dry_run).map(|()| ExitCode::SUCCESS),
        Command::Migrate { database_url } => {
            cli::migrate(&on(settings, database_url)).map(|()| ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { database_url },
        } => {
            settings.database.url = database_url.unwrap_or(settings.database.url);
            let whole = cli::verify_audit(&settings)?;
            Ok(ExitCode::from(u8::from(!whole)))
        }
        Command::Serve {
            bind,
            database_url,
            registries,
        } => {
            settings.server.bind = bind.unwrap_or(settings.server.bind);
            settings.database.url = database_url.unwrap_or(settings.database.url);
            settings.registries.url = registries.or(settings.registries.url);
            cli::serve(settings).map(|()| ExitCode::SUCCESS)
        }
    }
}

/// `settings` on the database the command line names, if it names one.
fn on(mut settings: Settings, database_url: Option<String>) -> Settings {
    settings.database.url = database_url.unwrap_or(settings.database.url);
    settings
}

fn user(settings: &mut Settings, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            login,
            institution,
            role,
            generate_password,
            database_url,
        } => {
            settings.database.url = database_url.unwrap_or(settings.database.url.clone());
            let institution = institution.as_deref();
            cli::add_user(settings, &login, institution, &role, generate_password)
        }
        UserCommand::Disable {
            login,
            database_url,
        } => {
            settings.database.url = database_url.unwrap_or(settings.database.url.clone());
            cli::disable_user(settings, &login)
        }
    }
}

fn token(settings: &mut Settings, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Add {
            name,
            institution,
            role,
            expires,
            database_url,
        } => {
            settings.database.url = database_url.unwrap_or(settings.database.url.clone());
            cli::add_token(settings, &name, institution.as_deref(), &role, &expires)
        }
        TokenCommand::Revoke { name, database_url } => {
            settings.database.url = database_url.unwrap_or(settings.database.url.clone());
            cli::revoke_token(settings, &name)
        }
    }
}
