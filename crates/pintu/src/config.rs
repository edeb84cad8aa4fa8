//! Layered configuration: defaults → `pintu.toml` (or `--config`) → `PINTU_*` environment
//! variables → command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub database: DatabaseConfig,
    pub server: ServerConfig,
    #[serde(default)]
    pub files: FilesConfig,
    #[serde(default)]
    pub complaints: ComplaintsConfig,
    #[serde(default)]
    pub sms: SmsConfig,
    #[serde(default)]
    pub payments: PaymentsConfig,
}

/// Payment channels.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PaymentsConfig {
    /// The secret banks, e-wallets and retail outlets sign their callbacks
    /// (`POST /api/v1/payments/callbacks/{channel}`) with; without one, callbacks are refused.
    #[serde(default)]
    pub callback_secret: Option<String>,
    /// Where residents pay a bill online (given `va`, `amount` and `return`); no button
    /// without one. `pintu paysim` serves such a page for demonstrations.
    #[serde(default)]
    pub page_url: Option<String>,
    /// Serve the local payment simulator (a pretend bank page that calls back signed with
    /// `callback_secret`) at this address too, for demonstrations; `pintu demo` turns it on.
    #[serde(default)]
    pub simulator_listen: Option<String>,
    /// The e-wallet gateway auto-debits are sent to (`POST`, signed with `callback_secret`);
    /// without one, debits are recorded and not sent. `pintu demo` uses the simulator's.
    #[serde(default)]
    pub debit_url: Option<String>,
}

/// Where SMS to residents go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmsConfig {
    /// `file` (default: each message is written as a JSON line to `file`, for demos and
    /// tests) or `http` (posted to an SMS aggregator at `url`).
    pub gateway: String,
    /// For `file`: the file; default `<files.dir>/sms-outbox.jsonl`.
    #[serde(default)]
    pub file: Option<String>,
    /// For `http`: the aggregator's URL, and its bearer token if it wants one.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// The secret the aggregator signs inbound SMS (`POST /api/v1/sms/inbound`) and
    /// delivery reports (`POST /api/v1/sms/status`) with; without one, both are refused.
    #[serde(default)]
    pub inbound_secret: Option<String>,
    /// Seconds to wait for the aggregator before retrying later.
    pub timeout_seconds: u64,
    /// How often `serve` sends the queued messages (seconds; 0 turns the dispatcher off,
    /// e.g. when `pintu messages dispatch` runs from cron instead).
    pub dispatch_interval_seconds: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            gateway: "file".into(),
            file: None,
            url: None,
            token: None,
            inbound_secret: None,
            timeout_seconds: 10,
            dispatch_interval_seconds: 30,
        }
    }
}

impl SmsConfig {
    /// Where the `file` gateway writes messages.
    pub fn file_path(&self, files_dir: &str) -> String {
        self.file.clone().unwrap_or_else(|| {
            std::path::Path::new(files_dir)
                .join("sms-outbox.jsonl")
                .to_string_lossy()
                .into_owned()
        })
    }

