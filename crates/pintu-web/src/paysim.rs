//! A local payment simulator, for demonstrations and tests: a bank's payment page where a
//! resident "pays" a bill, after which the simulator calls Pintu back with a signed webhook
//! exactly as a bank, e-wallet or retail outlet would. It moves no money and talks only to
//! the Pintu it was started for.
//!
//! It is an e-wallet gateway too (`POST /debit`): it takes Pintu's signed auto-debit
//! requests, debits a pretend balance per phone number (generous, except for a number
//! ending in `0000`, which has none, so that refusals can be tried), and calls Pintu back
//! signed on `/api/v1/payments/callbacks/auto_debit`. The same request id is the same debit:
//! sent again, it gets the same answer and charges nothing more.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// Where the simulator sends its callbacks, and the secret it signs them with.
#[derive(Clone)]
pub struct Simulator {
    /// Pintu's base URL, e.g. `http://127.0.0.1:8080`.
    pub pintu: String,
    pub secret: String,
    client: reqwest::Client,
    wallets: std::sync::Arc<std::sync::Mutex<Wallets>>,
}

/// What every phone number holds in a pretend e-wallet at first (Rp 10,000,000).
pub const STARTING_BALANCE: i64 = 10_000_000;

/// The pretend e-wallets: what each phone number has spent, the debits answered, by
/// request id, and how many requests came in all (repeats included).
#[derive(Default)]
struct Wallets {
    spent: std::collections::HashMap<String, i64>,
    answered: std::collections::HashMap<String, pintu_service::autodebit::GatewayAnswer>,
    received: usize,
}

fn starting_balance(phone: &str) -> i64 {
    if phone.ends_with("0000") {
        0
    } else {
        STARTING_BALANCE
    }
}

impl Simulator {
    pub fn new(pintu: impl Into<String>, secret: impl Into<String>) -> Simulator {
        Simulator {
            pintu: pintu.into().trim_end_matches('/').to_string(),
            secret: secret.into(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            wallets: Default::default(),
        }
    }

    /// What the pretend e-wallet of `phone` (`+62...`) holds now.
    pub fn balance(&self, phone: &str) -> i64 {
        let spent = self
            .wallets
            .lock()
            .map(|w| w.spent.get(phone).copied().unwrap_or(0))
            .unwrap_or(0);
        starting_balance(phone) - spent
    }

    /// How many debit requests came, a request sent again counted again.
    pub fn debit_requests_received(&self) -> usize {
        self.wallets.lock().map(|w| w.received).unwrap_or(0)
    }

    /// Answers a debit request once per request id: accepted if the wallet holds the
    /// amount (and debits it), refused otherwise; a repeat gets the first answer.
    fn debit(
        &self,
        d: &pintu_service::autodebit::DebitRequestBody,
    ) -> (pintu_service::autodebit::GatewayAnswer, bool) {
        use pintu_service::autodebit::GatewayAnswer;
        let Ok(mut w) = self.wallets.lock() else {
            return (
                GatewayAnswer {
                    status: "refused".into(),
                    reason: Some("gateway_error".into()),
                },
                false,
            );
        };
        w.received += 1;
        if let Some(a) = w.answered.get(&d.request_id) {
            return (a.clone(), true);
        }
        let spent = w.spent.get(&d.phone).copied().unwrap_or(0);
        let answer = if d.amount <= 0 {
            GatewayAnswer {
                status: "refused".into(),
                reason: Some("amount_invalid".into()),
            }
        } else if starting_balance(&d.phone) - spent < d.amount {
            GatewayAnswer {
                status: "refused".into(),
                reason: Some("insufficient_balance".into()),
            }
        } else {
            w.spent.insert(d.phone.clone(), spent + d.amount);
            GatewayAnswer {
                status: "accepted".into(),
                reason: None,
            }
        };
        w.answered.insert(d.request_id.clone(), answer.clone());
        (answer, false)
    }

    /// Sends a signed debit callback to Pintu for an accepted debit; the status and body of
    /// its answer.
    pub async fn debited(
        &self,
        d: &pintu_service::autodebit::DebitRequestBody,
    ) -> reqwest::Result<(u16, String)> {
        let body = serde_json::to_vec(&serde_json::json!({
            "status": "paid",
            "va_number": d.va_number,
            "amount": d.amount,
            "reference": format!("SIMDEBIT-{}", d.request_id.replace('-', "")),
        }))
        .unwrap_or_default();
        let ts = chrono::Utc::now().timestamp();
        let sig = pintu_service::sms::sign(&self.secret, ts, &body);
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/payments/callbacks/auto_debit",
                self.pintu
            ))
            .header("content-type", "application/json")
            .header("idempotency-key", &d.request_id)
            .header("x-pintu-timestamp", ts.to_string())
            .header("x-pintu-signature", format!("sha256={sig}"))
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await.unwrap_or_default()))
    }

    /// Sends a signed payment callback to Pintu; the status and body of its answer.
    pub async fn pay(
        &self,
        channel: &str,
        va: &str,
        amount: i64,
        reference: &str,
    ) -> reqwest::Result<(u16, String)> {
        let body = serde_json::to_vec(&serde_json::json!({
            "va_number": va,
            "amount": amount,
            "reference": reference,
        }))
        .unwrap_or_default();
        let ts = chrono::Utc::now().timestamp();
        let sig = pintu_service::sms::sign(&self.secret, ts, &body);
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/payments/callbacks/{channel}",
                self.pintu
            ))
            .header("content-type", "application/json")
            .header("idempotency-key", reference)
            .header("x-pintu-timestamp", ts.to_string())
            .header("x-pintu-signature", format!("sha256={sig}"))
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await.unwrap_or_default()))
    }
}

