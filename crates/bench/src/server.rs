//! The `xaso` server as a child process: spawn, time readiness, read its memory, stop it.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::http::{Conn, get_request};

/// How often readiness is polled; small so it adds little to the measured startup.
const POLL_EVERY: Duration = Duration::from_millis(5);
/// Give up on a start after this long: something is broken, not merely slow.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Grace period after SIGTERM before the server is killed outright.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `xaso serve` child. Killed on drop if [`Server::stop`] was not reached.
pub struct Server {
    child: Child,
    spawned_at: Instant,
    pub addr: SocketAddr,
    /// The command line, for the report.
    pub command: String,
    log: PathBuf,
}

impl Server {
    /// Starts `xaso --data DIR serve --demo --listen 127.0.0.1:PORT` with output into `log`.
    pub fn spawn(xaso: &Path, data: &Path, log: &Path) -> Result<Self> {
        Self::spawn_with(xaso, data, log, None)
    }

    /// As [`Server::spawn`], with a configuration file.
    pub fn spawn_with(xaso: &Path, data: &Path, log: &Path, config: Option<&Path>) -> Result<Self> {
        let global: Vec<OsString> = match config {
            Some(c) => vec!["--config".into(), c.into()],
            None => Vec::new(),
        };
        Self::launch(xaso, data, log, &global)
    }

    /// As [`Server::spawn`], on the database at `database_url` (PostgreSQL or Citus) instead of
    /// SQLite in `data`; several servers may share it, each with a `data` directory of its own.
    pub fn spawn_on(xaso: &Path, data: &Path, log: &Path, database_url: &str) -> Result<Self> {
        Self::launch(
            xaso,
            data,
            log,
            &["--database-url".into(), database_url.into()],
        )
    }

    /// `xaso --data DIR GLOBAL… serve --demo --listen 127.0.0.1:PORT`.
    fn launch(xaso: &Path, data: &Path, log: &Path, global: &[OsString]) -> Result<Self> {
        let addr = free_local_addr()?;
        let out = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut cmd = xaso_command(xaso, data);
        cmd.args(global)
            .args(["serve", "--demo", "--listen", &addr.to_string()])
            .stdin(Stdio::null())
            // The server logs a JSON line per request: a file never fills up and blocks it like a pipe would.
            .stdout(out.try_clone()?)
            .stderr(out);
        let global: String = global
            .iter()
            .map(|a| format!("{} ", shell_word(&a.to_string_lossy())))
            .collect();
        let command = format!(
            "{} --data {} {global}serve --demo --listen {addr}",
            xaso.display(),
            data.display()
        );
        let spawned_at = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", xaso.display()))?;
        Ok(Server {
            child,
            spawned_at,
            addr,
            command,
            log: log.to_owned(),
        })
    }

