//! Starts a real Pintu for tests: a fresh database per test (an SQLite temp file, or a
//! database in a throwaway PostgreSQL cluster), the real router on 127.0.0.1 port 0, and a
//! client with a cookie store.
//!
//! Areas are loaded once per test process into a template (a template SQLite file, a
//! PostgreSQL template database) and copied for each test, so a test starts in milliseconds.

pub mod postgres;

use std::path::PathBuf;
use std::sync::OnceLock;

use pintu_service::{Ctx, Pintu};
use pintu_store::Store;
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends to run contract tests on: SQLite always, PostgreSQL when available (and
/// always under CI=true, where a missing PostgreSQL fails the test instead of skipping it).
pub fn backends() -> Vec<Backend> {
    match pg_server() {
        Some(_) => vec![Backend::Sqlite, Backend::Postgres],
        None => vec![Backend::Sqlite],
    }
}

fn pg_server() -> Option<&'static postgres::Server> {
    static SERVER: OnceLock<Option<postgres::Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| match postgres::available() {
            Ok(Some(server)) => {
                if let Some(cluster) = server.cluster() {
                    stop_with_this_process(cluster);
                }
                Some(server)
            }
            Ok(None) => None,
            Err(e) => panic!("{e}"),
        })
        .as_ref()
}

/// A static is never dropped, so a watchdog process stops the throwaway cluster and removes
/// its files once this test process has exited.
fn stop_with_this_process(cluster: &postgres::Cluster) {
    let (Some(postmaster), Some(dir)) = (cluster.pid(), cluster.data_dir().parent()) else {
        return;
    };
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 0.5; done; kill -QUIT {postmaster} 2>/dev/null; \
         for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 {postmaster} 2>/dev/null || break; sleep 0.5; done; rm -rf '{}'",
        dir.display()
    );
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// This process's directory for test databases, removed by a watchdog once the process exits.
fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pintu-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 0.5; done; rm -rf '{}'",
            std::process::id(),
            dir.display()
        );
        let _ = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        dir
    })
    .clone()
}

async fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            let path = scratch_dir().join("template.db");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            // A separate runtime-independent store: closed before any test copies the file.
            let store = Store::connect(&url).await.expect("template database");
            store.migrate().await.expect("migrate template");
            use pintu_store::sea_orm::ConnectionTrait;
            store
                .conn()
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .expect("checkpoint");
            store.close().await.expect("close template");
            path
        })
        .await
        .clone()
}

async fn pg_template() -> String {
    PG_TEMPLATE
        .get_or_init(|| async {
            let server = pg_server().expect("PostgreSQL available");
            let name = "pintu_template".to_string();
            let url = server
                .create_database(&name, None)
                .expect("create template database");
            let store = Store::connect(&url).await.expect("connect template");
            store.migrate().await.expect("migrate template");
            store.close().await.expect("close template");
            name
        })
        .await
        .clone()
}

/// A fresh, migrated database (areas loaded) for one test.
pub async fn fresh_store(backend: Backend) -> (Store, String) {
    let url = match backend {
        Backend::Sqlite => {
            let template = sqlite_template().await;
            let path = scratch_dir().join(format!("{}.db", uuid::Uuid::new_v4()));
            std::fs::copy(&template, &path).expect("copy template database");
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let template = pg_template().await;
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            pg_server()
                .expect("PostgreSQL available")
                .create_database(&name, Some(&template))
                .expect("create test database")
        }
    };
    let store = Store::connect(&url).await.expect("connect test database");
    store.migrate().await.expect("migrate test database");
    (store, url)
}

/// A new database with no schema at all (for the migrations' tests).
pub async fn empty_store(backend: Backend) -> (Store, String) {
    let url = match backend {
        Backend::Sqlite => {
            let path = scratch_dir().join(format!("{}.db", uuid::Uuid::new_v4()));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => pg_server()
            .expect("PostgreSQL available")
            .create_database(&format!("t_{}", uuid::Uuid::new_v4().simple()), None)
            .expect("create test database"),
    };
    let store = Store::connect(&url).await.expect("connect test database");
    (store, url)
}

/// A running application for one test.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub pintu: Pintu,
    pub database_url: String,
    /// A client without cookies, for the API.
    pub client: reqwest::Client,
}

/// An officer created for a test, with an API token.
#[derive(Debug, Clone)]
pub struct Officer {
    pub username: String,
    pub password: String,
    pub token: String,
}

pub const TEST_PASSWORD: &str = "correct horse battery";
/// The secret test apps accept inbound SMS signed with.
pub const TEST_SMS_SECRET: &str = "test-sms-secret";
/// The secret test apps accept payment callbacks signed with.
pub const TEST_PAYMENTS_SECRET: &str = "test-payments-secret";

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_paying_at(backend, None).await
}

/// An app whose residents pay their bills online at `payment_page`.
pub async fn spawn_app_paying_at(backend: Backend, payment_page: Option<String>) -> TestApp {
    spawn_configured(backend, payment_page, None).await
}

/// An app that sends e-wallet auto-debits to the gateway at `debit_url`.
pub async fn spawn_app_debiting_at(backend: Backend, debit_url: &str) -> TestApp {
    spawn_configured(backend, None, Some(debit_url.to_string())).await
}

async fn spawn_configured(
    backend: Backend,
    payment_page: Option<String>,
    debit_url: Option<String>,
) -> TestApp {
    let (store, database_url) = fresh_store(backend).await;
    // The shipped programme catalogue, as `pintu serve` loads it on first start.
    pintu_service::programmes::load_catalogue(&store, None)
        .await
        .expect("programme catalogue");
    pintu_service::membership::load_facilities(&store)
        .await
        .expect("facilities");
    let files = scratch_dir().join(format!("files-{}", pintu_store::new_id()));
    let pintu = Pintu::new(store)
        .with_files_dir(files)
        .with_sms_secret(Some(TEST_SMS_SECRET.into()))
        .with_payments_secret(Some(TEST_PAYMENTS_SECRET.into()))
        .with_debit_gateway(debit_url);
    let app = pintu_web::app(
        pintu_web::AppState::new(pintu.clone(), false).with_payment_page(payment_page),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum_serve(listener, app).await;
    });
    TestApp {
        backend,
        base: format!("http://{addr}"),
        pintu,
        database_url,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, app: axum::Router) -> std::io::Result<()> {
    axum::serve(listener, app).await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates an officer with `role` and home `area`, and an API token for them.
    pub async fn officer(&self, username: &str, role: &str, area: Option<&str>) -> Officer {
        let ctx = Ctx::system("test");
        self.pintu
            .create_user(&ctx, username, username, role, area, TEST_PASSWORD)
            .await
            .expect("create officer");
        let token = self
            .pintu
            .issue_api_token(&ctx, username, "test")
            .await
            .expect("issue token");
        Officer {
            username: username.to_string(),
            password: TEST_PASSWORD.to_string(),
            token,
        }
    }

    /// A client with a cookie store, for the pages.
    pub fn browser_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }
}