/// A fresh random secret (256 bits) for a demonstration's callbacks.
pub fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/pay", get(page).post(pay))
        .route("/debit", post(debit))
        .with_state(sim)
}

#[derive(Template)]
#[template(path = "paysim.html")]
struct PayPage {
    va: String,
    amount: String,
    ret: String,
    back: String,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
struct PayQuery {
    #[serde(default)]
    va: String,
    #[serde(default)]
    amount: String,
    #[serde(default, rename = "return")]
    ret: String,
    #[serde(default)]
    channel: String,
}

/// Only a path on the Pintu the simulator serves: never another site.
fn safe_return(ret: &str) -> String {
    if ret.starts_with('/') && !ret.starts_with("//") && !ret.contains('\\') {
        ret.to_string()
    } else {
        "/me".to_string()
    }
}

fn html(status: StatusCode, p: &PayPage) -> Response {
    match p.render() {
        Ok(body) => (status, axum::response::Html(body)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn page(State(sim): State<Simulator>, Query(q): Query<PayQuery>) -> Response {
    let ret = safe_return(&q.ret);
    html(
        StatusCode::OK,
        &PayPage {
            back: format!("{}{ret}", sim.pintu),
            va: q.va,
            amount: q.amount,
            ret,
            error: None,
            done: None,
        },
    )
}

async fn pay(State(sim): State<Simulator>, Form(q): Form<PayQuery>) -> Response {
    let ret = safe_return(&q.ret);
    let back = format!("{}{ret}", sim.pintu);
    let amount = q.amount.trim().replace('.', "");
    let reference = format!("SIM-{}", uuid::Uuid::new_v4().simple());
    let channel = match q.channel.as_str() {
        "ewallet" | "retail" => q.channel.clone(),
        _ => "bank_va".to_string(),
    };
    let answer = match amount.parse::<i64>() {
        Ok(n) => sim.pay(&channel, q.va.trim(), n, &reference).await.ok(),
        Err(_) => None,
    };
    let (status, error, done) = match answer {
        Some((s, _)) if s == 200 || s == 201 => (StatusCode::OK, None, Some(reference)),
        Some((s, body)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(format!("Pintu menolak / Pintu refused ({s}): {body}")),
            None,
        ),
        None => (
            StatusCode::BAD_GATEWAY,
            Some(
                "Jumlah tidak sah atau Pintu tidak terjangkau / Bad amount or Pintu unreachable"
                    .into(),
            ),
            None,
        ),
    };
    html(
        status,
        &PayPage {
            va: q.va,
            amount,
            ret,
            back,
            error,
            done,
        },
    )
}

/// An auto-debit request from Pintu, signed with the shared secret: answered at once, and
/// an accepted one (again on a repeat, as a gateway retries its callbacks) called back
/// signed in the background, as a wallet would after taking the money.
async fn debit(
    State(sim): State<Simulator>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if pintu_service::sms::verify(
        Some(&sim.secret),
        header("x-pintu-timestamp"),
        header("x-pintu-signature"),
        &body,
        chrono::Utc::now(),
    )
    .is_err()
    {
        return (StatusCode::UNAUTHORIZED, "signature invalid").into_response();
    }
    let Ok(d) = serde_json::from_slice::<pintu_service::autodebit::DebitRequestBody>(&body) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "malformed request").into_response();
    };
    let (answer, _repeat) = sim.debit(&d);
    if answer.status == "accepted" {
        let sim = sim.clone();
        tokio::spawn(async move {
            match sim.debited(&d).await {
                Ok((status, _)) if status < 300 => {}
                Ok((status, body)) => {
                    tracing::warn!(status, %body, "Pintu refused the debit callback")
                }
                Err(e) => tracing::warn!(error = %e, "debit callback not delivered"),
            }
        });
    }
    axum::Json(answer).into_response()
}
