//! Applications through the API on every backend: from the counter to enrolment with the
//! programme's documents handed in and checked, every illegal step refused with its reason,
//! uploads of the wrong type or size refused, and the area scope of every endpoint.

use pintu_store::{Store, execute};
use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::{Value, json};

use crate::matching::{add_programme, family};
use crate::{SIBLING_VILLAGE, VILLAGE, json_of};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// A programme in force requiring a family card and an identity card.
pub(crate) async fn programme_with_documents(store: &Store, code: &str, area: Option<&str>) {
    let id = add_programme(store, code, "age >= 18", "age desc", "person", &[]).await;
    execute(
        store.conn(),
        "UPDATE programmes SET documents = ?, area_code = ? WHERE id = ?",
        vec![
            r#"[{"id": "Kartu Keluarga", "en": "Family card"}, {"id": "KTP", "en": "Identity card"}]"#
                .into(),
            area.map(str::to_string).into(),
            id.into(),
        ],
    )
    .await
    .expect("documents");
}

async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    requirement: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    if let Some(r) = requirement {
        form = form.text("requirement", r.to_string());
    }
    app.client
        .post(app.url(&format!("/api/v1/applications/{id}/documents")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.post(token, &format!("/api/v1/applications/{id}/steps"), &body)
        .await
}

async fn error_code(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body = json_of(resp).await;
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn an_application_goes_from_the_counter_to_enrolment_with_its_documents_checked() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let people = family(&app, &kab.token, VILLAGE, 1, 2).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;
        let new = json!({"person_id": people[0], "programme": "bantu-t", "note": "Datang ke kantor desa"});

        let resp = app.post(&desa.token, "/api/v1/applications", &new).await;
        assert_eq!(resp.status(), 201, "{backend:?}");
        let d = json_of(resp).await;
        let id = d["application"]["id"].as_str().expect("id").to_string();
        assert_eq!(d["application"]["state"], "draft");
        assert_eq!(d["application"]["channel"], "counter");
        assert_eq!(d["application"]["programme"], "BANTU-T");
        assert_eq!(d["application"]["person_name"], "Kepala 1");
        assert_eq!(d["requirements"].as_array().expect("reqs").len(), 2);
        assert_eq!(d["requirements"][1]["name_en"], "Identity card");
        assert_eq!(d["actions"], json!(["submit", "withdraw"]));

        // One open application per person and programme.
        let again = app.post(&desa.token, "/api/v1/applications", &new).await;
        assert_eq!(error_code(again).await, (409, "application_exists".into()));

        let resp = step(&app, &desa.token, &id, json!({"action": "submit"})).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json_of(resp).await["application"]["state"], "submitted");

        // Forwarding needs every required document checked against the original.
        let resp = step(&app, &kec.token, &id, json!({"action": "forward"})).await;
        assert_eq!(
            error_code(resp).await,
            (409, "documents_not_checked".into())
        );

        // Wrong files are refused and nothing is recorded.
        let exe = upload(
            &app,
            &desa.token,
            &id,
            Some("0"),
            "kk.exe",
            b"MZ\x90\x00".to_vec(),
        )
        .await;
        assert_eq!(error_code(exe).await, (422, "document_type".into()));
        let mut big = b"%PDF-".to_vec();
        big.resize(pintu_domain::applications::MAX_DOCUMENT_BYTES + 1, b' ');
        let large = upload(&app, &desa.token, &id, Some("0"), "kk.pdf", big).await;
        assert_eq!(error_code(large).await, (422, "document_too_large".into()));
        let unknown = upload(&app, &desa.token, &id, Some("7"), "kk.pdf", PDF.to_vec()).await;
        assert_eq!(
            error_code(unknown).await,
            (422, "requirement_unknown".into())
        );
        let d = json_of(
            app.get(&desa.token, &format!("/api/v1/applications/{id}"))
                .await,
        )
        .await;
        assert!(
            d["requirements"][0]["documents"]
                .as_array()
                .expect("docs")
                .is_empty()
        );

        let mut doc_ids = Vec::new();
        for (req, name) in [("0", "kk.pdf"), ("1", "../../ktp.pdf")] {
            let resp = upload(&app, &desa.token, &id, Some(req), name, PDF.to_vec()).await;
            assert_eq!(resp.status(), 201, "{backend:?}");
            let doc = json_of(resp).await;
            assert_eq!(doc["content_type"], "application/pdf");
            assert_eq!(doc["size"], PDF.len());
            assert!(doc["checked_at"].is_null());
            doc_ids.push(doc["id"].as_str().expect("doc id").to_string());
        }
        let d = json_of(
            app.get(&desa.token, &format!("/api/v1/applications/{id}"))
                .await,
        )
        .await;
        assert_eq!(d["requirements"][1]["documents"][0]["file_name"], "ktp.pdf");

        let resp = app
            .get(
                &desa.token,
                &format!("/api/v1/applications/{id}/documents/{}", doc_ids[0]),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);

        for doc in &doc_ids {
            let path = format!("/api/v1/applications/{id}/documents/{doc}/check");
            let resp = app.post(&desa.token, &path, &json!({})).await;
            assert_eq!(resp.status(), 200, "{backend:?}");
        }
        let path = format!("/api/v1/applications/{id}/documents/{}/check", doc_ids[0]);
        let twice = app.post(&desa.token, &path, &json!({})).await;
        assert_eq!(
            error_code(twice).await,
            (409, "document_already_checked".into())
        );

        // The village may not forward; the sub-district may not decide.
        let resp = step(&app, &desa.token, &id, json!({"action": "forward"})).await;
        assert_eq!(resp.status(), 403);
        let resp = step(&app, &kec.token, &id, json!({"action": "forward"})).await;
        assert_eq!(resp.status(), 200);
        let d = json_of(resp).await;
        assert_eq!(d["application"]["state"], "forwarded");
        assert_eq!(d["documents_open"], false);
        let late = upload(&app, &desa.token, &id, None, "surat.pdf", PDF.to_vec()).await;
        assert_eq!(
            error_code(late).await,
            (409, "application_documents_closed".into())
        );
        let resp = step(&app, &kec.token, &id, json!({"action": "approve"})).await;
        assert_eq!(resp.status(), 403);

        // A rejection needs its reason; a step from the wrong state is refused.
        let resp = step(
            &app,
            &kab.token,
            &id,
            json!({"action": "reject", "reason": "  "}),
        )
        .await;
        assert_eq!(
            error_code(resp).await,
            (422, "application_reason_required".into())
        );
        let resp = step(&app, &kab.token, &id, json!({"action": "enrol"})).await;
        assert_eq!(
            error_code(resp).await,
            (409, "application_step_not_allowed".into())
        );
        let resp = step(&app, &kab.token, &id, json!({"action": "approve"})).await;
        assert_eq!(json_of(resp).await["application"]["state"], "approved");
        let resp = step(&app, &kab.token, &id, json!({"action": "enrol"})).await;
        assert_eq!(resp.status(), 200);
        let d = json_of(resp).await;
        assert_eq!(d["application"]["state"], "enrolled");
        assert_eq!(d["actions"], json!([]));
        let steps: Vec<&str> = d["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["action"].as_str().expect("action"))
            .collect();
        assert_eq!(
            steps,
            [
                "created", "submit", "document", "document", "checked", "checked", "forward",
                "approve", "enrol"
            ]
        );
        assert!(
            d["events"]
                .as_array()
                .expect("events")
                .iter()
                .all(|e| e["actor"].as_str().is_some_and(|a| a.starts_with("user:")))
        );

        // Enrolment is the person's enrolment now (matching's reports read it).
        let enrolled = pintu_store::facts::enrolments_of(app.pintu.store.conn(), &people[0])
            .await
            .expect("enrolments");
        let e = enrolled
            .iter()
            .find(|e| e.programme_code == "BANTU-T")
            .expect("enrolled");
        assert_eq!(
            (e.status.as_str(), e.source.as_str()),
            ("active", "application")
        );
        assert_eq!(e.reference.as_deref(), Some(id.as_str()));

        let resp = step(
            &app,
            &kab.token,
            &id,
            json!({"action": "withdraw", "reason": "x"}),
        )
        .await;
        assert_eq!(error_code(resp).await, (409, "application_closed".into()));
        let again = app.post(&desa.token, "/api/v1/applications", &new).await;
        assert_eq!(error_code(again).await, (409, "already_enrolled".into()));

        // Withdrawn with its reason, which the applicant is told.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": people[1], "programme": "BANTU-T", "channel": "call_centre"}),
            )
            .await;
        let other = json_of(resp).await["application"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let resp = step(
            &app,
            &desa.token,
            &other,
            json!({"action": "withdraw", "reason": "Pemohon pindah ke luar kota"}),
        )
        .await;
        let d = json_of(resp).await;
        assert_eq!(d["application"]["state"], "withdrawn");
        assert_eq!(d["application"]["reason"], "Pemohon pindah ke luar kota");
        assert_eq!(d["application"]["channel"], "call_centre");

        // The list filters by state and programme.
        let list = json_of(
            app.get(
                &kab.token,
                "/api/v1/applications?state=enrolled&programme=bantu-t",
            )
            .await,
        )
        .await;
        let ids: Vec<&str> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, [id.as_str()]);
        let bad = app
            .get(&kab.token, "/api/v1/applications?state=maybe")
            .await;
        assert_eq!(error_code(bad).await, (422, "status_unknown".into()));
    }
}

