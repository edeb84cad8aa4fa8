//! End to end in a real browser (headless Chromium driven through chromedriver): a village
//! officer logs in, switches the language, registers a household (after a validation error)
//! and finds its members again by name and by NIK.
//!
//! The test starts its own chromedriver on a free port. Without chromedriver or Chromium it is
//! skipped on a developer machine, and fails under CI=true.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use pintu_testkit::{Backend, TEST_PASSWORD, spawn_app};
use serde_json::{Value, json};

/// How long to wait for anything to appear: generous, since only a failure waits this long.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// Tulungrejo, Kecamatan Donomulyo, Kabupaten Malang.
const VILLAGE: &str = "35.07.01.2001";
const VILLAGE_NAME: &str = "Tulungrejo";
/// A valid KK number: province 35, issued 15-03-2020, serial 0001.
const KK: &str = "3507011503200001";
/// The head's NIK: Donomulyo (350701), born 15-03-1978 (a man), serial 0001.
const HEAD_NIK: &str = "3507011503780001";
const HEAD: &str = "Sutrisno Wibowo";
const WIFE: &str = "Siti Aminah";

#[tokio::test]
async fn a_village_officer_logs_in_switches_language_registers_a_household_and_finds_it() {
    let started = Instant::now();
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;

    if in_browser(|c| scenario(c, app.base.clone())).await {
        eprintln!(
            "browser test passed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}

/// The sub-district MIS unit works the conflict queue: sees the two values side by side with
/// their sources, takes the survey's value for one, sends the other to the village, and
/// finds the decision on the person page with its provenance.
#[tokio::test]
async fn a_subdistrict_officer_works_the_conflict_queue_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    crate::review::seed_conflicts(&app).await;
    app.officer("kec", "subdistrict_officer", Some("35.07.01"))
        .await;
    in_browser(|c| conflict_scenario(c, app.base.clone())).await;
}

async fn conflict_scenario(c: Client, base: String) {
    log_in(&c, &base, "kec").await;

    // The menu leads to the queue.
    wait_for(&c, Locator::Css("nav.main a[href='/review']"))
        .await
        .click()
        .await
        .expect("open the review page");
    wait_text(&c, Locator::Css("main h1"), "Konflik antar sumber data").await;
    let child =
        Locator::XPath("//article[contains(@class,'conflict')][contains(., 'DEWI LESTARI')]");
    let card = wait_for(&c, child).await;
    let cell = |css: &'static str| {
        let card = card.clone();
        async move {
            card.find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css} in the conflict: {e}"))
                .text()
                .await
                .expect("text")
        }
    };
    assert_eq!(cell("td.current").await, "2015-03-04");
    assert_eq!(cell("td.proposed").await, "2014-11-20");
    let table = cell("table.side-by-side").await;
    assert!(
        table.contains("Kartu Keluarga (KK)"),
        "the registry's source: {table}"
    );
    assert!(
        table.contains("DTKS"),
        "the survey as the other source: {table}"
    );
    card.find(Locator::Css("button.decision-take"))
        .await
        .expect("the take button")
        .click()
        .await
        .expect("take the survey's value");
    wait_text(&c, Locator::Css("main .notice"), "Keputusan tersimpan").await;
    assert!(
        c.find(child).await.is_err(),
        "a decided conflict leaves the queue"
    );

    // The village is for the village office to check.
    let wife =
        Locator::XPath("//article[contains(@class,'conflict')][contains(., 'SITI AMINAH RAHAYU')]");
    let card = wait_for(&c, wife).await;
    fill(
        &c,
        &format!("note-{}", conflict_id(&card).await),
        "cek alamat",
    )
    .await;
    card.find(Locator::Css("button.decision-send_to_village"))
        .await
        .expect("the send button")
        .click()
        .await
        .expect("send to the village");
    wait_text(&c, Locator::Css("main .notice"), "Dikirim ke kantor desa").await;
    wait_text(&c, wife, "dikirim ke desa").await;

    // The decided conflict in the person's page, with the new value's provenance.
    c.goto(&format!("{base}/review?status=resolved"))
        .await
        .expect("decided conflicts");
    wait_for(&c, child)
        .await
        .find(Locator::Css("h2 a"))
        .await
        .expect("the person link")
        .click()
        .await
        .expect("open the person");
    wait_text(&c, Locator::Css("main h1"), "DEWI LESTARI").await;
    let row = wait_text(
        &c,
        Locator::XPath("//table[@id='provenance']//tr[contains(., 'Tanggal lahir')]"),
        "2014-11-20",
    )
    .await;
    assert!(row.contains("Tinjauan konflik"), "{row}");
    let records = text_of(&c, Locator::Id("linked-records")).await;
    assert!(
        records.contains("DTKS") && records.contains("KK"),
        "{records}"
    );
}

/// A village officer records a complaint on the action form, answers it there by village
/// consensus and records that the resident accepted the answer: the complaint closes with
/// every step in its history.
#[tokio::test]
async fn a_village_officer_records_answers_and_closes_a_complaint_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    app.officer("desa", "village_officer", Some(VILLAGE)).await;
    in_browser(|c| complaint_scenario(c, app.base.clone())).await;
}

