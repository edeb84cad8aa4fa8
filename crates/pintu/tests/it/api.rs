//! The HTTP API through a real server on 127.0.0.1: every endpoint's happy path and errors.

use pintu_testkit::{Backend, backends, spawn_app};
use serde_json::json;

use crate::{VILLAGE, household, json_of, nik};

#[tokio::test]
async fn households_and_persons_round_trip_through_the_api_on_every_backend() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let resp = app
            .post(
                &o.token,
                "/api/v1/households",
                &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno Wibowo"),
            )
            .await;
        assert_eq!(resp.status(), 201, "{backend:?}");
        let created = json_of(resp).await;
        let hid = created["household_id"].as_str().expect("id").to_string();
        let pid = created["person_ids"][0].as_str().expect("id").to_string();

        let h = json_of(
            app.get(&o.token, &format!("/api/v1/households/{hid}"))
                .await,
        )
        .await;
        assert_eq!(h["household"]["member_count"], 3);
        assert_eq!(h["members"][0]["full_name"], "Sutrisno Wibowo");
        assert_eq!(h["members"][2]["nik_pending"], true);

        let p = json_of(app.get(&o.token, &format!("/api/v1/persons/{pid}")).await).await;
        assert_eq!(p["person"]["nik"], nik(VILLAGE, 1));
        assert_eq!(p["household"]["id"], hid.as_str());

        let patched = app
            .patch(
                &o.token,
                &format!("/api/v1/persons/{pid}"),
                &json!({"occupation": "PETANI", "reason": "survei"}),
            )
            .await;
        assert_eq!(patched.status(), 200);
        assert_eq!(json_of(patched).await["occupation"], "PETANI");

        let found = json_of(
            app.post(
                &o.token,
                "/api/v1/persons/search",
                &json!({"nik": nik(VILLAGE, 1)}),
            )
            .await,
        )
        .await;
        assert_eq!(found["items"].as_array().expect("items").len(), 1);
        let by_name = json_of(
            app.post(&o.token, "/api/v1/persons/search", &json!({"name": "siti"}))
                .await,
        )
        .await;
        assert_eq!(by_name["items"][0]["full_name"], "Siti Aminah");

        let page = json_of(app.get(&o.token, "/api/v1/persons?limit=2").await).await;
        assert_eq!(page["items"].as_array().expect("items").len(), 2);
        let next = page["next"].as_str().expect("a next page").to_string();
        let page2 = json_of(
            app.get(&o.token, &format!("/api/v1/persons?limit=2&after={next}"))
                .await,
        )
        .await;
        assert_eq!(page2["items"].as_array().expect("items").len(), 1);
        let hpage = json_of(
            app.get(&o.token, &format!("/api/v1/households?area={VILLAGE}"))
                .await,
        )
        .await;
        assert_eq!(hpage["items"][0]["id"], hid.as_str());

        let event = app
            .post(
                &o.token,
                &format!("/api/v1/persons/{pid}/events"),
                &json!({"kind": "birth", "date": "2026-01-05", "full_name": "Putri", "sex": "P"}),
            )
            .await;
        assert_eq!(event.status(), 201);
        assert!(json_of(event).await["new_person_id"].is_string());
        let member = app.post(&o.token, &format!("/api/v1/households/{hid}/members"), &json!({"full_name": "Nenek", "sex": "P", "birth_date": "1950-02-02", "relationship": "ORANG TUA"})).await;
        assert_eq!(member.status(), 201);

        let wife = created["person_ids"][1].as_str().expect("id").to_string();
        let out = app
            .post(
                &o.token,
                &format!("/api/v1/persons/{wife}/household"),
                &json!({"reason": "cerai"}),
            )
            .await;
        assert_eq!(out.status(), 204);
        let moved = json_of(app.get(&o.token, &format!("/api/v1/persons/{wife}")).await).await;
        assert!(moved["person"]["household_id"].is_null());
        let back = app
            .post(
                &o.token,
                &format!("/api/v1/persons/{wife}/household"),
                &json!({"household_id": hid, "relationship": "ISTRI"}),
            )
            .await;
        assert_eq!(back.status(), 204);
        let no_relationship = app
            .post(
                &o.token,
                &format!("/api/v1/persons/{wife}/household"),
                &json!({"household_id": hid}),
            )
            .await;
        assert_eq!(no_relationship.status(), 422);

        let areas = json_of(app.get(&o.token, "/api/v1/areas?parent=35.07.01").await).await;
        assert!(
            areas
                .as_array()
                .expect("areas")
                .iter()
                .any(|a| a["code"] == VILLAGE)
        );
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_writes_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let cases = [
        (
            json!({"village_code": VILLAGE, "members": [{"nik": "123", "full_name": "A", "sex": "L", "birth_date": "1980-01-01", "relationship": "KEPALA KELUARGA"}]}),
            422,
            "nik_wrong_length",
            "members[0].nik",
        ),
        (
            json!({"village_code": VILLAGE, "members": [{"nik": "3507013202800001", "full_name": "A", "sex": "L", "birth_date": "1980-02-01", "relationship": "KEPALA KELUARGA"}]}),
            422,
            "nik_impossible_birth_date",
            "members[0].nik",
        ),
        (
            json!({"village_code": VILLAGE, "members": [{"full_name": "A", "sex": "L", "birth_date": "1980-02-30", "relationship": "KEPALA KELUARGA"}]}),
            422,
            "date_invalid",
            "members[0].birth_date",
        ),
        (
            json!({"village_code": "35.07.01.9999", "members": [{"full_name": "A", "sex": "L", "birth_date": "1980-02-03", "relationship": "KEPALA KELUARGA"}]}),
            422,
            "village_unknown",
            "village_code",
        ),
        (
            json!({"village_code": VILLAGE, "members": []}),
            422,
            "members_required",
            "members",
        ),
    ];
    for (body, status, code, field) in cases {
        let resp = app.post(&o.token, "/api/v1/households", &body).await;
        assert_eq!(resp.status(), status, "{code}");
        let err = json_of(resp).await;
        assert_eq!(err["error"]["code"], code);
        assert_eq!(err["error"]["field"], field);
        assert!(
            !err["error"]["message"]
                .as_str()
                .expect("message")
                .is_empty()
        );
    }
    let malformed = app
        .client
        .post(app.url("/api/v1/households"))
        .bearer_auth(&o.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), 400);
    assert_eq!(json_of(malformed).await["error"]["code"], "malformed_json");
    let wrong_type = app
        .client
        .post(app.url("/api/v1/households"))
        .bearer_auth(&o.token)
        .body("x=1")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_type.status(), 415);
    let huge = "x".repeat(pintu_web::MAX_BODY_BYTES + 10);
    let too_large = app
        .post(
            &o.token,
            "/api/v1/households",
            &json!({"village_code": VILLAGE, "address": huge, "members": []}),
        )
        .await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(json_of(too_large).await["error"]["code"], "body_too_large");

    assert_eq!(
        app.post(
            &o.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "A")
        )
        .await
        .status(),
        201
    );
    let dup = app
        .post(
            &o.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "B"),
        )
        .await;
    assert_eq!(dup.status(), 409);
    let dup = json_of(dup).await;
    assert_eq!(
        (
            dup["error"]["code"].as_str(),
            dup["error"]["field"].as_str()
        ),
        (Some("nik_already_registered"), Some("members[0].nik"))
    );

    let counts = app
        .pintu
        .dashboard(&pintu_service::Ctx::system("test"))
        .await
        .expect("counts");
    assert_eq!(
        (counts.households, counts.persons),
        (1, 3),
        "only the one valid household was written"
    );
}

