//! The pages through a real server: login, CSRF, sessions, language, forms and area scope.

use pintu_testkit::{Backend, TEST_PASSWORD, TestApp, spawn_app};

use crate::{VILLAGE, household, json_of, nik};

pub(crate) fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().expect("value").to_string()
}

/// Logs in through the form and returns the cookie-keeping client and the session's CSRF token.
pub(crate) async fn logged_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = app.browser_client();
    let form = c
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let resp = c
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", TEST_PASSWORD),
            ("csrf", &csrf_of(&form)),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 303, "login redirects");
    // The home page, or where it sends this role (the ombudsman, an agency).
    let mut home = c.get(app.url("/")).send().await.expect("dashboard");
    if let Some(to) = home.headers().get("location").and_then(|l| l.to_str().ok()) {
        home = c.get(app.url(to)).send().await.expect("home");
    }
    let dashboard = home.text().await.expect("html");
    let token = csrf_of(&dashboard);
    (c, token)
}

#[tokio::test]
async fn pages_need_a_session_and_login_needs_the_forms_csrf_token() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let c = app.browser_client();
    let resp = c.get(app.url("/")).send().await.expect("request");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");

    let page = c.get(app.url("/login")).send().await.expect("login page");
    let set_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains("lang=\"id\"") && html.contains("Masuk"),
        "Indonesian by default"
    );

    let forged = c
        .post(app.url("/login"))
        .form(&[
            ("username", "desa"),
            ("password", TEST_PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), 403);
    let wrong = c
        .post(app.url("/login"))
        .form(&[
            ("username", "desa"),
            ("password", "wrong password"),
            ("csrf", &csrf_of(&html)),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("Nama pengguna atau kata sandi salah.")
    );

    let (c, token) = logged_in(&app, "desa").await;
    let dash = c
        .get(app.url("/"))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(
        dash.contains("Tulungrejo"),
        "the dashboard names the officer's village"
    );
    let out = c
        .post(app.url("/logout"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 303);
    assert_eq!(
        c.get(app.url("/")).send().await.expect("request").status(),
        303,
        "logged out"
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let c = app.browser_client();
    let csrf = csrf_of(
        &c.get(app.url("/login"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html"),
    );
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = c
            .post(app.url("/login"))
            .form(&[
                ("username", "desa"),
                ("password", "nope nope nope"),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .expect("request");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429]);
    let right = c
        .post(app.url("/login"))
        .form(&[
            ("username", "desa"),
            ("password", TEST_PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(
        right.status(),
        429,
        "even the right password waits out the lock"
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_writes_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let (c, _) = logged_in(&app, "desa").await;
    let form = [
        ("village_code", VILLAGE),
        ("members[0].full_name", "Sutrisno"),
        ("members[0].sex", "L"),
        ("members[0].birth_date", "1978-03-15"),
        ("members[0].relationship", "KEPALA KELUARGA"),
    ];
    let resp = c
        .post(app.url("/households/new"))
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 403);
    let counts = app
        .pintu
        .dashboard(&pintu_service::Ctx::system("test"))
        .await
        .expect("counts");
    assert_eq!(counts.households, 0);
}

#[tokio::test]
async fn the_register_form_explains_errors_in_the_chosen_language_and_then_registers() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let (c, token) = logged_in(&app, "desa").await;
    let mut form = vec![
        ("csrf", token.clone()),
        ("village_code", VILLAGE.to_string()),
        ("rt", "4".into()),
        ("members[0].nik", "35070115037800".into()),
        ("members[0].full_name", "Sutrisno".into()),
        ("members[0].sex", "L".into()),
        ("members[0].birth_date", "1978-03-15".into()),
        ("members[0].relationship", "KEPALA KELUARGA".into()),
    ];
    let bad = c
        .post(app.url("/households/new"))
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.expect("html");
    assert!(
        html.contains("NIK harus tepat 16 angka."),
        "Indonesian message"
    );
    assert!(
        html.contains("value=\"Sutrisno\""),
        "the form keeps what was typed"
    );

    assert_eq!(
        c.get(app.url("/lang/en?next=/households/new"))
            .send()
            .await
            .expect("switch")
            .status(),
        303
    );
    let bad_en = c
        .post(app.url("/households/new"))
        .form(&form)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        bad_en.contains("A NIK has exactly 16 digits."),
        "English message after the switch"
    );

    form[3].1 = nik(VILLAGE, 1);
    let ok = c
        .post(app.url("/households/new"))
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 303);
    let location = ok.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/households/"));
    let page = c
        .get(app.url(&location))
        .send()
        .await
        .expect("household")
        .text()
        .await
        .expect("html");
    assert!(page.contains("The household was registered.") && page.contains("Sutrisno"));
}

#[tokio::test]
async fn searching_by_nik_in_the_page_keeps_the_nik_out_of_the_url() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    assert_eq!(
        app.post(
            &o.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno Wibowo")
        )
        .await
        .status(),
        201
    );
    let (c, token) = logged_in(&app, "desa").await;
    let resp = c
        .post(app.url("/persons/search"))
        .header("hx-request", "true")
        .form(&[("q", nik(VILLAGE, 1)), ("csrf", token)])
        .send()
        .await
        .expect("search");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("Sutrisno Wibowo"));
    assert!(!html.contains("<html"), "htmx gets only the results");
    assert!(!html.contains(&format!("?q={}", nik(VILLAGE, 1))));
}

#[tokio::test]
async fn an_officer_gets_not_found_for_a_person_outside_their_area() {
    let app = spawn_app(Backend::Sqlite).await;
    let owner = app.officer("owner", "village_officer", Some(VILLAGE)).await;
    let created = json_of(
        app.post(
            &owner.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno"),
        )
        .await,
    )
    .await;
    let pid = created["person_ids"][0].as_str().expect("id").to_string();
    app.officer("tetangga", "village_officer", Some(crate::SIBLING_VILLAGE))
        .await;
    let (c, _) = logged_in(&app, "tetangga").await;
    assert_eq!(
        c.get(app.url(&format!("/persons/{pid}")))
            .send()
            .await
            .expect("request")
            .status(),
        404
    );
    let (c, _) = logged_in(&app, "owner").await;
    let page = c
        .get(app.url(&format!("/persons/{pid}")))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Riwayat"));
}

#[tokio::test]
async fn the_area_picker_offers_the_children_of_the_chosen_area() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("admin", "admin", None).await;
    let (c, _) = logged_in(&app, "admin").await;
    let form = c
        .get(app.url("/households/new"))
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    assert!(form.contains("Jawa Timur"), "provinces are offered");
    let options = c
        .get(app.url("/areas/options?target=regency&province=35"))
        .header("hx-request", "true")
        .send()
        .await
        .expect("options")
        .text()
        .await
        .expect("html");
    assert!(options.contains("Kabupaten Malang"));
    assert!(options.contains("hx-swap-oob"), "lower levels are cleared");
}

#[tokio::test]
async fn a_correction_through_the_person_page_is_kept_in_the_history() {
    let app = spawn_app(Backend::Sqlite).await;
    let o = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let created = json_of(
        app.post(
            &o.token,
            "/api/v1/households",
            &household(VILLAGE, &nik(VILLAGE, 1), "Sutrisno"),
        )
        .await,
    )
    .await;
    let pid = created["person_ids"][2]
        .as_str()
        .expect("the newborn")
        .to_string();
    let (c, token) = logged_in(&app, "desa").await;
    let form = [
        ("csrf", token.as_str()),
        ("full_name", "Bayu Pratama"),
        ("nik", ""),
        ("occupation", "BELUM BEKERJA"),
        ("reason", "akta kelahiran"),
    ];
    let resp = c
        .post(app.url(&format!("/persons/{pid}/edit")))
        .form(&form)
        .send()
        .await
        .expect("edit");
    assert_eq!(resp.status(), 303);
    let page = c
        .get(app.url(&format!("/persons/{pid}?notice=person-saved")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Bayu Pratama")
            && page.contains("akta kelahiran")
            && page.contains("Perubahan disimpan.")
    );
    let bad = c
        .post(app.url(&format!("/persons/{pid}/edit")))
        .form(&[("csrf", token.as_str()), ("nik", "123")])
        .send()
        .await
        .expect("edit");
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .expect("html")
            .contains("NIK harus tepat 16 angka.")
    );
}

/// The complaint form's fields, as a browser sends them (multipart: the form takes a file).
fn complaint_form(token: &str, category: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf", token.to_string())
        .text("channel", "subdistrict_counter")
        .text("village_code", VILLAGE)
        .text("complainant_nik", "")
        .text("complainant_name", "Sri Wahyuni")
        .text("contact", "0812 3456 7890")
        .text("category", category.to_string())
        .text("programme", "PKH")
        .text("description", "Bantuan PKH bulan ini belum cair.")
        .text("officer", "Bu Ratna")
}

async fn complaints_recorded(app: &TestApp) -> usize {
    app.pintu
        .complaints(
            &pintu_service::Ctx::system("test"),
            None,
            Some("all"),
            None,
            None,
            false,
            None,
            Some(50),
            chrono::Utc::now(),
        )
        .await
        .expect("complaints")
        .items
        .len()
}

#[tokio::test]
async fn the_complaint_form_explains_a_missing_category_in_indonesian_and_records_nothing() {
    use chrono::Datelike;
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let (c, token) = logged_in(&app, "desa").await;
    let form = c
        .get(app.url("/complaints/new"))
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), 200);
    let form = form.text().await.expect("html");
    assert!(
        form.contains("enctype=\"multipart/form-data\"") && form.contains("Saluran pengaduan"),
        "the action form in Indonesian"
    );

    let bad = c
        .post(app.url("/complaints/new"))
        .multipart(complaint_form(&token, ""))
        .send()
        .await
        .expect("submit");
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.expect("html");
    assert!(
        html.contains("Jenis pengaduan") && html.contains("Kolom ini wajib diisi."),
        "the summary names the missing category in Indonesian"
    );
    assert!(
        html.contains("Bantuan PKH bulan ini belum cair.")
            && html.contains("value=\"Sri Wahyuni\""),
        "the form keeps what was typed"
    );
    assert_eq!(complaints_recorded(&app).await, 0, "nothing is written");

    let ok = c
        .post(app.url("/complaints/new"))
        .multipart(complaint_form(&token, "benefit_delay"))
        .send()
        .await
        .expect("submit");
    assert_eq!(ok.status(), 303);
    let location = ok.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/complaints/"), "{location}");
    let page = c
        .get(app.url(&location))
        .send()
        .await
        .expect("complaint page")
        .text()
        .await
        .expect("html");
    let reference = format!("35.07-{}-000001", pintu_service::today().year());
    assert!(page.contains(&reference), "the reference is shown");
    assert!(page.contains("Pengaduan tersimpan.") && page.contains("Bantuan terlambat"));
    assert!(
        page.contains("Tanda tangan pelapor"),
        "the printable form has the resident's signature line"
    );
    assert_eq!(complaints_recorded(&app).await, 1);
}