async fn complaint_scenario(c: Client, base: String) {
    use chrono::Datelike;
    log_in(&c, &base, "desa").await;

    // The menu leads to the complaints, none yet.
    wait_for(&c, Locator::Css("nav.main a[href='/complaints']"))
        .await
        .click()
        .await
        .expect("open the complaints");
    wait_text(&c, Locator::Css("main h1"), "Pengaduan").await;
    wait_for(&c, Locator::Id("complaints-empty")).await;

    // The action form: today's date and the officer's own village are filled in.
    click(&c, "record-complaint").await;
    wait_for(&c, Locator::Id("complaint-form")).await;
    let today = pintu_service::today();
    assert_eq!(
        value_of(&c, Locator::Id("received_on")).await,
        today.to_string()
    );
    assert_eq!(
        value_of(
            &c,
            Locator::Css("#complaint-form input[name='village_code']")
        )
        .await,
        VILLAGE
    );
    select(&c, "channel", "village_intermediary").await;
    fill(&c, "complainant_name", "Sri Wahyuni").await;
    fill(&c, "contact", "0812 3456 7890").await;
    select(&c, "category", "exclusion_error").await;
    fill(&c, "programme", "PKH").await;
    fill(
        &c,
        "description",
        "Keluarga lansia ini tidak lagi menerima PKH sejak bulan lalu.",
    )
    .await;
    fill(&c, "officer", "Bu Ratna").await;
    click(&c, "complaint-submit").await;

    // Its page, with its reference in the district and year.
    wait_text(&c, Locator::Id("notice"), "Pengaduan tersimpan.").await;
    let reference = format!("35.07-{}-000001", today.year());
    assert_eq!(text_of(&c, Locator::Id("reference")).await, reference);
    wait_text(&c, Locator::Id("complaint-status"), "Dalam penanganan").await;

    // Answered at the village by consensus, with the response to the resident.
    select(&c, "resolve-resolution", "community_consensus").await;
    fill(
        &c,
        "resolve-note",
        "Dimusyawarahkan di balai desa: keluarga diusulkan kembali sebagai penerima PKH.",
    )
    .await;
    click(&c, "resolve-submit").await;
    wait_text(&c, Locator::Id("notice"), "Jawaban tercatat").await;
    wait_text(&c, Locator::Id("complaint-status"), "Sudah dijawab").await;
    wait_text(
        &c,
        Locator::Id("complaint-response"),
        "diusulkan kembali sebagai penerima PKH",
    )
    .await;

    // The resident accepted the answer: the complaint closes.
    click(&c, "acknowledge-acknowledged").await;
    wait_text(&c, Locator::Id("notice"), "pengaduan ditutup").await;
    wait_text(&c, Locator::Id("complaint-status"), "Ditutup").await;
    wait_text(
        &c,
        Locator::Id("complaint-acknowledgement"),
        "Pelapor menerima jawaban",
    )
    .await;
    assert!(
        c.find(Locator::Id("step-acknowledge")).await.is_err(),
        "nothing left to acknowledge"
    );
    let history = text_of(&c, Locator::Id("complaint-history")).await;
    for step in [
        "Diterima",
        "Dijawab",
        "Tanggapan pelapor dicatat",
        "Bu Ratna",
    ] {
        assert!(
            history.contains(step),
            "the history shows {step:?}: {history}"
        );
    }

    // And it is listed among the closed ones.
    c.goto(&format!("{base}/complaints?status=closed"))
        .await
        .expect("closed complaints");
    wait_text(&c, Locator::Id("complaints"), &reference).await;
}

/// A sub-district officer answers the phone in the call-centre console: finds the caller by
/// NIK (posted, never in the browser's address), sees their household and applications,
/// reads a programme's script to them, logs the call, and then logs a call from someone not
/// in the registry by their village and number.
#[tokio::test]
async fn a_call_centre_officer_finds_the_caller_answers_and_logs_calls_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    let kec = app
        .officer("kec", "subdistrict_officer", Some("35.07.01"))
        .await;
    let people = crate::matching::family(&app, &kec.token, VILLAGE, 1, 2).await;
    crate::applications::programme_with_documents(&app.pintu.store, "BANTU-T", None).await;
    let resp = app
        .post(
            &kec.token,
            "/api/v1/applications",
            &json!({"person_id": people[0], "programme": "BANTU-T"}),
        )
        .await;
    assert_eq!(resp.status(), 201, "an application of the caller");
    let nik = crate::nik(VILLAGE, 1);
    in_browser(|c| call_centre_scenario(c, app.base.clone(), nik)).await;
}

