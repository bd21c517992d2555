//! The Xã Số kernel: what every feature room needs and nothing feature-specific.

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod figures;
pub mod files;
pub mod future;
pub mod i18n;
pub mod jobs;
pub mod migration;
pub mod notify;
pub mod numbers;
pub mod otp;
pub mod paging;
pub mod payments;
pub mod qr;
pub mod room;
pub mod search;
pub mod tenancy;
pub mod text;
pub mod time;
pub mod units;
pub mod web;