#[tokio::test]
async fn bad_applications_are_refused_with_their_reasons_and_record_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let here = family(&app, &kab.token, VILLAGE, 1, 2).await;
        let there = family(&app, &kab.token, SIBLING_VILLAGE, 2, 2).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", None).await;
        programme_with_documents(&app.pintu.store, "JATIM-T", Some("35.08")).await;
        execute(
            app.pintu.store.conn(),
            "UPDATE programmes SET active_until = ? WHERE code = 'JATIM-T'",
            vec![chrono::NaiveDate::from_ymd_opt(2021, 1, 1).into()],
        )
        .await
        .expect("ended");
        programme_with_documents(&app.pintu.store, "MALANG-T", Some("35.08")).await;

        let cases = [
            (
                json!({"person_id": there[0], "programme": "BANTU-T"}),
                "person_id",
                "person_not_found",
            ),
            (
                json!({"person_id": "nope", "programme": "BANTU-T"}),
                "person_id",
                "person_not_found",
            ),
            (
                json!({"person_id": here[0], "programme": "NOPE"}),
                "programme",
                "programme_unknown",
            ),
            (
                json!({"person_id": here[0], "programme": ""}),
                "programme",
                "required",
            ),
            (
                json!({"person_id": here[0], "programme": "JATIM-T"}),
                "programme",
                "programme_inactive",
            ),
            (
                json!({"person_id": here[0], "programme": "MALANG-T"}),
                "programme",
                "programme_not_in_area",
            ),
            (
                json!({"person_id": here[0], "programme": "BANTU-T", "channel": "sms"}),
                "channel",
                "channel_unknown",
            ),
            (
                json!({"person_id": here[0], "programme": "BANTU-T", "run_id": "x"}),
                "run_id",
                "value_invalid",
            ),
        ];
        for (body, field, code) in cases {
            let resp = app.post(&desa.token, "/api/v1/applications", &body).await;
            assert_eq!(resp.status(), 422, "{backend:?} {body}");
            let e = json_of(resp).await;
            assert_eq!(e["error"]["code"], code, "{backend:?} {body}");
            assert_eq!(e["error"]["field"], field, "{backend:?} {body}");
        }
        let list = json_of(app.get(&kab.token, "/api/v1/applications").await).await;
        assert_eq!(list["items"], json!([]), "{backend:?}");

        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": here[0], "programme": "BANTU-T"}),
            )
            .await;
        let id = json_of(resp).await["application"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let resp = step(&app, &desa.token, &id, json!({"action": "fly"})).await;
        assert_eq!(error_code(resp).await, (422, "action_unknown".into()));
        let resp = step(&app, &desa.token, &id, json!({"action": "withdraw"})).await;
        assert_eq!(
            error_code(resp).await,
            (422, "application_reason_required".into())
        );
        let resp = step(&app, &desa.token, &id, json!({"action": "approve"})).await;
        assert_eq!(resp.status(), 403);
        let d = json_of(
            app.get(&desa.token, &format!("/api/v1/applications/{id}"))
                .await,
        )
        .await;
        assert_eq!(d["application"]["state"], "draft");
        assert_eq!(d["events"].as_array().expect("events").len(), 1);
    }
}