async fn call_centre_scenario(c: Client, base: String, nik: String) {
    log_in(&c, &base, "kec").await;

    // The menu leads to the console; no call logged yet.
    wait_for(&c, Locator::Css("nav.main a[href='/call-centre']"))
        .await
        .click()
        .await
        .expect("open the call centre");
    wait_text(&c, Locator::Css("main h1"), "Pusat panggilan").await;
    wait_for(&c, Locator::Id("no-calls")).await;

    // The caller by NIK: the form is posted, so the NIK is in no address and not echoed.
    fill(&c, "q", &nik).await;
    click(&c, "call-search-submit").await;
    let found = wait_text(&c, Locator::Id("callers"), "Kepala 1").await;
    assert!(!found.contains("Siti Aminah"), "only the caller: {found}");
    let url = c.current_url().await.expect("current URL").to_string();
    assert!(!url.contains(&nik), "the NIK is not in the URL: {url}");
    assert_eq!(path_of(&c).await, "/call-centre/search");
    assert_eq!(
        value_of(&c, Locator::Id("q")).await,
        "",
        "the NIK is not shown back"
    );

    // Their household and applications.
    wait_for(&c, Locator::Css("#callers a"))
        .await
        .click()
        .await
        .expect("open the caller");
    wait_text(&c, Locator::Id("caller-name"), "Kepala 1").await;
    let members = text_of(&c, Locator::Id("members")).await;
    for name in ["Kepala 1", "Siti Aminah", "Bayu"] {
        assert!(
            members.contains(name),
            "the household shows {name}: {members}"
        );
    }
    let applications = text_of(&c, Locator::Id("caller-applications")).await;
    assert!(
        applications.contains("BANTU-T") && applications.contains("Draf"),
        "{applications}"
    );
    let url = c.current_url().await.expect("current URL").to_string();
    assert!(!url.contains(&nik), "the NIK is not in the URL: {url}");

    // The PKH script, from the programme catalogue.
    select(&c, "script-programme", "PKH").await;
    wait_for(&c, Locator::Css("#script-form button[type='submit']"))
        .await
        .click()
        .await
        .expect("show the script");
    wait_text(
        &c,
        Locator::Id("script"),
        "Apa itu Program Keluarga Harapan?",
    )
    .await;
    wait_text(&c, Locator::Id("script"), "Kartu Keluarga (KK)").await;
    assert_eq!(
        value_of(&c, Locator::Id("programme")).await,
        "PKH",
        "the call is about the programme whose script was read"
    );

    // The call is logged and listed with the caller's past calls.
    select(&c, "reason", "programme_information").await;
    select(&c, "outcome", "answered").await;
    fill(&c, "note", "Syarat PKH dijelaskan").await;
    click(&c, "call-submit").await;
    wait_text(&c, Locator::Id("notice"), "Panggilan sudah dicatat.").await;
    let row = wait_text(&c, Locator::Id("calls"), "Syarat PKH dijelaskan").await;
    for shown in ["Informasi program", "PKH", "Terjawab", "Kepala 1"] {
        assert!(row.contains(shown), "the call shows {shown:?}: {row}");
    }
    assert!(c.find(Locator::Id("no-calls")).await.is_err());

    // A caller who is not in the registry: logged by village and number on the console.
    wait_for(&c, Locator::Css("nav.main a[href='/call-centre']"))
        .await
        .click()
        .await
        .expect("back to the console");
    wait_text(&c, Locator::Id("calls"), "Syarat PKH dijelaskan").await;
    wait_for(&c, Locator::Css("#unknown-caller summary"))
        .await
        .click()
        .await
        .expect("open the unknown caller's form");
    fill(&c, "village_code", "35.07.01.2002").await;
    fill(&c, "caller_phone", "0813 1111 2222").await;
    select(&c, "reason", "payment").await;
    select(&c, "outcome", "call_back").await;
    fill(&c, "note", "Minta ditelepon sore").await;
    click(&c, "unknown-call-submit").await;
    wait_text(&c, Locator::Id("notice"), "Panggilan sudah dicatat.").await;
    assert_eq!(path_of(&c).await, "/call-centre");
    let stranger = wait_text(
        &c,
        Locator::XPath("//table[@id='calls']//tr[contains(., 'Minta ditelepon sore')]"),
        "0813 1111 2222",
    )
    .await;
    for shown in [
        "35.07.01.2002",
        "Pembayaran atau iuran",
        "Perlu ditelepon kembali",
    ] {
        assert!(
            stranger.contains(shown),
            "the call shows {shown:?}: {stranger}"
        );
    }
    let calls = text_of(&c, Locator::Id("calls")).await;
    assert!(
        calls.contains("Syarat PKH dijelaskan"),
        "both calls are listed: {calls}"
    );
}

/// The id of a conflict's card (`conflict-<id>`).
/// A district officer writes an eligibility rule in the editor: a misspelt field is flagged
/// as they type, with the field they meant; a rule that checks shows how many people living
/// in their area it makes eligible today. Then a person's page says why, in plain words, in
/// either language.
#[tokio::test]
async fn a_district_officer_previews_a_rule_and_reads_why_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    // Head born 1978 and wife 1980 with welfare decile 2; a child born 2025.
    let family = crate::matching::family(&app, &kab.token, VILLAGE, 1, 2).await;
    crate::matching::add_programme(
        &app.pintu.store,
        "LANSIA-T",
        "age >= 60",
        "age desc",
        "person",
        &[],
    )
    .await;
    // The regency's own programme, which its district officer keeps.
    pintu_store::execute(
        app.pintu.store.conn(),
        "UPDATE programmes SET area_code = '35.07' WHERE code = 'LANSIA-T'",
        vec![],
    )
    .await
    .expect("the regency's programme");
    in_browser(|c| rule_scenario(c, app.base.clone(), family[0].clone())).await;
}

