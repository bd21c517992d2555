//! Writes a sample VietQR payload and its QR image for the independent check in `e2e/vietqr`.
//!
//! Usage: `cargo run -p xaso-services --example vietqr_sample -- DIR`
//! writes `DIR/payload.txt` (the payload, no trailing newline) and `DIR/qr.png`.

use std::path::PathBuf;

use kernel::payments::vietqr::{self, BankAccount};

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("usage: vietqr_sample DIR"))?,
    );
    std::fs::create_dir_all(&dir)?;
    let account = BankAccount {
        bin: "970436".into(),
        account_number: "0011001234567".into(),
        account_name: "UBND XA THUONG LAM".into(),
    };
    let payload = vietqr::payload(&account, Some(50_000), "HS-17071-000123 lệ phí")?;
    std::fs::write(dir.join("payload.txt"), &payload)?;
    std::fs::write(dir.join("qr.png"), vietqr::png(&payload, 4))?;
    std::fs::write(dir.join("qr.svg"), vietqr::svg(&payload))?;
    println!("{payload}");
    Ok(())
}