    /// Polls `GET /healthz` until it answers 200; returns the time since spawn.
    pub async fn wait_ready(&mut self) -> Result<Duration> {
        let request = get_request(&self.addr.to_string(), "/healthz");
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("server exited during startup ({status}){}", self.log_tail());
            }
            if healthy(self.addr, &request).await {
                return Ok(self.spawned_at.elapsed());
            }
            if self.spawned_at.elapsed() > START_TIMEOUT {
                bail!(
                    "server not ready after {} s{}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Resident set size from `/proc/<pid>/status`, in bytes.
    pub fn rss_bytes(&self) -> Result<u64> {
        rss_of(self.child.id())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (graceful shutdown, as in production), then SIGKILL after a grace period.
    pub async fn stop(mut self) -> Result<()> {
        // `kill` the command: the workspace forbids unsafe code, so no direct libc call.
        let termed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while termed && Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("warning: server did not stop on SIGTERM; killing it");
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// The last lines of the server's output, to explain a failure.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n  ");
        if tail.is_empty() {
            String::new()
        } else {
            format!("; last output:\n  {tail}")
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // On an error path: never leave a server running behind us.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `xaso --data DIR` with nothing else configuring it.
fn xaso_command(xaso: &Path, data: &Path) -> Command {
    let mut cmd = Command::new(xaso);
    cmd.arg("--data")
        .arg(data)
        // The flags must be the whole configuration, whatever the caller's shell holds.
        .env_remove("XASO_CONFIG")
        .env_remove("XASO_DATA")
        .env_remove("XASO_DATABASE_URL")
        .env_remove("XASO_LISTEN")
        .env_remove("XASO_LOG")
        .env_remove("XASO_BENCH_PASSWORD");
    cmd
}

/// A finished `xaso bench-data` run.
pub struct BenchData {
    /// Wall-clock time of the whole command (start-up, demo check, accounts, data).
    pub took: Duration,
    /// What it printed, trimmed.
    pub output: String,
    /// The command line, for the report.
    pub command: String,
}

/// What `xaso bench-data` loads.
pub struct Synthetic<'a> {
    pub dossiers: u64,
    /// Feedback reports; 0 leaves `--feedback` out.
    pub feedback: u64,
    pub password: &'a str,
}

impl Synthetic<'_> {
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "bench-data".to_owned(),
            "--dossiers".to_owned(),
            self.dossiers.to_string(),
        ];
        if self.feedback > 0 {
            args.extend(["--feedback".to_owned(), self.feedback.to_string()]);
        }
        args.extend(["--password".to_owned(), self.password.to_owned()]);
        args
    }
}

/// Runs `xaso --data DIR bench-data --dossiers N [--feedback M] --password P` to completion.
/// The server must not be running on `data`: the bulk load wants the database to itself.
pub fn bench_data(xaso: &Path, data: &Path, what: &Synthetic) -> Result<BenchData> {
    let args = what.args();
    let (took, stdout, command) = run_to_end(xaso, data, &args)?;
    // Keep only the last line, the one with the figures: the demo seed may print its accounts first.
    let output = stdout.trim().lines().last().unwrap_or_default().to_owned();
    Ok(BenchData {
        took,
        output,
        command,
    })
}

/// Runs `xaso --data DIR ARGS…` to completion; keeps the last line of its output.
pub fn run_xaso(xaso: &Path, data: &Path, args: &[String]) -> Result<BenchData> {
    let (took, stdout, command) = run_to_end(xaso, data, args)?;
    let output = stdout.trim().lines().last().unwrap_or_default().to_owned();
    Ok(BenchData {
        took,
        output,
        command,
    })
}

/// A finished command whose memory was watched.
pub struct Watched {
    pub run: BenchData,
    /// The child's peak resident memory (VmHWM), in bytes.
    pub peak_bytes: u64,
}

/// As [`run_xaso`], reading the child's `VmHWM` from `/proc/<pid>/status` every 10 ms while it
/// runs (the workspace forbids unsafe code, so no `getrusage`): the peak, at most 10 ms of
/// growth before the exit unseen.
pub fn run_watched(xaso: &Path, data: &Path, args: &[String]) -> Result<Watched> {
    let mut cmd = xaso_command(xaso, data);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let command = command_text(xaso, data, args);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", xaso.display()))?;
    let status_file = format!("/proc/{}/status", child.id());
    // Drained on threads of their own: a full pipe would stall the child.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        // A child that has just exited has no memory lines left: nothing to read then.
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| parse_status_kib(&s, "VmHWM:"))
        {
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        bail!(
            "`{command}` failed ({status}):\n  {}\n  {}",
            stdout.trim(),
            stderr.trim()
        );
    }
    Ok(Watched {
        run: BenchData {
            took,
            output: stdout.trim().lines().last().unwrap_or_default().to_owned(),
            command,
        },
        peak_bytes: peak_kib * 1024,
    })
}

/// A key from `xaso open311-key`, and the command that issued it.
pub struct ApiKey {
    pub secret: String,
    pub command: String,
}

/// Runs `xaso --data DIR open311-key --commune C --name N`, which prints the secret alone.
pub fn open311_key(xaso: &Path, data: &Path, commune: &str, name: &str) -> Result<ApiKey> {
    let args = ["open311-key", "--commune", commune, "--name", name].map(str::to_owned);
    let (_, stdout, command) = run_to_end(xaso, data, &args)?;
    let secret = parse_open311_key(&stdout)
        .with_context(|| format!("`{command}` printed no key: {:?}", stdout.trim()))?;
    Ok(ApiKey {
        secret: secret.to_owned(),
        command,
    })
}

/// The secret in `xaso open311-key`'s output: its last non-empty line, `o311_` and a token.
fn parse_open311_key(stdout: &str) -> Option<&str> {
    let last = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())?;
    let token = last.strip_prefix("o311_")?;
    (!token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)))
    .then_some(last)
}