#[tokio::test]
async fn the_complaint_reports_draw_svg_charts_for_a_district_officer() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("kab", "district_officer", Some("35.07")).await;
    let (c, token) = logged_in(&app, "kab").await;
    let recorded = c
        .post(app.url("/complaints/new"))
        .multipart(complaint_form(&token, "wrong_data"))
        .send()
        .await
        .expect("submit");
    assert_eq!(recorded.status(), 303);

    let resp = c
        .get(app.url("/complaints/reports?by=category"))
        .send()
        .await
        .expect("reports");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("<svg class=\"chart\""), "a bar chart");
    assert!(html.contains("Data salah"), "the category in words");
    assert!(html.contains("Menurut jenis pengaduan"));
    assert!(
        html.contains("id=\"total-received\">1<"),
        "one complaint received"
    );
    assert!(
        !html.contains("style="),
        "no inline styles (the CSP forbids them)"
    );
    assert!(!html.contains("<script>"), "no inline scripts");
    assert!(
        html.contains("/complaints/reports/monthly?period=")
            && html.contains("/complaints/reports/half-year?period="),
        "links to the periodic reports"
    );

    let month = pintu_service::today().format("%Y-%m").to_string();
    let report = c
        .get(app.url(&format!("/complaints/reports/monthly?period={month}")))
        .send()
        .await
        .expect("monthly report");
    assert_eq!(report.status(), 200);
    let report = report.text().await.expect("html");
    assert!(report.contains("Laporan bulanan pengaduan") && report.contains("<svg"));
    assert!(report.contains("Kabupaten Malang"), "the district by name");
    let wrong = c
        .get(app.url("/complaints/reports/half-year?period=2026-13"))
        .send()
        .await
        .expect("bad period");
    assert_eq!(wrong.status(), 422);
}

#[tokio::test]
async fn the_ombudsman_sees_only_complaints_in_the_menu() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("ombudsman", "ombudsman", Some("35")).await;
    let c = app.browser_client();
    let form = c
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("html");
    let login = c
        .post(app.url("/login"))
        .form(&[
            ("username", "ombudsman"),
            ("password", TEST_PASSWORD),
            ("csrf", &csrf_of(&form)),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let home = c.get(app.url("/")).send().await.expect("home");
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()["location"], "/complaints");
    let list = c.get(app.url("/complaints")).send().await.expect("list");
    assert_eq!(list.status(), 200);
    let html = list.text().await.expect("html");
    assert!(
        html.contains("href=\"/complaints\""),
        "the complaints entry"
    );
    assert!(
        !html.contains("href=\"/persons\"") && !html.contains("id=\"record-complaint\""),
        "no registry entries and no recording for the ombudsman"
    );
    assert_eq!(
        c.get(app.url("/complaints/new"))
            .send()
            .await
            .expect("form")
            .status(),
        403
    );
}
