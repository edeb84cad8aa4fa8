//! The public check (INF-1) through a real server: anyone may ask, in both languages; the
//! shipped catalogue's rules answer with their reasons; wrong answers are shown field by field;
//! and nothing is written, no cookie set, no answer put in a URL.

use pintu_store::sea_orm::DbBackend;
use pintu_store::{Store, col, query_all, query_one};
use pintu_testkit::{Backend, TestApp, backends, spawn_app};

/// An older woman living alone in Kabupaten Malang on less than Rp 1 million a month.
fn alone_and_older() -> Vec<(&'static str, &'static str)> {
    vec![
        ("age", "70"),
        ("sex", "P"),
        ("regency", "35.07"),
        ("household_size", "1"),
        ("children_under_6", ""),
        ("school_children", ""),
        ("older_members", ""),
        ("disability", "no"),
        ("chronic_illness", "no"),
        ("work", "none"),
        ("income", "under_1m"),
    ]
}

fn with(
    mut answers: Vec<(&'static str, &'static str)>,
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    for (k, v) in changes {
        if let Some(a) = answers.iter_mut().find(|(name, _)| name == k) {
            a.1 = v;
        }
    }
    answers
}

async fn post(
    app: &TestApp,
    lang: &str,
    answers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = app
        .client
        .post(app.url("/check"))
        .header("cookie", format!("pintu_lang={lang}"))
        .form(answers)
        .send()
        .await
        .expect("post /check");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("html"))
}

/// The part of the answer listing one group of programmes (`eligible`, `unknown`,
/// `not-eligible`).
fn group<'a>(html: &'a str, verdict: &str) -> &'a str {
    let next = match verdict {
        "eligible" => "id=\"check-unknown-title\"",
        "unknown" => "id=\"check-not-eligible-title\"",
        _ => "id=\"check-apply-title\"",
    };
    let start = html
        .find(&format!("id=\"check-{verdict}-title\""))
        .unwrap_or_else(|| panic!("a {verdict} group in {html}"));
    let end = html[start..].find(next).expect("the next group") + start;
    &html[start..end]
}

/// The part of a group about one programme.
fn line<'a>(group: &'a str, code: &str) -> Option<&'a str> {
    let start = group.find(&format!("id=\"check-{code}\""))?;
    let end = group[start..]
        .find("</li>\n")
        .map_or(group.len(), |e| e + start);
    Some(&group[start..end])
}

#[tokio::test]
async fn the_check_is_open_to_anyone_in_both_languages_and_linked_from_the_login_page() {
    let app = spawn_app(Backend::Sqlite).await;
    let resp = app.client.get(app.url("/check")).send().await.expect("get");
    assert_eq!(resp.status(), 200, "no login needed");
    assert!(resp.headers().get("set-cookie").is_none(), "no cookie");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let html = resp.text().await.expect("html");
    assert!(html.contains("lang=\"id\""), "Indonesian by default");
    assert!(html.contains("Bantuan apa yang mungkin Anda dapat?"));
    assert!(html.contains("Tidak ada yang disimpan"));
    assert!(html.contains("<option value=\"35.07\" >Kabupaten Malang</option>"));
    assert!(html.contains("<optgroup label=\"Jawa Timur\">"));
    assert!(html.contains("method=\"post\" action=\"/check\""));
    assert!(
        !html.contains("name=\"csrf\""),
        "a form that changes nothing needs no token"
    );

    let en = app
        .client
        .get(app.url("/check"))
        .header("cookie", "pintu_lang=en")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(en.contains("lang=\"en\""));
    assert!(en.contains("What might you be entitled to?"));
    assert!(en.contains("Nothing you enter is stored"));

    let login = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    assert!(login.contains("href=\"/check\"") && login.contains("Cek bantuan untuk Anda"));
    let login_en = app
        .client
        .get(app.url("/login"))
        .header("cookie", "pintu_lang=en")
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    assert!(login_en.contains("Check what you might get"));
}

