//! Pintu's pure domain: identifiers, people, households, areas and permissions.
//!
//! Nothing here does I/O or knows about async: every type is valid by construction and
//! every rule can be tested on its own.

pub mod access;
pub mod applications;
pub mod area;
pub mod autodebit;
pub mod bpjstk;
pub mod calls;
pub mod cases;
pub mod complaints;
pub mod conflicts;
pub mod files;
pub mod household;
pub mod jkn;
pub mod kk;
pub mod linkage;
pub mod messages;
pub mod names;
pub mod nik;
pub mod payments;
pub mod person;
pub mod programmes;
pub mod rules;
pub mod sms;
pub mod sources;
pub mod validation;

pub use access::{Actor, Role};
pub use area::{AreaCode, AreaError, AreaLevel};
pub use household::{HouseholdInput, MemberInput};
pub use kk::{KkError, KkNumber};
pub use nik::{Nik, NikError, NikWarning};
pub use person::{LifeStatus, Relationship, Sex};
pub use validation::{FieldError, Invalid};
