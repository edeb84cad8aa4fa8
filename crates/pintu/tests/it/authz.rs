//! The authorisation matrix: every role, at its own area, a sibling, the parent and another
//! province, against every endpoint. Nothing outside an officer's area is returned or changed.

use pintu_testkit::{Backend, spawn_app};
use serde_json::{Value, json};

use crate::{VILLAGE, household, json_of, nik};

/// (username, role, home area, whether the record in VILLAGE is inside the area)
const OFFICERS: &[(&str, &str, Option<&str>, bool)] = &[
    ("v_own", "village_officer", Some(VILLAGE), true),
    (
        "v_sibling",
        "village_officer",
        Some(crate::SIBLING_VILLAGE),
        false,
    ),
    (
        "v_other_province",
        "village_officer",
        Some(crate::OTHER_PROVINCE_VILLAGE),
        false,
    ),
    ("s_parent", "subdistrict_officer", Some("35.07.01"), true),
    ("s_sibling", "subdistrict_officer", Some("35.07.02"), false),
    (
        "s_other_province",
        "subdistrict_officer",
        Some("32.01.01"),
        false,
    ),
    ("d_parent", "district_officer", Some("35.07"), true),
    ("d_sibling", "district_officer", Some("35.08"), false),
    ("d_other_province", "district_officer", Some("32.01"), false),
    ("p_parent", "province_officer", Some("35"), true),
    ("p_other_province", "province_officer", Some("32"), false),
    ("national", "national_officer", None, true),
    ("admin", "admin", None, true),
];

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn nothing_outside_an_officers_area_is_returned_or_changed() {
    let app = spawn_app(Backend::Sqlite).await;
    let owner = app.officer("owner", "village_officer", Some(VILLAGE)).await;
    let head_nik = nik(VILLAGE, 1);
    let created = json_of(
        app.post(
            &owner.token,
            "/api/v1/households",
            &household(VILLAGE, &head_nik, "Sutrisno Wibowo"),
        )
        .await,
    )
    .await;
    let hid = created["household_id"]
        .as_str()
        .expect("household")
        .to_string();
    let pid = created["person_ids"][0]
        .as_str()
        .expect("person")
        .to_string();

    for (i, (username, role, area, inside)) in OFFICERS.iter().enumerate() {
        let o = app.officer(username, role, *area).await;
        let t = &o.token;
        let who = format!("{username} ({role} at {area:?})");
        let visible = |status: u16| if *inside { status } else { 404 };

        assert_eq!(
            app.get(t, &format!("/api/v1/persons/{pid}")).await.status(),
            visible(200),
            "read person: {who}"
        );
        assert_eq!(
            app.get(t, &format!("/api/v1/households/{hid}"))
                .await
                .status(),
            visible(200),
            "read household: {who}"
        );

        let persons = json_of(app.get(t, "/api/v1/persons?limit=200").await).await;
        assert_eq!(ids(&persons).contains(&pid), *inside, "list persons: {who}");
        let households = json_of(app.get(t, "/api/v1/households?limit=200").await).await;
        assert_eq!(
            ids(&households).contains(&hid),
            *inside,
            "list households: {who}"
        );
        let narrowed = app
            .get(t, &format!("/api/v1/persons?area={VILLAGE}"))
            .await
            .status();
        assert_eq!(
            narrowed,
            if *inside { 200 } else { 403 },
            "list a foreign area: {who}"
        );

        let by_nik = json_of(
            app.post(t, "/api/v1/persons/search", &json!({"nik": head_nik}))
                .await,
        )
        .await;
        assert_eq!(ids(&by_nik).contains(&pid), *inside, "search by NIK: {who}");
        let by_name = json_of(
            app.post(t, "/api/v1/persons/search", &json!({"name": "sutrisno"}))
                .await,
        )
        .await;
        assert_eq!(
            ids(&by_name).contains(&pid),
            *inside,
            "search by name: {who}"
        );

        let patch = app
            .patch(
                t,
                &format!("/api/v1/persons/{pid}"),
                &json!({"occupation": format!("by {username}")}),
            )
            .await;
        assert_eq!(
            patch.status().as_u16(),
            visible(200),
            "update person: {who}"
        );
        let bad_member = app
            .post(
                t,
                &format!("/api/v1/households/{hid}/members"),
                &json!({"full_name": ""}),
            )
            .await;
        assert_eq!(
            bad_member.status().as_u16(),
            visible(422),
            "add member: {who}"
        );
        let same_village = json!({"kind": "move", "date": "2026-01-01", "village_code": VILLAGE});
        let event = app
            .post(t, &format!("/api/v1/persons/{pid}/events"), &same_village)
            .await;
        assert_eq!(event.status().as_u16(), visible(422), "record event: {who}");

        let mut new_household = household(VILLAGE, &nik(VILLAGE, 100 + i as u32), "Baru");
        new_household["members"]
            .as_array_mut()
            .expect("members")
            .truncate(1);
        let register = app.post(t, "/api/v1/households", &new_household).await;
        assert_eq!(
            register.status().as_u16(),
            if *inside { 201 } else { 403 },
            "register in the village: {who}"
        );
    }

    // Only officers inside the area changed the person: the last such write is the admin's.
    let p = json_of(
        app.get(&owner.token, &format!("/api/v1/persons/{pid}"))
            .await,
    )
    .await;
    assert_eq!(p["person"]["occupation"], "by admin");
    let writers: Vec<String> = p["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["field"] == "occupation")
        .map(|h| h["actor"].as_str().unwrap_or("").to_string())
        .collect();
    let allowed: Vec<String> = OFFICERS
        .iter()
        .filter(|o| o.3)
        .map(|o| format!("user:{}", o.0))
        .collect();
    assert!(writers.iter().all(|w| allowed.contains(w)), "{writers:?}");
    assert_eq!(writers.len(), allowed.len());
}

#[tokio::test]
async fn only_an_administrator_creates_accounts() {
    let app = spawn_app(Backend::Sqlite).await;
    let ctx_of = |username: &str, role: pintu_domain::Role, area: Option<&str>| {
        pintu_service::Ctx::new(
            pintu_domain::Actor::Officer {
                user_id: username.into(),
                username: username.into(),
                role,
                area: area.map(|a| pintu_domain::AreaCode::parse(a).expect("area")),
            },
            None,
        )
    };
    let district = ctx_of("kab", pintu_domain::Role::DistrictOfficer, Some("35.07"));
    let refused = app
        .pintu
        .create_user(
            &district,
            "someone",
            "",
            "village_officer",
            Some(VILLAGE),
            "a long password",
        )
        .await;
    assert!(matches!(refused, Err(pintu_service::Error::Forbidden)));
    let admin = ctx_of("admin", pintu_domain::Role::Admin, None);
    let mismatch = app
        .pintu
        .create_user(
            &admin,
            "someone",
            "",
            "village_officer",
            Some("35.07"),
            "a long password",
        )
        .await;
    assert!(matches!(mismatch, Err(pintu_service::Error::Invalid(_))));
    app.pintu
        .create_user(
            &admin,
            "someone",
            "",
            "village_officer",
            Some(VILLAGE),
            "a long password",
        )
        .await
        .expect("created");
}

#[tokio::test]
async fn bpjstk_endpoints_keep_each_officer_inside_their_area() {
    let app = spawn_app(Backend::Sqlite).await;
    let owner = app.officer("owner", "village_officer", Some(VILLAGE)).await;
    let resp = app
        .post(
            &owner.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno Wibowo"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let ctx = pintu_service::Ctx::system("test");
    let npp = "35070001";
    app.pintu
        .register_employer(
            &ctx,
            &pintu_service::bpjstk::EmployerInput {
                npp: npp.into(),
                name: "PT Matriks".into(),
                sector: "Jasa".into(),
                risk_class: Some(1),
                village_code: VILLAGE.into(),
                address: None,
                registered_on: Some("2025-01-01".into()),
            },
            chrono::Utc::now(),
        )
        .await
        .expect("employer");
    let worker = app
        .pintu
        .register_worker(
            &ctx,
            npp,
            &pintu_service::bpjstk::WorkerInput {
                nik: nik(VILLAGE, 1),
                kpj: None,
                since: Some("2025-01-01".into()),
            },
            chrono::Utc::now(),
        )
        .await
        .expect("worker");
    let period = "2025-06";
    for (i, (username, role, area, inside)) in OFFICERS.iter().enumerate() {
        let o = app.officer(username, role, *area).await;
        let t = &o.token;
        let who = format!("{username} ({role} at {area:?})");
        let inspector = matches!(
            *role,
            "district_officer" | "province_officer" | "national_officer"
        );
        let read = if *inside { 200 } else { 404 };
        for path in [
            format!("/api/v1/employers/{npp}"),
            format!("/api/v1/employers/{npp}/bills"),
            format!("/api/v1/employers/{npp}/wages/{period}"),
            format!("/api/v1/tk/workers/{}/jht", worker.kpj),
        ] {
            assert_eq!(app.get(t, &path).await.status(), read, "{path}: {who}");
        }
        let listed = json_of(app.get(t, "/api/v1/employers").await).await;
        assert_eq!(
            listed
                .as_array()
                .is_some_and(|l| l.iter().any(|e| e["npp"] == npp)),
            *inside,
            "list employers: {who}"
        );
        let write = match (*inside, inspector) {
            (false, _) => 404,
            (true, false) => 403,
            (true, true) => 200,
        };
        let resp = app
            .client
            .put(app.url(&format!("/api/v1/employers/{npp}/wages/{period}")))
            .bearer_auth(t)
            .json(&json!({"rows": [{"worker": worker.kpj, "wage": 4_000_000}]}))
            .send()
            .await
            .expect("put");
        assert_eq!(resp.status().as_u16(), write, "report wages: {who}");
        let resp = app
            .post(
                t,
                &format!("/api/v1/employers/{npp}/workers"),
                &json!({"nik": nik(VILLAGE, 1)}),
            )
            .await;
        assert_eq!(
            resp.status().as_u16(),
            if write == 200 { 409 } else { write },
            "register worker: {who}"
        );
        let compliance = app
            .get(t, "/api/v1/tk/compliance?area=35.07.01")
            .await
            .status();
        assert_eq!(
            compliance,
            if *inside && inspector { 200 } else { 403 },
            "compliance: {who}"
        );
        let register = app
            .post(
                t,
                "/api/v1/employers",
                &json!({"npp": format!("9{i:07}"), "name": "X", "sector": "Y",
                    "risk_class": 1, "village_code": VILLAGE}),
            )
            .await;
        assert_eq!(
            register.status().as_u16(),
            if *inside && inspector { 201 } else { 403 },
            "register employer: {who}"
        );
    }
}