async fn rule_scenario(c: Client, base: String, head: String) {
    log_in(&c, &base, "kab").await;

    c.goto(&format!("{base}/programmes/LANSIA-T/rules"))
        .await
        .expect("open the rule editor");
    // A misspelt field: flagged as typed, with where and what was meant.
    fill(&c, "rule", "age >= 40 && household.welfare_decil <= 3").await;
    let error = wait_text(
        &c,
        Locator::Css("#rule-errors .rule-errors"),
        "welfare_decile",
    )
    .await;
    assert!(
        error.contains("1"),
        "the line and column are given: {error}"
    );
    // Corrected: it checks, and two of the three people in the regency meet it.
    fill(&c, "rule", "age >= 40 && household.welfare_decile <= 3").await;
    let ok = wait_text(&c, Locator::Css("#rule-errors .rule-ok"), "dari 3 orang").await;
    assert!(
        text_of(&c, Locator::Id("rule-preview-count"))
            .await
            .starts_with("— 2 dari 3 orang"),
        "{ok}"
    );
    // Saved as a new version, in force from today (the date the form proposes).
    click(&c, "rule-submit").await;
    wait_text(
        &c,
        Locator::Css("#rule-versions"),
        "household.welfare_decile <= 3",
    )
    .await;

    // The head's page: eligible now, because of the clauses that decided it.
    c.goto(&format!("{base}/persons/{head}"))
        .await
        .expect("open the person page");
    let ours = Locator::XPath(
        "//table[@id='person-entitlements']//tr[.//a[@href='/programmes/LANSIA-T']]",
    );
    let row = wait_text(&c, ours, "LANSIA-T").await;
    assert_eq!(
        wait_for(&c, ours)
            .await
            .attr("class")
            .await
            .expect("class")
            .as_deref(),
        Some("entitlement-eligible")
    );
    assert!(row.contains("Memenuhi syarat"), "{row}");
    assert!(row.contains("48"), "the age that decided: {row}");
    click(&c, "lang-en").await;
    let row = wait_text(&c, ours, "Eligible").await;
    assert!(row.contains("household welfare decile is 2"), "{row}");
}

async fn conflict_id(card: &Element) -> String {
    card.attr("id")
        .await
        .expect("card id")
        .unwrap_or_default()
        .trim_start_matches("conflict-")
        .to_string()
}

async fn scenario(c: Client, base: String) {
    // The login page speaks Indonesian until told otherwise.
    c.goto(&format!("{base}/login"))
        .await
        .expect("open the login page");
    assert_eq!(
        document_lang(&c).await,
        "id",
        "the login page is in Bahasa Indonesia"
    );
    assert_eq!(text_of(&c, Locator::Id("login-submit")).await, "Masuk");
    fill(&c, "username", "desa").await;
    fill(&c, "password", TEST_PASSWORD).await;
    click(&c, "login-submit").await;

    // The dashboard, with the officer's village.
    wait_text(&c, Locator::Css("main h1"), "Beranda").await;
    assert_eq!(
        path_of(&c).await,
        "/",
        "after logging in, the officer lands on the dashboard"
    );
    wait_text(&c, Locator::Css("main .area"), VILLAGE_NAME).await;

    // Switch to English: the same page comes back in English.
    click(&c, "lang-en").await;
    wait_text(&c, Locator::Css("main h1"), "Dashboard").await;
    wait_for(&c, Locator::Id("lang-id")).await;
    assert_eq!(document_lang(&c).await, "en");
    assert_eq!(
        path_of(&c).await,
        "/",
        "switching the language stays on the page"
    );

    // Register a household. A village officer's area is fixed to their village.
    c.goto(&format!("{base}/households/new"))
        .await
        .expect("open the register form");
    wait_for(&c, Locator::Id("register-form")).await;
    let village = wait_for(&c, Locator::Id("area-village")).await;
    assert!(
        !village.is_enabled().await.expect("village select state"),
        "the village select is locked"
    );
    assert_eq!(
        village.text().await.expect("village select text").trim(),
        VILLAGE_NAME
    );
    assert_eq!(
        value_of(
            &c,
            Locator::Css("#register-form input[name='village_code']")
        )
        .await,
        VILLAGE
    );
    assert_eq!(
        value_of(&c, Locator::Id("members[0].relationship")).await,
        "KEPALA KELUARGA",
        "the first member is preselected as the head"
    );

    fill(&c, "kk_number", KK).await;
    fill(&c, "address", "Jl. Raya Tulungrejo 12").await;
    fill(&c, "rt", "4").await;
    fill(&c, "rw", "2").await;
    select(&c, "members[0].sex", "L").await;
    set_date(&c, "members[0].birth_date", "1978-03-15").await;
    fill(&c, "members[0].nik", HEAD_NIK).await;

    // Submitted without the head's name: the form comes back with the error, values kept.
    click(&c, "register-submit").await;
    let summary = wait_text(
        &c,
        Locator::Id("form-errors"),
        "Please correct the following",
    )
    .await;
    assert!(
        summary.contains("This field is required."),
        "the summary names the missing field: {summary}"
    );
    let name = wait_for(&c, Locator::Id("members[0].full_name")).await;
    assert_eq!(
        name.attr("aria-invalid")
            .await
            .expect("aria-invalid")
            .as_deref(),
        Some("true"),
        "the head's name is marked invalid"
    );
    assert_eq!(
        value_of(&c, Locator::Id("kk_number")).await,
        KK,
        "the KK number is kept"
    );
    assert_eq!(
        value_of(&c, Locator::Id("members[0].nik")).await,
        HEAD_NIK,
        "the NIK is kept"
    );
    assert_eq!(
        value_of(&c, Locator::Id("members[0].birth_date")).await,
        "1978-03-15"
    );
    fill(&c, "members[0].full_name", HEAD).await;

    // "Add a member" appends the second member in place (htmx), without reloading the page.
    wait_for_htmx(&c).await;
    mark_page(&c).await;
    click(&c, "add-member").await;
    wait_for(&c, Locator::Id("members[1].full_name")).await;
    assert!(
        page_is_marked(&c).await,
        "adding a member does not reload the page"
    );
    assert_eq!(
        value_of(&c, Locator::Id("members[0].full_name")).await,
        HEAD,
        "the head's name stays"
    );
    fill(&c, "members[1].full_name", WIFE).await;
    select(&c, "members[1].sex", "P").await;
    select(&c, "members[1].relationship", "ISTRI").await;
    set_date(&c, "members[1].birth_date", "1980-07-20").await;

    click(&c, "register-submit").await;
    wait_text(&c, Locator::Id("notice"), "The household was registered.").await;
    assert!(
        path_of(&c).await.starts_with("/households/"),
        "the household page follows the registration"
    );
    wait_text(&c, Locator::Css("main h1"), HEAD).await;
    let members = text_of(&c, Locator::Css("table#members")).await;
    for expected in [HEAD, WIFE, HEAD_NIK, "Head of family", "Wife"] {
        assert!(
            members.contains(expected),
            "the members table shows {expected:?}: {members}"
        );
    }

    // Find the wife by part of her name, in place (htmx).
    c.goto(&format!("{base}/persons"))
        .await
        .expect("open the people page");
    wait_for(&c, Locator::Id("results")).await;
    wait_for_htmx(&c).await;
    mark_page(&c).await;
    fill(&c, "q", "siti amin").await;
    click(&c, "search-submit").await;
    let found = wait_text(&c, Locator::Id("results"), WIFE).await;
    assert!(
        !found.contains(HEAD),
        "a search by name finds only her: {found}"
    );
    assert!(
        page_is_marked(&c).await,
        "the search swaps the results without reloading the page"
    );
    assert_eq!(path_of(&c).await, "/persons");

    // And the head by his NIK.
    fill(&c, "q", HEAD_NIK).await;
    click(&c, "search-submit").await;
    let found = wait_text(&c, Locator::Id("results"), HEAD).await;
    assert!(
        found.contains(HEAD_NIK),
        "the NIK search shows the NIK: {found}"
    );
    assert!(
        !found.contains(WIFE),
        "a search by NIK finds only him: {found}"
    );
}

