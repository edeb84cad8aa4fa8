//! Complaints and appeals through the API and the service, on every backend: the route up to
//! the ombudsman, the scheduler's escalation with a controllable clock, reference numbers
//! under concurrency, statistics against hand-computed numbers, bad input, corrections of
//! the registry, and the area scope of every role.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pintu_domain::AreaCode;
use pintu_domain::access::{Actor, Role};
use pintu_service::complaints::{NewComplaint, Step};
use pintu_service::{Ctx, Error, today};
use pintu_testkit::{Backend, TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::{OTHER_DISTRICT_VILLAGE, VILLAGE, household, json_of, nik};

fn year() -> i32 {
    use chrono::Datelike;
    today().year()
}

fn anonymous(category: &str) -> Value {
    json!({
        "channel": "village_intermediary",
        "village_code": VILLAGE,
        "complainant_name": "Sumiati",
        "contact": "0812 3456 7890",
        "category": category,
        "programme": "PKH",
        "description": "Keluarga kami tidak lagi menerima bantuan PKH sejak bulan lalu.",
        "officer": "Bu Lurah"
    })
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    post(app, token, &format!("/api/v1/complaints/{id}/steps"), body).await
}

fn officer_ctx(role: Role, area: Option<&str>) -> Ctx {
    Ctx::new(
        Actor::Officer {
            user_id: "u".into(),
            username: format!("{}-test", role.code()),
            role,
            area: area.map(|a| AreaCode::parse(a).expect("area")),
        },
        None,
    )
}

fn input(category: &str, received_on: Option<NaiveDate>) -> NewComplaint {
    NewComplaint {
        received_on: received_on.map(|d| d.to_string()),
        channel: "call_centre".into(),
        village_code: VILLAGE.into(),
        contact: Some("081234567890".into()),
        category: category.into(),
        description: "Bantuan terlambat".into(),
        ..NewComplaint::default()
    }
}

#[tokio::test]
async fn a_complaint_climbs_from_the_village_to_the_ombudsman_and_closes_with_the_acknowledgement()
{
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let omb = app.officer("ombudsman", "ombudsman", Some("35")).await;

        let resp = post(
            &app,
            &desa.token,
            "/api/v1/complaints",
            anonymous("exclusion_error"),
        )
        .await;
        assert_eq!(resp.status(), 201, "{backend:?}");
        let c = json_of(resp).await;
        assert_eq!(c["reference"], format!("35.07-{}-000001", year()));
        assert_eq!(
            (c["level"].as_str(), c["status"].as_str()),
            (Some("village"), Some("open"))
        );
        let id = c["id"].as_str().expect("id").to_string();
        let second =
            json_of(post(&app, &desa.token, "/api/v1/complaints", anonymous("other")).await).await;
        assert_eq!(second["reference"], format!("35.07-{}-000002", year()));

        // Unsolved at the village: sent up, and the village no longer works it.
        let up = step(&app, &desa.token, &id, json!({"action": "forward", "officer": "Pak Camat", "note": "musyawarah tidak berhasil"})).await;
        assert_eq!(up.status(), 200);
        let again = step(
            &app,
            &desa.token,
            &id,
            json!({"action": "respond", "note": "x"}),
        )
        .await;
        assert_eq!(again.status(), 403);
        assert_eq!(
            step(&app, &kec.token, &id, json!({"action": "forward"}))
                .await
                .status(),
            200
        );
        // Only the district assigns, and only to a known unit.
        let unknown = step(
            &app,
            &kab.token,
            &id,
            json!({"action": "assign", "unit": "dinas_pariwisata"}),
        )
        .await;
        assert_eq!(unknown.status(), 422);
        assert_eq!(json_of(unknown).await["error"]["code"], "unit_unknown");
        let assigned = json_of(
            step(
                &app,
                &kab.token,
                &id,
                json!({"action": "assign", "unit": "dinas_sosial", "officer": "Kabid Linjamsos"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (assigned["level"].as_str(), assigned["unit"].as_str()),
            (Some("unit"), Some("dinas_sosial"))
        );
        let no_note = step(&app, &kab.token, &id, json!({"action": "respond"})).await;
        assert_eq!(json_of(no_note).await["error"]["code"], "required");
        assert_eq!(
            step(
                &app,
                &kab.token,
                &id,
                json!({"action": "respond", "note": "Data DTKS sedang diperiksa"})
            )
            .await
            .status(),
            200
        );
        // Too complex for the unit: the ombudsman takes it; the district no longer can.
        assert_eq!(
            step(
                &app,
                &kab.token,
                &id,
                json!({"action": "forward", "note": "kasus kompleks"})
            )
            .await
            .status(),
            200
        );
        assert_eq!(
            step(
                &app,
                &kab.token,
                &id,
                json!({"action": "respond", "note": "x"})
            )
            .await
            .status(),
            403
        );
        let consensus = step(
            &app,
            &omb.token,
            &id,
            json!({"action": "resolve", "resolution": "community_consensus", "note": "x"}),
        )
        .await;
        assert_eq!(consensus.status(), 409);
        assert_eq!(
            json_of(consensus).await["error"]["code"],
            "consensus_only_at_village"
        );
        let resolved = json_of(step(&app, &omb.token, &id, json!({"action": "resolve", "note": "Keluarga dimasukkan kembali dalam daftar PKH."})).await).await;
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(
            resolved["response"],
            "Keluarga dimasukkan kembali dalam daftar PKH."
        );
        let bad_ack = step(
            &app,
            &omb.token,
            &id,
            json!({"action": "acknowledge", "acknowledgement": "maybe"}),
        )
        .await;
        assert_eq!(
            json_of(bad_ack).await["error"]["code"],
            "acknowledgement_unknown"
        );
        let closed = json_of(
            step(
                &app,
                &omb.token,
                &id,
                json!({"action": "acknowledge", "acknowledgement": "acknowledged"}),
            )
            .await,
        )
        .await;
        assert_eq!(closed["status"], "closed");
        let twice = step(
            &app,
            &omb.token,
            &id,
            json!({"action": "resolve", "note": "x"}),
        )
        .await;
        assert_eq!(json_of(twice).await["error"]["code"], "complaint_not_open");

        // The action form: every hop with its officer, date and deadline, and the response.
        let detail = json_of(
            app.get(&omb.token, &format!("/api/v1/complaints/{id}"))
                .await,
        )
        .await;
        let hops: Vec<(&str, &str, Option<&str>)> = detail["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or(""),
                    e["level"].as_str().unwrap_or(""),
                    e["officer"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            hops,
            [
                ("received", "village", Some("Bu Lurah")),
                ("forwarded", "subdistrict", Some("Pak Camat")),
                ("forwarded", "district", None),
                ("assigned", "unit", Some("Kabid Linjamsos")),
                ("responded", "unit", None),
                ("forwarded", "ombudsman", None),
                ("resolved", "ombudsman", None),
                ("acknowledged", "ombudsman", None),
            ],
            "{backend:?}"
        );
        assert!(detail["events"][1]["due_at"].is_string());
        assert_eq!(detail["actions"], json!(["reopen"]));
        assert!(detail["complaint"]["reached_ombudsman_at"].is_string());

        // Reopened within the window, at the level that resolved it.
        let reopened = json_of(
            step(
                &app,
                &omb.token,
                &id,
                json!({"action": "reopen", "note": "bantuan belum diterima"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (reopened["status"].as_str(), reopened["level"].as_str()),
            (Some("open"), Some("ombudsman"))
        );
        assert!(reopened["response"].is_null());
    }
}

#[tokio::test]
async fn overdue_complaints_are_escalated_by_the_scheduler_and_owe_a_call_back() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let t0 = Utc
            .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .expect("t0");
        let desa = officer_ctx(Role::VillageOfficer, Some(VILLAGE));
        let c = app
            .pintu
            .record_complaint(&desa, &input("benefit_delay", None), t0)
            .await
            .expect("record");
        assert_eq!(c.due_at, t0 + Duration::days(7));

        // Not yet due: nothing happens.
        let run = app
            .pintu
            .escalate_overdue(t0 + Duration::days(6))
            .await
            .expect("run");
        assert_eq!((run.escalated, run.callbacks), (0, 0));
        // Past the village's week: up to the sub-district with its own week, and a call-back.
        let t1 = t0 + Duration::days(8);
        let run = app.pintu.escalate_overdue(t1).await.expect("run");
        assert_eq!((run.escalated, run.callbacks), (1, 1), "{backend:?}");
        let run = app.pintu.escalate_overdue(t1).await.expect("run again");
        assert_eq!(
            (run.escalated, run.callbacks),
            (0, 0),
            "a second run changes nothing"
        );
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let d = json_of(
            app.get(&kab.token, &format!("/api/v1/complaints/{}", c.id))
                .await,
        )
        .await;
        assert_eq!(d["complaint"]["level"], "subdistrict");
        assert_eq!(d["complaint"]["escalations"], 1);
        assert_eq!(
            d["complaint"]["due_at"]
                .as_str()
                .map(|s| s.parse::<DateTime<Utc>>().ok()),
            Some(Some(t1 + Duration::days(7)))
        );
        assert_eq!(d["events"][1]["action"], "escalated");
        assert_eq!(d["events"][1]["actor"], "system:scheduler");

        // The call centre works the call-back list.
        let list = json_of(app.get(&kab.token, "/api/v1/complaints/callbacks").await).await;
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(list["items"][0]["level"], "village");
        assert_eq!(list["items"][0]["contact"], "+6281234567890");
        let cb = list["items"][0]["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/complaints/callbacks/{cb}");
        let bad = post(&app, &kab.token, &path, json!({"outcome": "voicemail"})).await;
        assert_eq!(json_of(bad).await["error"]["code"], "outcome_unknown");
        let done = json_of(
            post(
                &app,
                &kab.token,
                &path,
                json!({"outcome": "not_reachable", "note": "nomor tidak aktif"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (done["status"].as_str(), done["outcome"].as_str()),
            (Some("done"), Some("not_reachable"))
        );
        let twice = post(&app, &kab.token, &path, json!({"outcome": "reached"})).await;
        assert_eq!(twice.status(), 409);
        let open_list = json_of(app.get(&kab.token, "/api/v1/complaints/callbacks").await).await;
        assert_eq!(open_list["items"].as_array().map(Vec::len), Some(0));

        // Up and up; at the ombudsman, overdue means a call-back, once.
        let mut at = t1;
        for _ in 0..3 {
            at += Duration::days(40);
            app.pintu.escalate_overdue(at).await.expect("run");
        }
        let run = app
            .pintu
            .escalate_overdue(at + Duration::days(40))
            .await
            .expect("run");
        assert_eq!((run.escalated, run.callbacks), (0, 0));
        let d = json_of(
            app.get(&kab.token, &format!("/api/v1/complaints/{}", c.id))
                .await,
        )
        .await;
        let omb = app.officer("ombudsman", "ombudsman", Some("35")).await;
        let seen = json_of(
            app.get(&omb.token, &format!("/api/v1/complaints/{}", c.id))
                .await,
        )
        .await;
        assert_eq!(seen["complaint"]["level"], "ombudsman", "{d}");
        assert_eq!(seen["complaint"]["escalations"], 3);
        assert_eq!(seen["callbacks"].as_array().map(Vec::len), Some(4));
    }
}

#[tokio::test]
async fn reference_numbers_are_unique_when_complaints_arrive_at_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let pintu = app.pintu.clone();
                tokio::spawn(async move {
                    let ctx = officer_ctx(Role::DistrictOfficer, Some("35.07"));
                    let mut c = input("other", None);
                    if i % 2 == 1 {
                        c.village_code = OTHER_DISTRICT_VILLAGE.into();
                    }
                    pintu.record_complaint(&ctx, &c, Utc::now()).await
                })
            })
            .collect();
        let mut refs = Vec::new();
        for t in tasks {
            refs.push(t.await.expect("join").expect("record").reference);
        }
        refs.sort();
        let expected: Vec<String> = (1..=16)
            .map(|i| format!("35.07-{}-{i:06}", year()))
            .collect();
        assert_eq!(refs, expected, "{backend:?}");
    }
}

#[tokio::test]
async fn statistics_and_reports_match_numbers_worked_out_by_hand() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = officer_ctx(Role::DistrictOfficer, Some("35.07"));
        let day = today() - Duration::days(20);
        let midnight = day.and_hms_opt(0, 0, 0).expect("time").and_utc();
        // Four received 20 days ago: resolved after 2, 4 and 9 days; one still open (and
        // past the district's 14 days). A fifth, received 400 days ago, is outside the
        // period... and may not be recorded at all: a year is the limit.
        let mut ids = Vec::new();
        for (category, village) in [
            ("benefit_delay", VILLAGE),
            ("benefit_delay", VILLAGE),
            ("wrong_data", OTHER_DISTRICT_VILLAGE),
            ("wrong_data", VILLAGE),
        ] {
            let mut c = input(category, Some(day));
            c.village_code = village.into();
            let row = app
                .pintu
                .record_complaint(&kab, &c, midnight + Duration::hours(1))
                .await
                .expect("record");
            ids.push(row.id);
        }
        for (id, days) in ids.iter().zip([2, 4, 9]) {
            let resolve = Step {
                action: "resolve".into(),
                note: Some("selesai".into()),
                ..Step::default()
            };
            app.pintu
                .complaint_step(&kab, id, &resolve, midnight + Duration::days(days))
                .await
                .expect("resolve");
        }
        let mut old = input("other", Some(today() - Duration::days(400)));
        old.village_code = VILLAGE.into();
        let refused = app.pintu.record_complaint(&kab, &old, Utc::now()).await;
        assert!(matches!(refused, Err(Error::Invalid(ref i)) if i.0[0].code == "date_too_old"));

        let o = app.officer("kab", "district_officer", Some("35.07")).await;
        let s = json_of(
            app.get(&o.token, "/api/v1/complaints/stats?by=category")
                .await,
        )
        .await;
        assert_eq!(s["total"]["received"], 4, "{backend:?}");
        assert_eq!(s["total"]["resolved"], 3);
        assert_eq!(s["total"]["share_resolved"], 0.75);
        assert_eq!(s["total"]["average_days"], 5.0);
        assert_eq!(s["total"]["median_days"], 4.0);
        assert_eq!(s["total"]["overdue"], 1);
        assert_eq!(s["groups"][0]["key"], "benefit_delay");
        assert_eq!(s["groups"][0]["counts"]["median_days"], 3.0);
        assert_eq!(s["groups"][1]["key"], "wrong_data");
        assert_eq!(s["groups"][1]["counts"]["share_resolved"], 0.5);
        let by_area = json_of(app.get(&o.token, "/api/v1/complaints/stats?by=area").await).await;
        let areas: Vec<(&str, u64)> = by_area["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| {
                (
                    g["key"].as_str().unwrap_or(""),
                    g["counts"]["received"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(areas, [("35.07.01", 3), ("35.07.02", 1)]);
        let narrowed = json_of(
            app.get(&o.token, "/api/v1/complaints/stats?area=35.07.02")
                .await,
        )
        .await;
        assert_eq!(narrowed["total"]["received"], 1);
        let bad = app
            .get(&o.token, "/api/v1/complaints/stats?by=weather")
            .await;
        assert_eq!(json_of(bad).await["error"]["code"], "dimension_unknown");

        // The monthly report of the month they were received in, as JSON and CSV.
        let period = day.format("%Y-%m").to_string();
        let r = json_of(
            app.get(
                &o.token,
                &format!("/api/v1/complaints/reports?period={period}"),
            )
            .await,
        )
        .await;
        assert_eq!(r["kind"], "monthly");
        assert_eq!(r["total"]["received"], 4);
        let csv = app
            .get(
                &o.token,
                &format!("/api/v1/complaints/reports?period={period}&format=csv"),
            )
            .await
            .text()
            .await
            .expect("csv");
        assert!(csv.contains("total,,4,3,0.750,5.0,4.0,1,0,0"), "{csv}");
        let bad = app
            .get(&o.token, "/api/v1/complaints/reports?period=2026-13")
            .await;
        assert_eq!(json_of(bad).await["error"]["code"], "period_invalid");
    }
}

#[tokio::test]
async fn bad_complaints_are_refused_with_a_clear_code_and_nothing_is_written() {
    let app = spawn_app(Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let cases: [(Value, &str, &str); 8] = [
        (json!({"category": ""}), "category", "required"),
        (
            json!({"category": "gossip"}),
            "category",
            "category_unknown",
        ),
        (json!({"channel": "pigeon"}), "channel", "channel_unknown"),
        (
            json!({"description": "a\u{0}b"}),
            "description",
            "text_invalid",
        ),
        (
            json!({"description": "x".repeat(4001)}),
            "description",
            "too_long",
        ),
        (
            json!({"contact": null, "complainant_name": "Anon"}),
            "contact",
            "contact_required",
        ),
        (
            json!({"received_on": "2999-01-01"}),
            "received_on",
            "date_in_future",
        ),
        (
            json!({"complainant_nik": "3507011503780009"}),
            "complainant_nik",
            "complainant_not_found",
        ),
    ];
    for (patch, field, code) in cases {
        let mut body = anonymous("exclusion_error");
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let resp = post(&app, &desa.token, "/api/v1/complaints", body).await;
        assert_eq!(resp.status(), 422, "{field} {code}");
        let e = json_of(resp).await;
        assert_eq!(
            (e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (Some(field), Some(code))
        );
    }
    let mut outside = anonymous("other");
    outside["village_code"] = json!(OTHER_DISTRICT_VILLAGE);
    assert_eq!(
        post(&app, &desa.token, "/api/v1/complaints", outside)
            .await
            .status(),
        403
    );
    let list = json_of(app.get(&desa.token, "/api/v1/complaints").await).await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was written"
    );

    // Text in another script is the resident's own words: kept as written.
    let mut javanese = anonymous("service_quality");
    javanese["description"] = json!("ꦥꦼꦭꦪꦤꦤ꧀ ꦲꦺꦴꦫ ꦧꦼꦕꦶꦏ꧀ — الخدمة بطيئة");
    let c = json_of(post(&app, &desa.token, "/api/v1/complaints", javanese).await).await;
    assert_eq!(c["description"], "ꦥꦼꦭꦪꦤꦤ꧀ ꦲꦺꦴꦫ ꦧꦼꦕꦶꦏ꧀ — الخدمة بطيئة");
    let id = c["id"].as_str().expect("id").to_string();
    let reference = c["reference"].as_str().expect("reference").to_string();

    // Attachments: a PDF is kept; too large, not a document, or too many are refused.
    let upload = |bytes: Vec<u8>, name: &str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        app.client
            .post(app.url(&format!("/api/v1/complaints/{id}/attachments")))
            .bearer_auth(&desa.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let pdf = b"%PDF-1.4\n%test\n".to_vec();
    let ok = upload(pdf.clone(), "surat.pdf").await.expect("upload");
    assert_eq!(ok.status(), 201);
    let a = json_of(ok).await;
    assert_eq!(a["content_type"], "application/pdf");
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(2 * 1024 * 1024 + 1, b'x');
    let e = json_of(upload(big, "big.pdf").await.expect("upload")).await;
    assert_eq!(e["error"]["code"], "attachment_too_large");
    let e = json_of(
        upload(b"MZ\x90\x00".to_vec(), "virus.exe")
            .await
            .expect("upload"),
    )
    .await;
    assert_eq!(e["error"]["code"], "attachment_type");
    let got = app
        .get(
            &desa.token,
            &format!(
                "/api/v1/complaints/{id}/attachments/{}",
                a["id"].as_str().expect("id")
            ),
        )
        .await;
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(
        got.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .starts_with("attachment")
    );
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), pdf);
    let d = json_of(
        app.get(&desa.token, &format!("/api/v1/complaints/{id}"))
            .await,
    )
    .await;
    assert_eq!(d["attachments"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["complaint"]["reference"], reference.as_str());
}

#[tokio::test]
async fn a_wrong_data_complaint_corrects_the_registry_and_each_names_the_other() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let created = json_of(
            app.post(
                &desa.token,
                "/api/v1/households",
                &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno Wibowo"),
            )
            .await,
        )
        .await;
        let person = created["person_ids"][0]
            .as_str()
            .expect("person")
            .to_string();
        let mut body = anonymous("wrong_data");
        body["complainant_nik"] = json!(nik(VILLAGE, 1));
        let c = json_of(post(&app, &desa.token, "/api/v1/complaints", body).await).await;
        assert_eq!(c["complainant_person_id"], person.as_str(), "{backend:?}");
        assert_eq!(c["complainant_name"], "Sutrisno Wibowo");
        let id = c["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/complaints/{id}/correction");

        let bad = post(
            &app,
            &desa.token,
            &path,
            json!({"person_id": person, "field": "nik", "value": "1"}),
        )
        .await;
        assert_eq!(json_of(bad).await["error"]["code"], "field_not_correctable");
        let bad = post(
            &app,
            &desa.token,
            &path,
            json!({"person_id": person, "field": "birth_date", "value": "2023-02-30"}),
        )
        .await;
        assert_eq!(json_of(bad).await["error"]["code"], "date_invalid");
        let ok = post(
            &app,
            &desa.token,
            &path,
            json!({"person_id": person, "field": "full_name", "value": "Sutrisno Wibisono"}),
        )
        .await;
        assert_eq!(ok.status(), 200);

        let p = json_of(
            app.get(&desa.token, &format!("/api/v1/persons/{person}"))
                .await,
        )
        .await;
        assert_eq!(p["person"]["full_name"], "Sutrisno Wibisono");
        let change = p["history"]
            .as_array()
            .expect("history")
            .iter()
            .find(|h| h["field"] == "full_name")
            .expect("history of the change");
        assert_eq!(
            change["reason"],
            format!("complaint {}", c["reference"].as_str().expect("ref"))
        );
        let d = json_of(
            app.get(&desa.token, &format!("/api/v1/complaints/{id}"))
                .await,
        )
        .await;
        let corrected = d["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["action"] == "corrected");
        assert!(corrected);
        assert_eq!(d["complaint"]["complainant_name"], "Sutrisno Wibisono");

        let other =
            json_of(post(&app, &desa.token, "/api/v1/complaints", anonymous("other")).await).await;
        let path = format!(
            "/api/v1/complaints/{}/correction",
            other["id"].as_str().expect("id")
        );
        let refused = post(
            &app,
            &desa.token,
            &path,
            json!({"person_id": person, "field": "full_name", "value": "X"}),
        )
        .await;
        assert_eq!(refused.status(), 409);
        assert_eq!(
            json_of(refused).await["error"]["code"],
            "correction_needs_wrong_data"
        );
    }
}

#[tokio::test]
async fn complaints_are_area_scoped_for_every_role_and_the_ombudsman_sees_only_escalated_cases() {
    let app = spawn_app(Backend::Sqlite).await;
    let kab = officer_ctx(Role::DistrictOfficer, Some("35.07"));
    let here = app
        .pintu
        .record_complaint(&kab, &input("other", None), Utc::now())
        .await
        .expect("record");
    let escalated = app
        .pintu
        .record_complaint(&kab, &input("other", None), Utc::now())
        .await
        .expect("record");
    let forward = Step {
        action: "forward".into(),
        ..Step::default()
    };
    app.pintu
        .complaint_step(&kab, &escalated.id, &forward, Utc::now())
        .await
        .expect("forward");

    // (role, area, sees `here`, sees `escalated`, may record in VILLAGE)
    let matrix: [(&str, Option<&str>, bool, bool, u16); 9] = [
        ("village_officer", Some(VILLAGE), true, true, 201),
        ("village_officer", Some("35.07.01.2002"), false, false, 403),
        ("subdistrict_officer", Some("35.07.01"), true, true, 201),
        ("district_officer", Some("35.07"), true, true, 201),
        ("district_officer", Some("32.01"), false, false, 403),
        ("province_officer", Some("32"), false, false, 403),
        ("ombudsman", Some("35"), false, true, 403),
        ("ombudsman", Some("32"), false, false, 403),
        ("admin", None, true, true, 201),
    ];
    for (i, (role, area, sees_here, sees_escalated, _)) in matrix.into_iter().enumerate() {
        let o = app.officer(&format!("officer{i}"), role, area).await;
        let who = format!("{role} at {area:?}");
        let list = json_of(app.get(&o.token, "/api/v1/complaints").await).await;
        let ids: Vec<&str> = list["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["id"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(ids.contains(&here.id.as_str()), sees_here, "{who} list");
        assert_eq!(
            ids.contains(&escalated.id.as_str()),
            sees_escalated,
            "{who} list"
        );
        let one = app
            .get(&o.token, &format!("/api/v1/complaints/{}", here.id))
            .await;
        assert_eq!(one.status() == 200, sees_here, "{who} get");
        let stats = app.get(&o.token, "/api/v1/complaints/stats").await;
        assert_eq!(stats.status(), 200, "{who} stats");
        let received = json_of(stats).await["total"]["received"].as_u64();
        let expected = u64::from(sees_here) + u64::from(sees_escalated);
        assert_eq!(received, Some(expected), "{who} stats count");
        let outside = app.get(&o.token, "/api/v1/complaints?area=32.01").await;
        if area.is_some_and(|a| !a.starts_with("32")) {
            assert_eq!(outside.status(), 403, "{who} other area");
        }
    }
    // Recording, once every list was checked.
    for (i, (role, area, _, _, records)) in matrix.into_iter().enumerate() {
        let o = app.officer(&format!("recorder{i}"), role, area).await;
        let made = post(&app, &o.token, "/api/v1/complaints", anonymous("other")).await;
        assert_eq!(made.status().as_u16(), records, "{role} at {area:?} record");
    }
    // The ombudsman reads no registry.

    let omb = app.officer("omb", "ombudsman", Some("35")).await;
    assert_eq!(app.get(&omb.token, "/api/v1/persons").await.status(), 403);
}