#[tokio::test]
async fn api_errors_speak_the_callers_language() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let body = json!({"nik": "12"});
    let id = app
        .client
        .post(app.url("/api/v1/persons/search"))
        .bearer_auth(&o.token)
        .header("accept-language", "id-ID")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(
        json_of(id).await["error"]["message"],
        "NIK harus tepat 16 angka."
    );
    let en = app.post(&o.token, "/api/v1/persons/search", &body).await;
    assert_eq!(
        json_of(en).await["error"]["message"],
        "A NIK has exactly 16 digits."
    );
}

#[tokio::test]
async fn the_api_refuses_callers_without_a_valid_token() {
    let app = spawn_app(Backend::Sqlite).await;
    let none = app
        .client
        .get(app.url("/api/v1/persons"))
        .send()
        .await
        .expect("request");
    assert_eq!(none.status(), 401);
    assert_eq!(json_of(none).await["error"]["code"], "unauthenticated");
    assert_eq!(
        app.get("pintu_not-a-real-token", "/api/v1/persons")
            .await
            .status(),
        401
    );
    let unknown = app.get("pintu_x", "/api/v1/no-such-thing").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(json_of(unknown).await["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_malformed_or_unknown_id_is_not_found() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    for path in [
        "/api/v1/persons/not-an-id",
        "/api/v1/persons/0192f6a0-0000-7000-8000-000000000000",
        "/api/v1/households/xyz",
    ] {
        let resp = app.get(&o.token, path).await;
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = spawn_app(Backend::Sqlite).await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("request");
    assert_eq!(ready.status(), 200);
    assert!(ready.headers().contains_key("x-request-id"));
}