// ---- chromedriver ------------------------------------------------------------------------

/// A chromedriver process for this test, killed when dropped.
struct Chromedriver {
    _process: tokio::process::Child,
    url: String,
}

impl Chromedriver {
    /// Starts chromedriver on a free port and waits until it is ready.
    async fn start() -> Option<Chromedriver> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            probe.local_addr().expect("probe address").port()
        };
        let mut process = match tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return unavailable("chromedriver is not installed (not found on PATH)");
            }
            Err(e) => panic!("cannot start chromedriver: {e}"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(response) = http.get(format!("{url}/status")).send().await
                && let Ok(status) = response.json::<Value>().await
                && status["value"]["ready"] == json!(true)
            {
                return Some(Chromedriver {
                    _process: process,
                    url,
                });
            }
            if let Ok(Some(exit)) = process.try_wait() {
                panic!("chromedriver exited before it was ready ({exit})");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver was not ready on port {port} within {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// A new headless Chromium session.
    async fn session(&self) -> Option<Client> {
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let mut options = json!({
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1200,900",
            ]
        });
        if let Some(binary) = binary {
            options["binary"] = json!(binary);
        }
        let mut capabilities = Capabilities::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
        {
            Ok(client) => Some(client),
            // Chromedriver looks for Chrome itself when we know of no Chromium.
            Err(e) if binary.is_none() => {
                unavailable(&format!("no Chromium or Chrome found ({e})"))
            }
            Err(e) => panic!("chromedriver could not start a session with {binary:?}: {e}"),
        }
    }
}

/// No browser here: a failure under CI, else a skip with a notice.
fn unavailable<T>(why: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("browser test: {why}; under CI=true chromium and chromedriver are required");
    }
    eprintln!("SKIPPED browser test: {why}. Install chromium and chromedriver to run it.");
    None
}

/// Where the browser was and what it showed, for a failed scenario.
/// Runs a scenario in a fresh headless browser session; false if it was skipped (no browser,
/// outside CI).
/// The scenario runs as a task so that a failed assertion in it still lets us report the
/// page it failed on and close the browser before the test fails.
async fn in_browser<F, Fut>(scenario: F) -> bool
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(driver) = Chromedriver::start().await else {
        return false;
    };
    let Some(client) = driver.session().await else {
        return false;
    };
    let outcome = tokio::spawn(scenario(client.clone())).await;
    if outcome.is_err() {
        report_page(&client).await;
    }
    let closed = client.close().await;
    drop(driver);
    match outcome {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the browser scenario did not finish: {e}"),
    }
    closed.expect("close the WebDriver session");
    true
}