#[tokio::test]
async fn answers_show_what_might_be_given_what_not_and_why() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (status, headers, html) = post(&app, "id", &alone_and_older()).await;
        assert_eq!(status, 200, "{backend:?}");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(html.contains("Ini hanya perkiraan"), "an estimate");
        assert!(html.contains("Kabupaten Malang"));
        assert!(html.contains("DAFTAR"), "how to apply by SMS");
        assert!(html.contains("kantor desa"), "or at the village office");

        let eligible = group(&html, "eligible");
        let jslu = line(eligible, "JSLU").expect("older persons' cash might be given");
        assert!(jslu.contains("href=\"/programmes/JSLU\""), "{jslu}");
        assert!(jslu.contains("umur (tahun) 70, ≥ 60"), "{jslu}");
        assert!(
            line(eligible, "PANTI-JOMPO").is_some(),
            "East Java's care home, for someone alone and poor"
        );
        assert!(
            line(eligible, "JAMKESDA").is_some(),
            "Malang's own health insurance applies in Malang"
        );
        let not = group(&html, "not-eligible");
        let blk = line(not, "BLK").expect("vocational training is for the young");
        assert!(blk.contains("umur (tahun) 70, tidak ≤ 35"), "{blk}");

        // The form stays filled.
        assert!(html.contains(
            "name=\"age\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"120\" value=\"70\""
        ));
        assert!(html.contains("<option value=\"35.07\" selected>"));
        assert!(html.contains("name=\"income\" value=\"under_1m\" checked"));

        // In English, with reasons in English.
        let (_, _, en) = post(&app, "en", &alone_and_older()).await;
        let blk = line(group(&en, "not-eligible"), "BLK").expect("BLK");
        assert!(blk.contains("age (years) is 70, not ≤ 35"), "{blk}");
        assert!(en.contains("This is only an estimate"));

        // Elsewhere: Malang's and East Java's programmes do not apply.
        let (_, _, ambon) = post(
            &app,
            "id",
            &with(alone_and_older(), &[("regency", "81.71")]),
        )
        .await;
        assert!(!ambon.contains("id=\"check-JAMKESDA\""));
        assert!(!ambon.contains("id=\"check-PANTI-JOMPO\""));
        assert!(line(group(&ambon, "eligible"), "JSLU").is_some());

        // Without the income the decile is unknown, and so is the answer.
        let (_, _, unsaid) = post(
            &app,
            "id",
            &with(alone_and_older(), &[("income", "unknown")]),
        )
        .await;
        let jslu = line(group(&unsaid, "unknown"), "JSLU").expect("cannot tell");
        assert!(
            jslu.contains("desil kesejahteraan rumah tangga tidak diketahui"),
            "{jslu}"
        );

        // A family: the school child might get the school cash, a young child immunisation.
        let (_, _, family) = post(
            &app,
            "en",
            &with(
                alone_and_older(),
                &[
                    ("age", "38"),
                    ("household_size", "4"),
                    ("children_under_6", "1"),
                    ("school_children", "1"),
                    ("income", "1m_2m"),
                    ("work", "informal"),
                ],
            ),
        )
        .await;
        let eligible = group(&family, "eligible");
        let pip = line(eligible, "PIP").expect("school cash for the child");
        assert!(pip.contains("For a child in school"), "{pip}");
        assert!(line(eligible, "PKH").is_some(), "{eligible}");
        assert!(line(eligible, "IMUNISASI").is_some(), "{eligible}");
        assert!(line(group(&family, "not-eligible"), "JSLU").is_some());
    }
}

#[tokio::test]
async fn wrong_answers_are_shown_next_to_their_questions() {
    let app = spawn_app(Backend::Sqlite).await;
    let answers = with(
        alone_and_older(),
        &[
            ("age", "150"),
            ("sex", ""),
            ("regency", "99.99"),
            ("children_under_6", "2"),
            ("work", "astronaut"),
        ],
    );
    let (status, _, html) = post(&app, "id", &answers).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"form-errors\""));
    for message in [
        "Isi umur antara 0 dan 120 tahun.",
        "Kolom ini wajib diisi.",
        "Jumlah anak dan anggota lanjut usia yang Anda hitung",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(
        html.contains("href=\"#regency\""),
        "the summary links the question"
    );
    assert!(html.contains("href=\"#work\""));
    assert!(!html.contains("id=\"check-result\""), "no answer");
    assert!(
        html.contains("value=\"150\""),
        "the form keeps what was typed"
    );

    let (status, _, en) = post(&app, "en", &answers).await;
    assert_eq!(status, 422);
    assert!(en.contains("Enter an age from 0 to 120 years."));
    assert!(en.contains("This area does not exist."));
}

/// Every table and its row count.
async fn row_counts(store: &Store) -> Vec<(String, i64)> {
    let sql = match store.backend() {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    let mut out = Vec::new();
    for row in query_all(store.conn(), sql, vec![]).await.expect("tables") {
        let name: String = col(&row, "name").expect("name");
        let n = query_one(
            store.conn(),
            &format!("SELECT COUNT(*) AS n FROM \"{name}\""),
            vec![],
        )
        .await
        .expect("count")
        .map(|r| col::<i64>(&r, "n").expect("n"))
        .unwrap_or_default();
        out.push((name, n));
    }
    out
}

#[tokio::test]
async fn the_check_writes_nothing_sets_no_cookie_and_keeps_answers_out_of_urls() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let before = row_counts(&app.pintu.store).await;
        assert!(before.iter().any(|(t, _)| t == "audit_log"));
        assert!(before.iter().any(|(t, _)| t == "persons"));

        let c = app.browser_client();
        let mut pages = vec![c.get(app.url("/check")).send().await.expect("get")];
        for answers in [
            alone_and_older(),
            with(alone_and_older(), &[("age", "")]),
            with(
                alone_and_older(),
                &[("income", "unknown"), ("disability", "me")],
            ),
        ] {
            pages.push(
                c.post(app.url("/check"))
                    .form(&answers)
                    .send()
                    .await
                    .expect("post"),
            );
        }
        for resp in pages {
            assert!(
                resp.status() == 200 || resp.status() == 422,
                "an answer on the page, never a redirect: {}",
                resp.status()
            );
            assert_eq!(resp.url().path(), "/check");
            assert_eq!(resp.url().query(), None, "no answer in the address");
            assert!(resp.headers().get("set-cookie").is_none(), "no cookie");
            let html = resp.text().await.expect("html");
            for attr in ["href=\"", "action=\"", "src=\""] {
                for url in html.split(attr).skip(1) {
                    let url = url.split('"').next().unwrap_or("");
                    let query = url.split_once('?').map(|(_, q)| q);
                    assert!(
                        query.is_none() || query == Some("next=/check"),
                        "a link carries no answer: {url}"
                    );
                }
            }
        }
        let after = row_counts(&app.pintu.store).await;
        assert_eq!(before, after, "{backend:?}: no row written anywhere");
    }
}
