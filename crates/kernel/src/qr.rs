//! QR codes as SVG (inlined in pages) and PNG (downloads, labels): VietQR payment codes now,
//! trace labels next. One rendering rule for every room: level M, a 4-module quiet zone,
//! black on white.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The most bytes a caller may encode: what a level-M symbol holds, with room to spare.
pub const MAX_BYTES: usize = 2_000;

/// The QR symbol for `data`, at error-correction level M.
///
/// # Panics
/// If `data` is longer than a QR code holds at level M (about 2,300 bytes).
fn symbol(data: &str) -> QrCode {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .expect("QR data fits in a level-M code")
}

/// The number of modules on one side of the symbol for `data` (without the quiet zone).
pub fn modules(data: &str) -> u32 {
    symbol(data).width() as u32
}

/// The QR code as a standalone SVG element (no XML prolog, so it can be inlined in HTML):
/// whole-pixel modules as large as fit in 240 × 240 px; its `viewBox` lets CSS scale it.
///
/// # Panics
/// If `data` does not fit in a QR code (callers keep it under [`MAX_BYTES`]).
pub fn svg(data: &str) -> String {
    let image = symbol(data)
        .render::<svg::Color>()
        .quiet_zone(true)
        .max_dimensions(240, 240)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    }
}

/// The QR code as a grayscale PNG, each module `scale` pixels square (at least 1).
///
/// # Panics
/// If `data` does not fit in a QR code (callers keep it under [`MAX_BYTES`]).
pub fn png(data: &str, scale: u32) -> Vec<u8> {
    let scale = scale.max(1);
    let image = symbol(data)
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .build();
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .expect("PNG encoding into memory cannot fail");
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_renders() {
        let s = svg("https://xaso.vn/t/17071-ABC");
        assert!(s.starts_with("<svg"), "{}", &s[..40]);
        assert!(s.ends_with("</svg>"));
        assert!(s.contains(r##"fill="#000""##));
        assert!(s.contains("viewBox"));
    }

    #[test]
    fn png_decodes_to_expected_size() {
        let data = "https://xaso.vn/t/17071-ABC";
        let bytes = png(data, 4);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let img = image::load_from_memory_with_format(&bytes, ImageFormat::Png)
            .unwrap()
            .to_luma8();
        let side = (modules(data) + 8) * 4;
        assert_eq!(img.dimensions(), (side, side));
        // Quiet zone is white, the top-left finder pattern's corner is black.
        assert_eq!(img.get_pixel(0, 0).0, [255]);
        assert_eq!(img.get_pixel(16, 16).0, [0]);
    }
}
