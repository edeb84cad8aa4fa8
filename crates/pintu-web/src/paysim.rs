//! A local payment simulator, for demonstrations and tests: a bank's payment page where a
//! resident "pays" a bill, after which the simulator calls Pintu back with a signed webhook
//! exactly as a bank, e-wallet or retail outlet would. It moves no money and talks only to
//! the Pintu it was started for.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

/// Where the simulator sends its callbacks, and the secret it signs them with.
#[derive(Clone)]
pub struct Simulator {
    /// Pintu's base URL, e.g. `http://127.0.0.1:8080`.
    pub pintu: String,
    pub secret: String,
    client: reqwest::Client,
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
        }
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