/// Runs `xaso --data DIR ARGS…` to completion: wall-clock time, stdout and the command line.
fn run_to_end(xaso: &Path, data: &Path, args: &[String]) -> Result<(Duration, String, String)> {
    let mut cmd = xaso_command(xaso, data);
    cmd.args(args).stdin(Stdio::null());
    let command = command_text(xaso, data, args);
    let started = Instant::now();
    // Blocking is fine: nothing else runs meanwhile, and the timing should be the command's.
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {}", xaso.display()))?;
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "`{command}` failed ({}):\n  {}\n  {}",
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok((took, stdout, command))
}

/// `xaso --data DIR ARGS…` as a shell reads it back, for the report.
fn command_text(xaso: &Path, data: &Path, args: &[String]) -> String {
    let words: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
    format!(
        "{} --data {} {}",
        xaso.display(),
        data.display(),
        words.join(" ")
    )
}

/// `word` as a shell would need it to read it back as one word: a Citus URL carries `&` and `[]`.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@,=+%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One readiness probe on a fresh connection, as a load balancer would do it.
async fn healthy(addr: SocketAddr, request: &[u8]) -> bool {
    let probe = async {
        let mut conn = Conn::connect(addr).await?;
        conn.send(request).await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), probe).await,
        Ok(Ok(res)) if res.status == 200
    )
}

/// A port nobody listens on right now; the server binds it a moment later.
fn free_local_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?)
}

/// Resident set size of process `pid`, from `/proc/<pid>/status`, in bytes.
pub fn rss_of(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_status_kib(&status, "VmRSS:")
        .map(|kib| kib * 1024)
        .with_context(|| format!("no VmRSS line in {path}"))
}

/// `VmRSS:     23456 kB` → 23456 for `field` `VmRSS:`.
fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_data_flags_name_feedback_only_when_asked() {
        let mut what = Synthetic {
            dossiers: 100,
            feedback: 0,
            password: "pw",
        };
        assert_eq!(
            what.args().join(" "),
            "bench-data --dossiers 100 --password pw"
        );
        what.feedback = 2000;
        assert_eq!(
            what.args().join(" "),
            "bench-data --dossiers 100 --feedback 2000 --password pw"
        );
    }

    #[test]
    fn finds_the_open311_key() {
        assert_eq!(parse_open311_key("o311_AbC-d_9\n"), Some("o311_AbC-d_9"));
        assert_eq!(
            parse_open311_key("{\"level\":\"INFO\"}\n o311_k \n\n"),
            Some("o311_k")
        );
        assert_eq!(parse_open311_key("o311_\n"), None);
        assert_eq!(parse_open311_key("error: no commune\n"), None);
        assert_eq!(parse_open311_key("o311_a b\n"), None);
        assert_eq!(parse_open311_key(""), None);
    }

    #[test]
    fn quotes_only_what_a_shell_would_split() {
        assert_eq!(
            shell_word("postgres://u@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(
            shell_word("postgres://h/x?options[search_path]=s&options[citus.shard_count]=8"),
            "'postgres://h/x?options[search_path]=s&options[citus.shard_count]=8'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn reads_vm_rss_and_hwm() {
        let status =
            "Name:\txaso\nVmPeak:\t 99 kB\nVmHWM:\t   30000 kB\nVmRSS:\t   23456 kB\nThreads:\t4\n";
        assert_eq!(parse_status_kib(status, "VmRSS:"), Some(23456));
        assert_eq!(parse_status_kib(status, "VmHWM:"), Some(30000));
        assert_eq!(parse_status_kib("Name:\txaso\n", "VmRSS:"), None);
    }
}