#[tokio::test]
async fn applications_stay_inside_the_officers_area() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let people = family(&app, &kab.token, VILLAGE, 1, 2).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", None).await;
        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": people[0], "programme": "BANTU-T"}),
            )
            .await;
        let id = json_of(resp).await["application"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let doc =
            json_of(upload(&app, &desa.token, &id, Some("0"), "kk.pdf", PDF.to_vec()).await).await;
        let doc = doc["id"].as_str().expect("doc").to_string();

        // (role, area, sees it)
        let matrix = [
            ("village_officer", Some(VILLAGE), true),
            ("village_officer", Some(SIBLING_VILLAGE), false),
            ("subdistrict_officer", Some("35.07.01"), true),
            ("subdistrict_officer", Some("35.07.02"), false),
            ("district_officer", Some("35.07"), true),
            ("district_officer", Some("35.08"), false),
            ("province_officer", Some("35"), true),
            ("province_officer", Some("32"), false),
            ("national_officer", None, true),
        ];
        for (i, (role, area, sees)) in matrix.into_iter().enumerate() {
            let o = app.officer(&format!("officer{i}"), role, area).await;
            let want = if sees { 200 } else { 404 };
            let get = app
                .get(&o.token, &format!("/api/v1/applications/{id}"))
                .await;
            assert_eq!(get.status(), want, "{backend:?} {role} {area:?}");
            let file = app
                .get(
                    &o.token,
                    &format!("/api/v1/applications/{id}/documents/{doc}"),
                )
                .await;
            assert_eq!(file.status(), want, "{backend:?} {role} {area:?}");
            let listed = json_of(app.get(&o.token, "/api/v1/applications").await).await["items"]
                .as_array()
                .expect("items")
                .len();
            assert_eq!(listed, usize::from(sees), "{backend:?} {role} {area:?}");
            let resp = step(&app, &o.token, &id, json!({"action": "submit"})).await;
            if !sees {
                assert_eq!(resp.status(), 404, "{backend:?} {role} {area:?}");
            }
            let other = upload(&app, &o.token, &id, None, "x.pdf", PDF.to_vec()).await;
            if !sees {
                assert_eq!(other.status(), 404, "{backend:?} {role} {area:?}");
            }
        }
        // Administrators and the ombudsman do not work with applications.
        for (i, (role, area)) in [("admin", None), ("ombudsman", Some("35"))]
            .into_iter()
            .enumerate()
        {
            let o = app.officer(&format!("other{i}"), role, area).await;
            let get = app
                .get(&o.token, &format!("/api/v1/applications/{id}"))
                .await;
            assert_eq!(get.status(), 403, "{backend:?} {role}");
            let list = app.get(&o.token, "/api/v1/applications").await;
            assert_eq!(list.status(), 403, "{backend:?} {role}");
        }
        // An officer cannot start an application for a person outside their area.
        let other = app
            .officer("kec2", "subdistrict_officer", Some("35.07.02"))
            .await;
        let resp = app
            .post(
                &other.token,
                "/api/v1/applications",
                &json!({"person_id": people[0], "programme": "BANTU-T"}),
            )
            .await;
        assert_eq!(error_code(resp).await, (422, "person_not_found".into()));
        let resp = app.get(&desa.token, "/api/v1/applications").await;
        assert_eq!(resp.status(), 200);
    }
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = c.get(app.url(path)).send().await.expect("page");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("html"))
}

