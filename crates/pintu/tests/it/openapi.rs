//! The OpenAPI document is part of the public contract: the committed copy must match.

const COMMITTED: &str = include_str!("../../../../docs/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_handlers() {
    let current = pintu_web::openapi_document();
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json"),
            format!("{current}\n"),
        )
        .expect("write docs/openapi.json");
        return;
    }
    assert_eq!(
        COMMITTED.trim_end(),
        current.trim_end(),
        "the API changed: review it, then run UPDATE_OPENAPI=1 cargo test openapi"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_lists_every_endpoint() {
    let doc: serde_json::Value =
        serde_json::from_str(&pintu_web::openapi_document()).expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/api/v1/households",
        "/api/v1/households/{id}",
        "/api/v1/persons/{id}",
        "/api/v1/persons/search",
        "/api/v1/persons",
        "/api/v1/persons/{id}/events",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(
        !pintu_web::openapi_document().contains("{nik}"),
        "no NIK in any path"
    );
}

#[tokio::test]
async fn the_server_serves_its_openapi_document() {
    let app = pintu_testkit::spawn_app(pintu_testkit::Backend::Sqlite).await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["info"]["title"], "Pintu API");
}