    /// The configured gateway.
    pub fn gateway(
        &self,
        files_dir: &str,
    ) -> anyhow::Result<Box<dyn pintu_service::messages::Gateway>> {
        use pintu_service::messages::{FileGateway, HttpGateway};
        match self.gateway.as_str() {
            "file" => Ok(Box::new(FileGateway::new(self.file_path(files_dir)))),
            "http" => {
                let url = self
                    .url
                    .as_deref()
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "sms.url: an http:// or https:// URL is needed for the http gateway"
                        )
                    })?;
                let gateway = HttpGateway::new(
                    url,
                    self.token.clone(),
                    std::time::Duration::from_secs(self.timeout_seconds.max(1)),
                )
                .map_err(|e| anyhow::anyhow!("sms gateway: {e}"))?;
                Ok(Box::new(gateway))
            }
            other => anyhow::bail!("sms.gateway: {other:?} is not a gateway (file or http)"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComplaintsConfig {
    /// How often `serve` looks for overdue complaints to escalate (minutes; 0 turns the
    /// scheduler off, e.g. when `pintu complaints escalate` runs from cron instead).
    pub escalation_interval_minutes: u64,
    /// Days each level has to deal with a complaint, overriding the defaults: keys `level`
    /// (`village`, `subdistrict`, `district`, `unit`, `ombudsman`) or `category.level`
    /// (e.g. `benefit_delay.district`).
    #[serde(default)]
    pub deadline_days: std::collections::BTreeMap<String, u32>,
}

impl Default for ComplaintsConfig {
    fn default() -> Self {
        ComplaintsConfig {
            escalation_interval_minutes: 15,
            deadline_days: Default::default(),
        }
    }
}

impl ComplaintsConfig {
    pub fn deadlines(&self) -> anyhow::Result<pintu_domain::complaints::Deadlines> {
        pintu_domain::complaints::Deadlines::with_overrides(
            self.deadline_days.iter().map(|(k, v)| (k.as_str(), *v)),
        )
        .map_err(|e| anyhow::anyhow!("complaints.deadline_days: {e}"))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilesConfig {
    /// Where uploaded files are kept (source extracts until their import has finished).
    pub dir: String,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            dir: pintu_service::DEFAULT_FILES_DIR.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseConfig {
    /// `sqlite://pintu-data/pintu.db?mode=rwc` (default) or `postgres://user:pass@host/db`.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerConfig {
    pub listen: String,
    /// Mark cookies Secure; turn on when serving behind TLS.
    pub secure_cookies: bool,
    /// Run migrations at start-up so a new binary never serves an old schema.
    pub migrate_on_start: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig {
                url: pintu_store::DEFAULT_DATABASE_URL.to_string(),
            },
            server: ServerConfig {
                listen: "127.0.0.1:8080".into(),
                secure_cookies: false,
                migrate_on_start: true,
            },
            files: FilesConfig::default(),
            complaints: ComplaintsConfig::default(),
            sms: SmsConfig::default(),
            payments: PaymentsConfig::default(),
        }
    }
}

/// The environment variables Pintu reads, and where each goes.
const ENV_KEYS: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("LISTEN", "server.listen"),
    ("SECURE_COOKIES", "server.secure_cookies"),
    ("MIGRATE_ON_START", "server.migrate_on_start"),
    ("FILES_DIR", "files.dir"),
    (
        "ESCALATION_INTERVAL_MINUTES",
        "complaints.escalation_interval_minutes",
    ),
    ("SMS_GATEWAY", "sms.gateway"),
    ("SMS_URL", "sms.url"),
    ("SMS_TOKEN", "sms.token"),
    ("SMS_INBOUND_SECRET", "sms.inbound_secret"),
    ("PAYMENTS_CALLBACK_SECRET", "payments.callback_secret"),
    ("PAYMENTS_PAGE_URL", "payments.page_url"),
    ("PAYMENTS_SIMULATOR_LISTEN", "payments.simulator_listen"),
    ("PAYMENTS_DEBIT_URL", "payments.debit_url"),
    ("CONFIG", ""),
    ("LOG", ""),
    ("TEST_DATABASE_URL", ""),
];

/// Loads the configuration from its layers; flags are applied by the caller.
pub fn load(path: Option<&str>) -> anyhow::Result<Config> {
    for (key, _) in std::env::vars() {
        if let Some(name) = key.strip_prefix("PINTU_")
            && !ENV_KEYS.iter().any(|(k, _)| *k == name)
        {
            tracing::warn!(variable = %key, "unknown PINTU_ environment variable is ignored");
        }
    }
    let file = path
        .map(str::to_string)
        .or_else(|| std::env::var("PINTU_CONFIG").ok())
        .unwrap_or_else(|| "pintu.toml".into());
    let env = Env::prefixed("PINTU_").filter_map(|k| {
        ENV_KEYS
            .iter()
            .find(|(name, _)| k.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, to)| (!to.is_empty()).then(|| (*to).into()))
    });
    let config: Config = Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::file(&file))
        .merge(env)
        .extract()?;
    pintu_store::check_url(&config.database.url).map_err(|e| anyhow::anyhow!(e))?;
    config.complaints.deadlines()?;
    Ok(config)
}

/// The configuration as TOML with the database password and the SMS token hidden.
pub fn redacted(config: &Config) -> String {
    let mut shown = config.clone();
    shown.database.url = redact_url(&shown.database.url);
    for secret in [
        &mut shown.sms.token,
        &mut shown.sms.inbound_secret,
        &mut shown.payments.callback_secret,
    ] {
        if secret.is_some() {
            *secret = Some("***".into());
        }
    }
    toml::to_string_pretty(&shown).unwrap_or_default()
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:****{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://pintu:s3cret@db:5432/pintu"),
            "postgres://pintu:****@db:5432/pintu"
        );
        assert_eq!(
            redact_url("sqlite://pintu-data/pintu.db"),
            "sqlite://pintu-data/pintu.db"
        );
    }
}