async fn post_form(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let resp = c.post(app.url(path)).form(form).send().await.expect("post");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_string());
    match location {
        Some(l) => (status, l),
        None => (status, resp.text().await.expect("html")),
    }
}

async fn upload_form(
    c: &reqwest::Client,
    app: &TestApp,
    id: &str,
    csrf: &str,
    requirement: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("requirement", requirement.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("scan.pdf"),
        );
    let resp = c
        .post(app.url(&format!("/applications/{id}/documents")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// The ids of the documents' check buttons on an application page, in order.
fn check_buttons(html: &str) -> Vec<String> {
    html.split("id=\"check-")
        .skip(1)
        .map(|s| s.split('"').next().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn officers_take_an_application_from_the_person_page_to_enrolment_in_the_pages() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    app.officer("kec", "subdistrict_officer", Some("35.07.01"))
        .await;
    let people = family(&app, &kab.token, VILLAGE, 1, 2).await;
    programme_with_documents(&app.pintu.store, "BANTU-T", None).await;
    let person = &people[0];

    let (desa, csrf) = crate::pages::logged_in(&app, "desa").await;
    let (status, html) = page(&desa, &app, &format!("/persons/{person}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("href=\"/applications/new?person={person}\"")),
        "apply link"
    );
    let (status, html) = page(&desa, &app, "/applications").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("href=\"/applications\" aria-current=\"page\""),
        "in the menu"
    );
    assert!(html.contains("id=\"no-applications\""), "the empty state");

    let (status, html) = page(&desa, &app, &format!("/applications/new?person={person}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"BANTU-T\""), "{html}");
    let (status, _) = post_form(
        &desa,
        &app,
        "/applications",
        &[("person", person), ("programme", "BANTU-T")],
    )
    .await;
    assert_eq!(status, 403, "no CSRF token, no application");
    let (status, html) = post_form(
        &desa,
        &app,
        "/applications",
        &[
            ("csrf", &csrf),
            ("person", person),
            ("programme", ""),
            ("channel", "counter"),
            ("note", ""),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"form-errors\""), "the error summary");
    let (status, location) = post_form(
        &desa,
        &app,
        "/applications",
        &[
            ("csrf", &csrf),
            ("person", person),
            ("programme", "BANTU-T"),
            ("channel", "counter"),
            ("note", "Di loket desa"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let id = location
        .trim_start_matches("/applications/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let detail = format!("/applications/{id}");
    let (status, html) = page(&desa, &app, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"notice\""), "the notice");
    assert!(html.contains("Draf"), "the state, in Bahasa Indonesia");
    assert!(html.contains("belum diserahkan"), "documents still missing");
    assert!(html.contains("id=\"step-submit\"") && html.contains("id=\"step-withdraw\""));
    assert!(
        !html.contains("id=\"step-forward\""),
        "a village office does not forward"
    );

    // A withdrawal without its reason is explained and changes nothing.
    let (status, html) = post_form(
        &desa,
        &app,
        &format!("{detail}/steps"),
        &[("csrf", &csrf), ("action", "withdraw"), ("reason", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Tulis alasannya"), "the reason is asked for");
    assert!(html.contains("Draf"));

    // Documents: a wrong file is refused on the page; the right ones are checked off.
    let (status, html) = upload_form(&desa, &app, &id, &csrf, "0", b"MZ\x90\x00".to_vec()).await;
    assert_eq!(status, 422);
    assert!(html.contains("Dokumen harus berupa PDF"), "{html}");
    for req in ["0", "1"] {
        let (status, _) = upload_form(&desa, &app, &id, &csrf, req, PDF.to_vec()).await;
        assert_eq!(status, 303);
    }
    let (_, html) = page(&desa, &app, &detail).await;
    let buttons = check_buttons(&html);
    assert_eq!(buttons.len(), 2, "a check button per document");
    let resp = desa
        .get(app.url(&format!("{detail}/documents/{}", buttons[0])))
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);
    for doc in &buttons {
        let (status, _) = post_form(
            &desa,
            &app,
            &format!("{detail}/documents/{doc}/check"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303);
    }
    let (status, _) = post_form(
        &desa,
        &app,
        &format!("{detail}/steps"),
        &[("csrf", &csrf), ("action", "submit")],
    )
    .await;
    assert_eq!(status, 303);

    // The sub-district forwards it; the district approves and enrols.
    let (kec, kec_csrf) = crate::pages::logged_in(&app, "kec").await;
    let (_, html) = page(&kec, &app, &detail).await;
    assert!(html.contains("id=\"step-forward\""), "{html}");
    let (status, _) = post_form(
        &kec,
        &app,
        &format!("{detail}/steps"),
        &[("csrf", &kec_csrf), ("action", "forward")],
    )
    .await;
    assert_eq!(status, 303);
    let (kab_page, kab_csrf) = crate::pages::logged_in(&app, "kab").await;
    for action in ["approve", "enrol"] {
        let (status, _) = post_form(
            &kab_page,
            &app,
            &format!("{detail}/steps"),
            &[("csrf", &kab_csrf), ("action", action)],
        )
        .await;
        assert_eq!(status, 303, "{action}");
    }
    let (_, html) = page(&kab_page, &app, &detail).await;
    assert!(html.contains("Terdaftar"), "enrolled");
    assert!(html.contains("id=\"no-actions\""), "nothing left to do");
    assert!(
        !html.contains("id=\"document-form\""),
        "documents are closed"
    );
    assert!(
        html.contains("id=\"messages\"") && html.contains("Dalam antrean"),
        "the approval and enrolment SMS are queued for the applicant"
    );
    let (status, html) = page(&desa, &app, "/messages").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<tr id=\"message-").count(), 2, "{html}");
    let (status, html) = page(&desa, &app, "/messages?status=failed").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"no-messages\""));
    let (status, _) = page(&desa, &app, "/messages?status=lost").await;
    assert_eq!(status, 422);
    let (_, html) = page(&kab_page, &app, "/applications?state=enrolled").await;
    assert!(html.contains(&format!("id=\"application-{id}\"")));
    let (_, html) = page(&kab_page, &app, "/applications?state=draft").await;
    assert!(html.contains("id=\"no-applications\""));
    let (_, html) = page(&desa, &app, &format!("/persons/{person}")).await;
    assert!(
        html.contains("id=\"person-applications\"") && html.contains(&format!("href=\"{detail}\""))
    );

    // In English too.
    let resp = desa
        .get(app.url("/lang/en?next=/applications"))
        .send()
        .await
        .expect("lang");
    assert!(resp.status().is_redirection());
    let (_, html) = page(&desa, &app, &detail).await;
    assert!(html.contains("Enrolled"), "the state, in English");
}

#[tokio::test]
async fn the_demo_starts_applications_at_different_stages_once() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    pintu_service::programmes::load_catalogue(&app.pintu.store, None)
        .await
        .expect("catalogue");
    family(&app, &kab.token, VILLAGE, 1, 2).await;
    let regency = pintu_domain::AreaCode::parse("35.07").expect("area");
    let started = app
        .pintu
        .record_demo_applications(&regency)
        .await
        .expect("demo");
    assert_eq!(started, 3);
    let list = json_of(app.get(&kab.token, "/api/v1/applications").await).await;
    let mut states: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["state"].as_str().expect("state"))
        .collect();
    states.sort();
    assert_eq!(states, ["draft", "enrolled", "submitted"]);
    let again = app
        .pintu
        .record_demo_applications(&regency)
        .await
        .expect("again");
    assert_eq!(again, 0, "a second demo run starts none");
    assert_eq!(
        app.pintu.record_demo_cases(&regency).await.expect("case"),
        1
    );
    assert_eq!(
        app.pintu.record_demo_cases(&regency).await.expect("again"),
        0
    );
    let overdue = json_of(app.get(&kab.token, "/api/v1/cases?overdue=true").await).await;
    assert_eq!(
        overdue.as_array().expect("cases").len(),
        1,
        "the demo case has a follow-up overdue"
    );
}

#[tokio::test]
async fn a_village_list_becomes_applications_in_one_action_and_each_person_is_told() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let kab = app.officer("kab", "district_officer", Some("35.07")).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let admin = app.officer("admin1", "admin", None).await;
        family(&app, &kab.token, VILLAGE, 1, 2).await;
        let poorest = family(&app, &kab.token, VILLAGE, 2, 1).await;
        family(&app, &kab.token, SIBLING_VILLAGE, 3, 1).await;
        crate::matching::add_programme(
            &app.pintu.store,
            "LANSIA-T",
            "age >= 40 && household.welfare_decile <= 3",
            "household.welfare_decile, age desc",
            "person",
            &[(VILLAGE, 2)],
        )
        .await;
        let body = json!({"programme": "lansia-t", "area": VILLAGE});
        let resp = app
            .post(&desa.token, "/api/v1/applications/from-list", &body)
            .await;
        assert_eq!(
            error_code(resp).await,
            (409, "no_list_for_area".into()),
            "{backend:?}"
        );

        let run = app
            .pintu
            .run_matching(
                &pintu_service::Ctx::system("test"),
                Some("35.07"),
                None,
                |_, _| {},
            )
            .await
            .expect("run");
        // The poorest household's head and wife are selected; the wife applies already.
        let resp = app
            .post(
                &desa.token,
                "/api/v1/applications",
                &json!({"person_id": poorest[1], "programme": "LANSIA-T"}),
            )
            .await;
        assert_eq!(resp.status(), 201);

        let resp = app
            .post(&desa.token, "/api/v1/applications/from-list", &body)
            .await;
        assert_eq!(resp.status(), 200, "{backend:?}");
        let done = json_of(resp).await;
        assert_eq!(done["run_id"], run.row.id.as_str());
        assert_eq!(
            (
                &done["started"],
                &done["notified"],
                &done["already_applying"],
                &done["already_enrolled"]
            ),
            (&json!(1), &json!(1), &json!(1), &json!(0)),
            "{backend:?} {done}"
        );
        let again = json_of(
            app.post(&desa.token, "/api/v1/applications/from-list", &body)
                .await,
        )
        .await;
        assert_eq!(
            (&again["started"], &again["already_applying"]),
            (&json!(0), &json!(2))
        );

        let list = json_of(
            app.get(&desa.token, "/api/v1/applications?programme=LANSIA-T")
                .await,
        )
        .await;
        let head = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|a| a["person_id"] == poorest[0].as_str())
            .expect("the head's application")
            .clone();
        assert_eq!(head["channel"], "matching");
        assert_eq!(head["state"], "draft");
        assert_eq!(head["run_id"], run.row.id.as_str());
        let told = pintu_store::outbox::list(
            app.pintu.store.conn(),
            &pintu_domain::access::Scope::National,
            None,
            Some(head["id"].as_str().expect("id")),
            None,
            10,
        )
        .await
        .expect("outbox");
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].template, "pre_identified");
        assert!(told[0].body.contains("LANSIA-T") && told[0].body.len() <= 160);

        // One village of one's own area at a time; not for administrators.
        for (token, area, code) in [
            (&desa.token, "35.07.01", "area_not_village"),
            (&desa.token, SIBLING_VILLAGE, "village_outside_area"),
            (&desa.token, "35.x", "area_code_malformed"),
        ] {
            let resp = app
                .post(
                    token,
                    "/api/v1/applications/from-list",
                    &json!({"programme": "LANSIA-T", "area": area}),
                )
                .await;
            assert_eq!(error_code(resp).await, (422, code.into()), "{area}");
        }
        let resp = app
            .post(&admin.token, "/api/v1/applications/from-list", &body)
            .await;
        assert_eq!(resp.status(), 403);

        if backend == pintu_testkit::Backend::Sqlite {
            let (page_client, csrf) = crate::pages::logged_in(&app, "desa").await;
            let list_path = format!("/matching/lists/LANSIA-T?area={VILLAGE}");
            let (_, html) = page(&page_client, &app, &list_path).await;
            assert!(html.contains("id=\"start-applications\""), "{html}");
            let (status, location) = post_form(
                &page_client,
                &app,
                "/matching/lists/LANSIA-T/applications",
                &[("csrf", &csrf), ("area", VILLAGE)],
            )
            .await;
            assert_eq!(status, 303);
            let (_, html) = page(&page_client, &app, &location).await;
            assert!(
                html.contains("0 permohonan dimulai") && html.contains("2 sudah mengajukan"),
                "{html}"
            );
            let (kab_page, _) = crate::pages::logged_in(&app, "kab").await;
            let (_, html) = page(&kab_page, &app, "/matching/lists/LANSIA-T?area=35.07").await;
            assert!(
                !html.contains("id=\"start-applications\""),
                "one village at a time"
            );
        }
    }
}

