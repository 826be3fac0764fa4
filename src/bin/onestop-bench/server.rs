//! The server under test: the real `onestop serve` as a child process on a fresh database, and
//! what the kernel says it used (`/proc/<pid>/status` for memory, `/proc/<pid>/stat` for CPU).
//!
//! The server is the `onestop` binary cargo built beside this one (same profile, same target
//! folder); this module starts it and reads the kernel's counters, and must not change the
//! server's settings beyond what the bench's flags say.

use super::BenchOptions;
use anyhow::Context;
use sqlx::Connection;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A fresh database for one run, removed afterwards.
pub struct Database {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(PathBuf),
    Postgres { admin: String, name: String },
}

impl Database {
    /// A new SQLite file in a temporary folder, or a new database on the PostgreSQL server
    /// `postgres` (an admin URL).
    pub async fn fresh(postgres: Option<&str>) -> anyhow::Result<Self> {
        let name = format!("onestop_bench_{}", uuid::Uuid::new_v4().simple());
        let Some(admin) = postgres else {
            let folder = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&folder)?;
            let url = format!("sqlite://{}", folder.join("bench.db").display());
            let cleanup = Cleanup::Folder(folder);
            return Ok(Self { url, cleanup });
        };
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(admin)
            .await
            .context("Failed to reach PostgreSQL")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let url = onestop::store::with_database_name(admin, &name);
        let admin = admin.to_owned();
        let cleanup = Cleanup::Postgres { admin, name };
        Ok(Self { url, cleanup })
    }

    /// Delete the file or drop the database (the server must have stopped).
    pub async fn remove(self) {
        let result = match self.cleanup {
            Cleanup::Folder(folder) => std::fs::remove_dir_all(folder).map_err(Into::into),
            Cleanup::Postgres { admin, name } => drop_database(&admin, &name).await,
        };
        if let Err(e) = result {
            eprintln!("warning: the benchmark's database was not removed: {e:#}");
        }
    }
}

async fn drop_database(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::AnyConnection::connect(admin).await?;
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// A running `onestop serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the server process has used so far.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Resident memory now and at its peak, in bytes.
    pub rss: u64,
    pub peak_rss: u64,
}

impl Server {
    /// Start the `onestop` binary beside this one as `serve` on `database`, calling the
    /// registries at `registries`; wait until it prints its address.
    pub async fn start(
        options: &BenchOptions,
        database: &str,
        registries: &str,
    ) -> anyhow::Result<Self> {
        let definitions = std::path::absolute(&options.definitions)?;
        let mut child = Command::new(server_binary()?)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--database-url", database, "--registries", registries])
            .arg("--definitions")
            .arg(definitions)
            .current_dir(std::env::temp_dir())
            .env("RUST_LOG", "warn")
            .env("ONESTOP__DISPATCHER__INSTANCE", "bench")
            .env(
                "ONESTOP__DISPATCHER__CONCURRENCY",
                options.dispatcher_concurrency.to_string(),
            )
            .env(
                "ONESTOP__REGISTRIES__CONCURRENCY",
                options.registry_concurrency.to_string(),
            )
            .env("ONESTOP__REGISTRIES__PROTOCOL", options.protocol.name())
            .stdout(Stdio::piped())
            .spawn()
            .context("Failed to start onestop serve")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let url = tokio::task::spawn_blocking(move || first_address(stdout)).await??;
        Ok(Self { child, url })
    }

    /// CPU and memory used so far, from `/proc`.
    pub fn usage(&self) -> anyhow::Result<Usage> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        Ok(Usage {
            cpu: cpu_time(&stat).context("unreadable /proc/<pid>/stat")?,
            rss: kib(&status, "VmRSS:").context("no VmRSS")? * 1024,
            peak_rss: kib(&status, "VmHWM:").context("no VmHWM")? * 1024,
        })
    }
}

/// A machine client's token for the bench (a clerk of an institution `bench` offering
/// `bundles`), made in `database` with the commands an operator uses.
pub fn machine_token(
    options: &BenchOptions,
    database: &str,
    bundles: &[String],
) -> anyhow::Result<String> {
    let definitions = std::path::absolute(&options.definitions)?;
    let run = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(server_binary()?)
            .args(args)
            .arg("--definitions")
            .arg(&definitions)
            .args(["--database-url", database])
            .env("RUST_LOG", "warn")
            .output()
            .context("Failed to run onestop")?;
        anyhow::ensure!(
            output.status.success(),
            "onestop {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8(output.stdout)?)
    };
    let bundles = bundles.join(",");
    let title = ["--title", "Бенчмарк", "--title-en", "Bench"];
    run(&[
        &["institution", "add", "bench"],
        &title[..],
        &["--bundles", &bundles],
    ]
    .concat())?;
    let token = run(&[
        "token",
        "add",
        "bench",
        "--institution",
        "bench",
        "--role",
        "clerk",
    ])?;
    Ok(token.trim().to_owned())
}

/// The `onestop` binary in this executable's folder, where `cargo build` puts every binary of
/// the package. `cargo run --bin onestop-bench` builds only the bench, so the server may be
/// missing: say so rather than fail to start it.
fn server_binary() -> anyhow::Result<PathBuf> {
    let bench = std::env::current_exe().context("Failed to find the bench's own executable")?;
    let server = bench.with_file_name(format!("onestop{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        server.is_file(),
        "no onestop binary at {}: build it first: cargo build --release",
        server.display()
    );
    Ok(server)
}

/// The address in the server's first line of output; the rest of its output is drained.
fn first_address(stdout: std::process::ChildStdout) -> anyhow::Result<String> {
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().context("onestop serve exited")??;
    std::thread::spawn(move || lines.for_each(drop));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .with_context(|| format!("no address in {line:?}"))?;
    Ok(url.trim_end_matches('/').to_owned())
}

/// `utime + stime` (fields 14 and 15 of `/proc/<pid>/stat`, in clock ticks).
fn cpu_time(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
}

/// CPU used so far by this (the bench's) process: the sandbox and the clients.
pub fn own_cpu() -> Duration {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| cpu_time(&stat))
        .unwrap_or_default()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when that fails).
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

fn kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_and_memory_fields() {
        let stat = "42 (onestop serve) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9";
        let ticks = clock_ticks() as f64;
        assert_eq!(cpu_time(stat), Some(Duration::from_secs_f64(300.0 / ticks)));
        let status = "Name:\tonestop\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(kib(status, "VmHWM:"), Some(51200));
        assert_eq!(kib(status, "VmRSS:"), Some(40960));
    }

    #[test]
    fn names_the_fresh_database() {
        let url =
            onestop::store::with_database_name("postgres://postgres@127.0.0.1:5432/postgres", "b1");
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/b1");
        let url = onestop::store::with_database_name("postgres://h/db?sslmode=disable", "b2");
        assert_eq!(url, "postgres://h/b2?sslmode=disable");
    }
}