async fn report_page(c: &Client) {
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_else(|e| format!("unknown ({e})"));
    let body = c
        .execute(
            "return document.body ? document.body.innerText : ''",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let body: String = body.chars().take(3000).collect();
    eprintln!("browser scenario failed at {url}; the page said:\n{body}");
}

// ---- page helpers ------------------------------------------------------------------------

/// Logs in through the form and waits for the dashboard.
async fn log_in(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/login"))
        .await
        .expect("open the login page");
    fill(c, "username", username).await;
    fill(c, "password", TEST_PASSWORD).await;
    click(c, "login-submit").await;
    wait_text(c, Locator::Css("main h1"), "Beranda").await;
}

async fn wait_for(c: &Client, at: Locator<'_>) -> Element {
    c.wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(at)
        .await
        .unwrap_or_else(|e| panic!("{at:?} did not appear within {WAIT:?}: {e}"))
}

/// Waits until the element's text contains `needle` (the element may come and go as pages
/// load and htmx swaps), and returns that text.
async fn wait_text(c: &Client, at: Locator<'_>, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    loop {
        if let Ok(el) = c.find(at).await
            && let Ok(text) = el.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        assert!(
            Instant::now() < deadline,
            "{at:?} did not show {needle:?} within {WAIT:?}; last seen: {last:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn text_of(c: &Client, at: Locator<'_>) -> String {
    wait_for(c, at).await.text().await.expect("element text")
}

async fn value_of(c: &Client, at: Locator<'_>) -> String {
    wait_for(c, at)
        .await
        .prop("value")
        .await
        .expect("element value")
        .unwrap_or_default()
}

async fn fill(c: &Client, id: &str, value: &str) {
    let el = wait_for(c, Locator::Id(id)).await;
    el.clear()
        .await
        .unwrap_or_else(|e| panic!("clear #{id}: {e}"));
    el.send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
}

async fn click(c: &Client, id: &str) {
    wait_for(c, Locator::Id(id))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click #{id}: {e}"));
}

async fn select(c: &Client, id: &str, value: &str) {
    wait_for(c, Locator::Id(id))
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value:?} in #{id}: {e}"));
}

/// Sets a date input. Typing into one depends on the browser's locale, so the value is set
/// directly, with the events typing would fire.
async fn set_date(c: &Client, id: &str, iso: &str) {
    wait_for(c, Locator::Id(id)).await;
    let set = c
        .execute(
            "const el = document.getElementById(arguments[0]);
             el.value = arguments[1];
             el.dispatchEvent(new Event('input', { bubbles: true }));
             el.dispatchEvent(new Event('change', { bubbles: true }));
             return el.value;",
            vec![json!(id), json!(iso)],
        )
        .await
        .unwrap_or_else(|e| panic!("set #{id}: {e}"));
    assert_eq!(set, json!(iso), "#{id} took the date");
}

async fn path_of(c: &Client) -> String {
    c.current_url()
        .await
        .expect("current URL")
        .path()
        .to_string()
}

async fn document_lang(c: &Client) -> String {
    let lang = c
        .execute("return document.documentElement.lang", vec![])
        .await
        .expect("document language");
    lang.as_str().unwrap_or_default().to_string()
}

async fn wait_for_htmx(c: &Client) {
    let deadline = Instant::now() + WAIT;
    while c
        .execute("return typeof window.htmx === 'object'", vec![])
        .await
        .ok()
        != Some(json!(true))
    {
        assert!(
            Instant::now() < deadline,
            "htmx did not load within {WAIT:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Marks the page in the browser's memory: a reload loses the mark, an htmx swap keeps it.
async fn mark_page(c: &Client) {
    c.execute("window.pintuNotReloaded = true", vec![])
        .await
        .expect("mark the page");
}

async fn page_is_marked(c: &Client) -> bool {
    c.execute("return window.pintuNotReloaded === true", vec![])
        .await
        .expect("read the page mark")
        == json!(true)
}

#[tokio::test]
async fn a_district_officer_follows_a_run_and_a_village_forum_decision_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    let kab = app.officer("kab", "district_officer", Some("35.07")).await;
    crate::matching::family(&app, &kab.token, VILLAGE, 1, 2).await;
    crate::matching::family(&app, &kab.token, VILLAGE, 2, 1).await;
    crate::matching::add_programme(
        &app.pintu.store,
        "LANSIA-T",
        "age >= 40 && household.welfare_decile <= 3",
        "household.welfare_decile, age desc",
        "person",
        &[(VILLAGE, 2)],
    )
    .await;
    let done = app
        .pintu
        .run_matching(
            &pintu_service::Ctx::system("test"),
            Some("35.07"),
            None,
            |_, _| {},
        )
        .await
        .expect("a finished run");
    // An earlier run still going, which the page follows until it ends.
    let going = pintu_store::new_id();
    pintu_store::execute(
        app.pintu.store.conn(),
        "INSERT INTO match_runs (id, area_code, reference_date, status, programmes_done, \
         programmes_total, summary, created_by, created_at, updated_at) \
         VALUES (?, '35.07', ?, 'running', 0, 1, '[]', 'user:kab', ?, ?)",
        vec![
            going.clone().into(),
            done.row.reference_date.into(),
            (done.row.created_at - chrono::Duration::hours(1)).into(),
            (done.row.created_at - chrono::Duration::hours(1)).into(),
        ],
    )
    .await
    .expect("a running run");
    let store = app.pintu.store.clone();
    let summary = done.row.summary.clone();
    in_browser(|c| run_scenario(c, app.base.clone(), store, going, summary)).await;
}

async fn run_scenario(
    c: Client,
    base: String,
    store: pintu_store::Store,
    going: String,
    summary: String,
) {
    log_in(&c, &base, "kab").await;

    // A mistyped area is explained on the form.
    c.goto(&format!("{base}/matching"))
        .await
        .expect("open the matching page");
    fill(&c, "area", "35.x").await;
    click(&c, "start-run-submit").await;
    wait_text(&c, Locator::Css("#form-errors"), "Wilayah").await;

    // The running run's page follows it without a reload until it ends.
    c.goto(&format!("{base}/matching/runs/{going}"))
        .await
        .expect("open the run");
    wait_text(&c, Locator::Id("run-state"), "Berjalan").await;
    wait_for_htmx(&c).await;
    mark_page(&c).await;
    pintu_store::execute(
        store.conn(),
        "UPDATE match_runs SET status = 'finished', programmes_done = 1, summary = ? \
         WHERE id = ?",
        vec![summary.into(), going.into()],
    )
    .await
    .expect("the run ends");
    wait_text(&c, Locator::Id("run-state"), "Selesai").await;
    assert!(page_is_marked(&c).await, "updated in place, not reloaded");
    let row = wait_text(
        &c,
        Locator::XPath("//table[@id='run-programmes']//tr[.//a[contains(., 'LANSIA-T')]]"),
        "LANSIA-T",
    )
    .await;
    assert!(row.contains('4') && row.contains('2'), "{row}");

    // The village list, from the newest finished run; the forum removes its first person.
    c.goto(&format!("{base}/matching/lists/LANSIA-T?area={VILLAGE}"))
        .await
        .expect("open the list");
    let first = Locator::XPath("(//table[@id='list']//tr[starts-with(@class, 'line-')])[1]");
    let line = wait_text(&c, first, "Kepala 2").await;
    assert!(line.contains("terpilih"), "{line}");
    wait_for(
        &c,
        Locator::XPath(
            "(//table[@id='list']//tr[starts-with(@class, 'line-')])[1]//a[contains(@href, '/matching/overrides/new')]",
        ),
    )
    .await
    .click()
    .await
    .expect("open the forum's form");
    wait_text(&c, Locator::Css("main h1"), "musyawarah").await;
    assert_eq!(
        c.execute(
            "return document.querySelector('input[name=action]:checked').value",
            vec![]
        )
        .await
        .expect("the checked decision"),
        json!("remove"),
        "the list line proposes a removal"
    );
    select(&c, "programme", "LANSIA-T").await;
    fill(&c, "reason", "Pindah ke Surabaya, Oktober").await;
    click(&c, "override-submit").await;
    wait_text(&c, Locator::Id("notice"), "Keputusan tercatat").await;
    wait_text(
        &c,
        Locator::Css("#overrides"),
        "Pindah ke Surabaya, Oktober",
    )
    .await;
}

/// A resident logs in to the portal with their NIK, birth date and the code sent by SMS,
/// reads what they might get, applies online, hands in a photo of a document, and makes a
/// complaint with a file.
#[tokio::test]
async fn a_resident_logs_in_applies_online_and_hands_in_a_document_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let resp = app
        .post(
            &desa.token,
            "/api/v1/households",
            &crate::household(VILLAGE, HEAD_NIK, HEAD),
        )
        .await;
    assert_eq!(resp.status(), 201);
    crate::applications::programme_with_documents(&app.pintu.store, "BANTU-T", Some("35.07")).await;
    let pdf = std::env::temp_dir().join(format!("kk-{}.pdf", std::process::id()));
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
    )
    .expect("pdf");
    let pintu = app.pintu.clone();
    let file = pdf.to_string_lossy().into_owned();
    in_browser(|c| resident_scenario(c, app.base.clone(), pintu, file)).await;
    let _ = std::fs::remove_file(pdf);
}

/// The six digits of the newest SMS of `template` (a login or a mandate code) in the outbox.
async fn sent_code(pintu: &pintu_service::Pintu, template: &str) -> String {
    let row = pintu_store::query_one(
        pintu.store.conn(),
        "SELECT body FROM outbox_messages WHERE template = ? ORDER BY id DESC LIMIT 1",
        vec![template.into()],
    )
    .await
    .expect("query")
    .expect("a code was sent");
    let body: String = pintu_store::col(&row, "body").expect("body");
    body.split(|ch: char| !ch.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("six digits")
        .to_string()
}

/// Logs the head of the household in to the portal with the code the outbox holds.
async fn resident_log_in(c: &Client, base: &str, pintu: &pintu_service::Pintu) {
    c.goto(&format!("{base}/login")).await.expect("login page");
    click(c, "resident-link").await;
    wait_text(c, Locator::Css("main h1"), "Warga: masuk").await;
    fill(c, "nik", HEAD_NIK).await;
    set_date(c, "birth_date", "1978-03-15").await;
    click(c, "login-submit").await;
    wait_for(c, Locator::Id("code-form")).await;
    let url = c.current_url().await.expect("url").to_string();
    assert!(!url.contains(HEAD_NIK), "the NIK is in no address: {url}");
    let code = sent_code(pintu, "login_code").await;
    fill(c, "code", &code).await;
    click(c, "code-submit").await;
    wait_text(c, Locator::Css("main h1"), HEAD).await;
}

async fn resident_scenario(c: Client, base: String, pintu: pintu_service::Pintu, pdf: String) {
    resident_log_in(&c, &base, &pintu).await;
    let household = text_of(&c, Locator::Id("members")).await;
    assert!(household.contains(WIFE) && !household.contains(HEAD_NIK));

    // What might the head get, and applying from there.
    wait_for(&c, Locator::Css("#members a.button"))
        .await
        .click()
        .await
        .expect("open why");
    wait_text(&c, Locator::Css("main h1"), "Yang mungkin didapat").await;
    click(&c, "apply-BANTU-T").await;
    wait_text(&c, Locator::Id("notice"), "Permohonan Anda sudah dikirim").await;
    assert!(path_of(&c).await.starts_with("/me/applications/"));
    wait_text(&c, Locator::Id("state"), "Diajukan").await;

    // A photo or PDF of the family card.
    select(&c, "requirement", "0").await;
    wait_for(&c, Locator::Id("file"))
        .await
        .send_keys(&pdf)
        .await
        .expect("choose the file");
    click(&c, "document-submit").await;
    wait_text(&c, Locator::Id("notice"), "Dokumen sudah diserahkan").await;
    wait_text(&c, Locator::Id("requirement-0"), ".pdf").await;

    // Home again: the application and the document are listed.
    c.goto(&format!("{base}/me")).await.expect("home");
    wait_text(&c, Locator::Id("my-applications"), "BANTU-T").await;
    wait_text(&c, Locator::Id("my-documents"), ".pdf").await;

    // A complaint with a photo of a letter; the household page lists the file under it.
    click(&c, "complain-link").await;
    wait_for(&c, Locator::Id("complaint-form")).await;
    select(&c, "category", "benefit_delay").await;
    fill(&c, "description", "Bantuan bulan ini belum diterima.").await;
    wait_for(&c, Locator::Id("file"))
        .await
        .send_keys(&pdf)
        .await
        .expect("choose the file");
    click(&c, "complaint-submit").await;
    wait_text(&c, Locator::Id("notice"), "Pengaduan Anda tercatat").await;
    wait_text(&c, Locator::Id("my-complaints"), ".pdf").await;
}

#[tokio::test]
async fn a_resident_pays_a_bill_through_the_payment_simulator_and_sees_it_paid() {
    let sim = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the simulator");
    let sim_addr = sim.local_addr().expect("address");
    let app =
        pintu_testkit::spawn_app_paying_at(Backend::Sqlite, Some(format!("http://{sim_addr}/pay")))
            .await;
    let router = pintu_web::paysim::router(pintu_web::paysim::Simulator::new(
        app.base.clone(),
        pintu_testkit::TEST_PAYMENTS_SECRET,
    ));
    tokio::spawn(async move {
        let _ = axum::serve(sim, router).await;
    });
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let resp = app
        .post(
            &desa.token,
            "/api/v1/households",
            &crate::household(VILLAGE, HEAD_NIK, HEAD),
        )
        .await;
    let head = crate::json_of(resp).await["person_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    let resp = app
        .post(
            &desa.token,
            &format!("/api/v1/persons/{head}/jkn"),
            &serde_json::json!({"segment": "PBPU", "class": 3, "fktp": "0507P001"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    app.pintu
        .run_billing(
            &pintu_service::Ctx::system("test"),
            "2026-11",
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
            chrono::Utc::now(),
        )
        .await
        .expect("billing");
    let pintu = app.pintu.clone();
    let base = app.base.clone();
    in_browser(|c| payment_scenario(c, base, pintu, head)).await;
}

async fn payment_scenario(c: Client, base: String, pintu: pintu_service::Pintu, head: String) {
    resident_log_in(&c, &base, &pintu).await;
    click(&c, &format!("jkn-{head}")).await;
    wait_text(&c, Locator::Id("bills"), "Belum dibayar").await;
    wait_for(&c, Locator::Id("no-payments")).await;
    click(&c, "pay-link").await;
    // The pretend bank's page, with the family's bill.
    wait_text(&c, Locator::Css("h1"), "Bayar").await;
    assert_eq!(value_of(&c, Locator::Id("amount")).await, "105000");
    click(&c, "pay").await;
    wait_text(&c, Locator::Id("paid"), "Pembayaran diterima").await;
    click(&c, "back").await;
    wait_text(&c, Locator::Id("bills"), "Lunas").await;
    wait_text(&c, Locator::Id("payments"), "Virtual account bank").await;
    assert!(
        !text_of(&c, Locator::Id("bills"))
            .await
            .contains("Belum dibayar"),
        "the bill is paid"
    );
    // Next month's bills from an e-wallet: the code sent to the wallet's number starts it.
    wait_for(&c, Locator::Id("no-debit-mandate")).await;
    select(&c, "wallet", "gopay").await;
    fill(&c, "debit-phone-input", "0812 7777 1234").await;
    click(&c, "debit-submit").await;
    wait_text(&c, Locator::Id("debit-pending-phone"), "0812*****234").await;
    fill(&c, "code", "12a45").await;
    click(&c, "debit-confirm").await;
    wait_text(&c, Locator::Id("form-errors"), "Kode itu salah").await;
    let code = sent_code(&pintu, "debit_mandate_code").await;
    fill(&c, "code", &code).await;
    click(&c, "debit-confirm").await;
    wait_text(&c, Locator::Id("debit-wallet"), "GoPay").await;
    wait_text(&c, Locator::Id("notice"), "tagihan berikutnya").await;
}
