//! Pintu's use cases. Every operation takes a [`Ctx`] (the acting user and the request id),
//! checks permission before doing anything, runs in a transaction, records history for
//! changes and writes the audit log for every read or change of personal data.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod autodebit;
pub mod booking;
pub mod bpjstk;
pub mod calls;
pub mod cases;
pub mod check;
pub mod complaints;
pub mod demo;
pub mod error;
pub mod imports;
pub mod matching;
pub mod membership;
pub mod messages;
pub mod payments;
pub mod programmes;
pub mod registry;
pub mod residents;
pub mod review;
pub mod sms;
pub mod sync;
mod sync_writer;

use std::sync::Arc;

use pintu_domain::Actor;
use pintu_store::Store;

pub use error::{Error, Result};

/// Who is acting and under which request: passed to every use case.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl Ctx {
    pub fn new(actor: Actor, request_id: Option<String>) -> Ctx {
        Ctx { actor, request_id }
    }

    pub fn system(job: &str) -> Ctx {
        Ctx {
            actor: Actor::System {
                job: job.to_string(),
            },
            request_id: None,
        }
    }
}

/// The running application: the store and the shared services around it. Cheap to clone.
#[derive(Clone)]
pub struct Pintu {
    pub store: Store,
    pub audit: audit::AuditSink,
    /// Books family payments with group commit.
    pub booker: booking::PaymentBooker,
    pub throttle: Arc<auth::LoginThrottle>,
    pub tokens: Arc<auth::TokenCache>,
    /// Where uploaded files are kept (imports resume from them after a restart).
    pub files_dir: Arc<std::path::PathBuf>,
    /// Days each level has to deal with a complaint.
    pub complaint_deadlines: Arc<pintu_domain::complaints::Deadlines>,
    /// The secret the SMS aggregator signs inbound SMS with; none turns them off.
    pub sms_secret: Arc<Option<String>>,
    /// The secret payment channels sign their callbacks with; none turns them off.
    pub payments_secret: Arc<Option<String>>,
    /// Wakes the dispatcher when a message should not wait for its next round (a login
    /// code).
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The e-wallet gateway auto-debits are sent to; none records them without sending.
    pub debit_gateway: Arc<Option<autodebit::DebitGateway>>,
    /// Wakes the debit sender when debits were recorded (a billing run).
    pub debit_wake: Arc<tokio::sync::Notify>,
}

/// The default directory for uploaded files.
pub const DEFAULT_FILES_DIR: &str = "pintu-data/files";

impl Pintu {
    /// Wraps a connected, migrated store and starts the audit writer.
    pub fn new(store: Store) -> Pintu {
        let audit = audit::AuditSink::start(store.clone());
        let booker = booking::PaymentBooker::start(store.clone());
        Pintu {
            store,
            audit,
            booker,
            throttle: Arc::new(auth::LoginThrottle::default()),
            tokens: Arc::new(auth::TokenCache::default()),
            files_dir: Arc::new(DEFAULT_FILES_DIR.into()),
            complaint_deadlines: Arc::new(pintu_domain::complaints::Deadlines::default()),
            sms_secret: Arc::new(None),
            payments_secret: Arc::new(None),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            debit_gateway: Arc::new(None),
            debit_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Uses `deadlines` for complaints instead of the defaults.
    pub fn with_complaint_deadlines(
        mut self,
        deadlines: pintu_domain::complaints::Deadlines,
    ) -> Pintu {
        self.complaint_deadlines = Arc::new(deadlines);
        self
    }

    /// Accepts inbound SMS signed with `secret`.
    pub fn with_sms_secret(mut self, secret: Option<String>) -> Pintu {
        self.sms_secret = Arc::new(secret.filter(|s| !s.is_empty()));
        self
    }

    /// Accepts payment callbacks signed with `secret`.
    pub fn with_payments_secret(mut self, secret: Option<String>) -> Pintu {
        self.payments_secret = Arc::new(secret.filter(|s| !s.is_empty()));
        self
    }

    /// Keeps uploaded files under `dir` instead of the default.
    pub fn with_files_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Pintu {
        self.files_dir = Arc::new(dir.into());
        self
    }
}

/// Today's date in Indonesia's western time zone (UTC+7), where most of the registry lives:
/// the date a counter officer sees on the wall.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}
