//! Synthetic Indonesian households and the five source extracts, for demos, tests and
//! benchmarks.
//!
//! Real registry data cannot leave the district, yet the importers, the record linker and the
//! screens need data that looks and fails like the real thing. This crate makes it up:
//!
//! - [`generate`] streams a population of family cards ([`ValidHousehold`] values that pass
//!   the domain's own validation) with plausible names, ages, family shapes and unique NIK and
//!   KK numbers, deterministic for a seed;
//! - [`write_extracts`] writes ektp.csv, kk.csv, dtks.csv, kps.csv and jkn.csv from those
//!   households, in the formats of `FORMATS.md`, with the disagreements real sources have, and
//!   a truth.csv naming the person behind every row so a linker can be scored.
//!
//! [`ValidHousehold`]: pintu_domain::household::ValidHousehold

pub mod extracts;
mod names;
mod noise;
mod pick;
pub mod population;
mod vocab;

pub use extracts::{ExtractSummary, write_extracts};
pub use population::{SynthConfig, generate};
