//! `xaso import households FILE --commune CODE`: the register's import on the command line,
//! with a progress bar on the terminal, every refused row on stderr (row, column, reason) and
//! a non-zero exit status when any row was refused. `--template` prints the CSV header.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Subcommand;
use kernel::config::Config;
use registry::actions::imports::{self, Importer};
use registry::sheet::Input;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Households from a CSV, XLSX or ODS file (upsert by household code; the same file twice
    /// changes nothing).
    Households {
        /// The file; leave it out with --template.
        file: Option<PathBuf>,
        /// The commune's code (5 digits).
        #[arg(long, required_unless_present = "template")]
        commune: Option<String>,
        /// Check and report only: write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the template's CSV header and exit.
        #[arg(long)]
        template: bool,
    },
}

/// A bar like `[#########           ]  45%  45,000 / 100,000 rows`, redrawn in place.
fn bar(done: u64, total: u64) -> String {
    let pct = (done * 100).checked_div(total).unwrap_or(100).min(100);
    let filled = (pct / 5) as usize;
    format!(
        "\r[{}{}] {:>3}%  {} / {} rows",
        "#".repeat(filled),
        " ".repeat(20 - filled),
        pct,
        kernel::numbers::int(done as i64),
        kernel::numbers::int(total as i64)
    )
}

pub async fn run(config: Config, what: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Households {
        file,
        commune,
        dry_run,
        template,
    } = what;
    if template {
        println!("{}", registry::columns::template());
        return Ok(());
    }
    let file = file.ok_or_else(|| anyhow::anyhow!("name the file to import"))?;
    let code = commune.unwrap_or_default();
    let p = xaso::build(config).await?;
    let c = p
        .state
        .communes
        .active(&code)
        .map_err(|_| anyhow::anyhow!("commune {code} is not active on this platform"))?;
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut last = 0u64;
    let mut progress = |done: u64, total: u64| {
        if tty && (done == total || done >= last + 1000 || done == 0) {
            last = done;
            let mut err = std::io::stderr();
            let _ = write!(err, "{}", bar(done, total));
            let _ = err.flush();
        }
    };
    let report = imports::direct(
        p.state.kernel(),
        Importer::Operator,
        &c,
        Input::Path(file.clone()),
        !dry_run,
        kernel::i18n::Locale::Vi,
        &mut progress,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", kernel::error::AppError::from(e)))?;
    if tty {
        eprintln!();
    }
    if let Some(f) = &report.file {
        anyhow::bail!("{}: {} {}", file.display(), f.message, f.columns.join(", "));
    }
    for f in &report.faults {
        eprintln!("dòng {}, cột {}: {}", f.row, f.column, f.message);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {} dòng — {} mới, {} cập nhật, {} giữ nguyên, {} bị từ chối{} ({:.1} s, {} dòng/s)",
        file.display(),
        report.rows,
        report.new,
        report.updated,
        report.unchanged,
        report.refused,
        if dry_run {
            "; chưa ghi gì (--dry-run)"
        } else {
            ""
        },
        secs,
        (report.rows as f64 / secs.max(0.001)) as u64
    );
    if report.new + report.updated > 0 && !dry_run {
        kernel::cache::bus::tell_everything_changed(&p.state.db).await?;
    }
    if report.refused > 0 {
        std::process::exit(2);
    }
    Ok(())
}