/// An agency officer's account for `programme` (in `area`, if any) and their API token.
async fn agency(app: &TestApp, username: &str, programme: &str, area: Option<&str>) -> String {
    let ctx = pintu_service::Ctx::system("test");
    app.pintu
        .create_agency_officer(
            &ctx,
            username,
            username,
            programme,
            area,
            pintu_testkit::TEST_PASSWORD,
        )
        .await
        .expect("agency officer");
    app.pintu
        .issue_api_token(&ctx, username, "agency")
        .await
        .expect("token")
}

#[tokio::test]
async fn an_agency_officer_decides_the_applications_of_their_own_programme_only() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
        let kec = app
            .officer("kec", "subdistrict_officer", Some("35.07.01"))
            .await;
        let people = family(&app, &desa.token, VILLAGE, 1, 2).await;
        programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;
        programme_with_documents(&app.pintu.store, "BANTU-X", Some("35.07")).await;
        // An account tied to no programme, or to an unknown one, is refused.
        let ctx = pintu_service::Ctx::system("test");
        let none = app
            .pintu
            .create_user(
                &ctx,
                "tanpa",
                "tanpa",
                "agency_officer",
                None,
                "kata sandi panjang",
            )
            .await;
        assert!(matches!(none, Err(pintu_service::Error::Invalid(_))));
        let unknown = app
            .pintu
            .create_agency_officer(&ctx, "entah", "entah", "NOPE", None, "kata sandi panjang")
            .await;
        assert!(matches!(unknown, Err(pintu_service::Error::Invalid(_))));
        let dinsos = agency(&app, "dinsos", "BANTU-T", None).await;
        let elsewhere = agency(&app, "dinsos-lain", "BANTU-T", Some("35.08")).await;

        // Two applications forwarded with their documents checked: BANTU-T and BANTU-X.
        let mut ids = Vec::new();
        for code in ["BANTU-T", "BANTU-X"] {
            let d = json_of(
                app.post(
                    &desa.token,
                    "/api/v1/applications",
                    &json!({"person_id": people[0], "programme": code}),
                )
                .await,
            )
            .await;
            let id = d["application"]["id"].as_str().expect("id").to_string();
            for req in ["0", "1"] {
                let doc =
                    json_of(upload(&app, &desa.token, &id, Some(req), "d.pdf", PDF.to_vec()).await)
                        .await;
                let path = format!(
                    "/api/v1/applications/{id}/documents/{}/check",
                    doc["id"].as_str().expect("doc")
                );
                assert_eq!(app.post(&desa.token, &path, &json!({})).await.status(), 200);
            }
            assert_eq!(
                step(&app, &desa.token, &id, json!({"action": "submit"}))
                    .await
                    .status(),
                200
            );
            assert_eq!(
                step(&app, &kec.token, &id, json!({"action": "forward"}))
                    .await
                    .status(),
                200
            );
            ids.push(id);
        }
        let (mine, theirs) = (&ids[0], &ids[1]);

        // The agency lists and reads only its programme's applications.
        let list = json_of(
            app.get(&dinsos, "/api/v1/applications?programme=BANTU-X")
                .await,
        )
        .await;
        let listed: Vec<&str> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["id"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(listed, [mine.as_str()]);
        let d = json_of(
            app.get(&dinsos, &format!("/api/v1/applications/{mine}"))
                .await,
        )
        .await;
        assert_eq!(d["actions"], json!(["approve", "reject"]));
        assert_eq!(
            app.get(&dinsos, &format!("/api/v1/applications/{theirs}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.get(&elsewhere, &format!("/api/v1/applications/{mine}"))
                .await
                .status(),
            404
        );
        // It reads the documents, and neither hands any in nor touches the registry.
        let doc = d["requirements"][0]["documents"][0]["id"]
            .as_str()
            .expect("doc");
        let resp = app
            .get(
                &dinsos,
                &format!("/api/v1/applications/{mine}/documents/{doc}"),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let resp = upload(&app, &dinsos, mine, None, "x.pdf", PDF.to_vec()).await;
        assert_eq!(resp.status(), 403);
        assert_eq!(app.get(&dinsos, "/api/v1/persons").await.status(), 403);
        let resp = app
            .post(
                &dinsos,
                "/api/v1/applications",
                &json!({"person_id": people[1], "programme": "BANTU-T"}),
            )
            .await;
        assert_eq!(resp.status(), 403);
        let resp = step(
            &app,
            &dinsos,
            mine,
            json!({"action": "withdraw", "reason": "x"}),
        )
        .await;
        assert_eq!(resp.status(), 403);
        let resp = step(&app, &dinsos, theirs, json!({"action": "approve"})).await;
        assert_eq!(resp.status(), 404);

        // It decides and enrols through the API.
        let resp = step(&app, &dinsos, mine, json!({"action": "approve"})).await;
        assert_eq!(resp.status(), 200);
        let resp = step(&app, &dinsos, mine, json!({"action": "enrol"})).await;
        assert_eq!(resp.status(), 200);
        let d = json_of(resp).await;
        assert_eq!(d["application"]["state"], "enrolled");
        assert!(d["events"].to_string().contains("user:dinsos"));
        let other = json_of(
            app.get(&kec.token, &format!("/api/v1/applications/{theirs}"))
                .await,
        )
        .await;
        assert_eq!(other["application"]["state"], "forwarded");

        // In the browser, the agency's home is its programme's applications.
        let (c, _) = crate::pages::logged_in(&app, "dinsos").await;
        let resp = c.get(app.url("/")).send().await.expect("home");
        assert_eq!(resp.headers()["location"], "/applications");
        let page = c
            .get(app.url("/applications"))
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("html");
        assert!(page.contains(mine.as_str()) && !page.contains(theirs.as_str()));
        assert!(
            page.contains("href=\"/applications\""),
            "the menu has applications"
        );
        assert!(!page.contains("href=\"/persons\""), "and no registry");
    }
}
