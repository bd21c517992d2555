//! Every integration test of the platform in one binary (one link of the whole platform, not
//! fourteen): each module drives the platform through HTTP on SQLite, and on PostgreSQL when
//! `XASO_TEST_PG_URL` is set.

#[macro_use]
mod common;

mod accounts;
mod api_contract;
mod civic;
mod community;
mod delivery;
mod doors;
mod faults;
mod figures;
mod forum_province;
mod front_door;
mod import_columns;
mod notices;
mod office;
mod one_stop;
mod open311;
mod otp;
mod payments;
mod platform;
mod polls;
mod processes;
mod push;
mod registry;
mod routing;
mod search;
mod security;
mod sensors;
mod services;
mod shard_keys;
mod surveys;
mod voice;
