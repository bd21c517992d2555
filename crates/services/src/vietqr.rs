//! VietQR payment codes: the NAPAS/EMVCo payload and its QR image.
