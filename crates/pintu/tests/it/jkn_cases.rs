//! JKN's rules against cases written out by hand: a family's months of bills and payments
//! with the status, arrears and reactivation each leaves (on every backend), the 24 months
//! of arrears that count, the penalty (denda) after a reactivation, and the FKTP rule as an
//! officer meets it (exceptions with and without their reason).

use chrono::{Months, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::payments::Channel;
use pintu_service::membership::{DendaQuestion, denda_of};
use pintu_service::payments::PaymentInput;
use pintu_service::{Ctx, Error};
use pintu_testkit::{TestApp, backends, spawn_app};
use serde_json::json;

use crate::payments_safety::{ledger_violations, morning};
use crate::{VILLAGE, household, json_of, nik};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// What happens in a step.
#[derive(Debug)]
enum Event {
    /// The billing run of `period` on the day `on`.
    Bill {
        period: &'static str,
        on: &'static str,
    },
    /// The family pays `amount` by virtual account on the day `on`.
    Pay { amount: i64, on: &'static str },
}

/// A step and what it leaves.
#[derive(Debug)]
struct Step {
    event: Event,
    /// The family's memberships' status afterwards.
    status: &'static str,
    /// Its open bills (period, still owed), oldest first.
    open: &'static [(&'static str, i64)],
    /// What is overdue on the step's day (open bills due before it).
    arrears: i64,
    /// The day its cover last came back, if it did.
    reactivated_on: Option<&'static str>,
    /// The periods of its bills written off.
    written_off: &'static [&'static str],
}

use Event::{Bill, Pay};

const fn step(
    event: Event,
    status: &'static str,
    open: &'static [(&'static str, i64)],
    arrears: i64,
    reactivated_on: Option<&'static str>,
) -> Step {
    Step {
        event,
        status,
        open,
        arrears,
        reactivated_on,
        written_off: &[],
    }
}

/// A family of three in class 3 (Rp 105,000 a month, due on the 10th) through half a year:
/// paid on time, then late, in part, in full, and ahead.
const PAYS_LATE_IN_PART_AND_COMES_BACK: &[Step] = &[
    step(
        Bill {
            period: "2025-01",
            on: "2025-01-02",
        },
        "active",
        &[("2025-01", 105_000)],
        0,
        None,
    ),
    // Paid before the 10th.
    step(
        Pay {
            amount: 105_000,
            on: "2025-01-08",
        },
        "active",
        &[],
        0,
        None,
    ),
    step(
        Bill {
            period: "2025-02",
            on: "2025-02-01",
        },
        "active",
        &[("2025-02", 105_000)],
        0,
        None,
    ),
    // February unpaid after the 10th: suspended by March's run.
    step(
        Bill {
            period: "2025-03",
            on: "2025-03-01",
        },
        "suspended",
        &[("2025-02", 105_000), ("2025-03", 105_000)],
        105_000,
        None,
    ),
    // Part of February: still in arrears.
    step(
        Pay {
            amount: 50_000,
            on: "2025-03-05",
        },
        "suspended",
        &[("2025-02", 55_000), ("2025-03", 105_000)],
        55_000,
        None,
    ),
    // The rest of February; March is not due yet: covered again from that day.
    step(
        Pay {
            amount: 55_000,
            on: "2025-03-06",
        },
        "active",
        &[("2025-03", 105_000)],
        0,
        Some("2025-03-06"),
    ),
    step(
        Bill {
            period: "2025-04",
            on: "2025-04-02",
        },
        "suspended",
        &[("2025-03", 105_000), ("2025-04", 105_000)],
        105_000,
        Some("2025-03-06"),
    ),
    step(
        Bill {
            period: "2025-05",
            on: "2025-05-02",
        },
        "suspended",
        &[
            ("2025-03", 105_000),
            ("2025-04", 105_000),
            ("2025-05", 105_000),
        ],
        210_000,
        Some("2025-03-06"),
    ),
    // March and April, the arrears of May's run; but by the 20th May is overdue too.
    step(
        Pay {
            amount: 210_000,
            on: "2025-05-20",
        },
        "suspended",
        &[("2025-05", 105_000)],
        105_000,
        Some("2025-03-06"),
    ),
    // May and 30,000 more, kept as credit.
    step(
        Pay {
            amount: 135_000,
            on: "2025-05-21",
        },
        "active",
        &[],
        0,
        Some("2025-05-21"),
    ),
    // The credit pays part of June's bill when it is issued.
    step(
        Bill {
            period: "2025-06",
            on: "2025-06-01",
        },
        "active",
        &[("2025-06", 75_000)],
        0,
        Some("2025-05-21"),
    ),
    step(
        Bill {
            period: "2025-07",
            on: "2025-07-01",
        },
        "suspended",
        &[("2025-06", 75_000), ("2025-07", 105_000)],
        75_000,
        Some("2025-05-21"),
    ),
    // July's run again later in the month bills nobody twice; July is overdue by now.
    step(
        Bill {
            period: "2025-07",
            on: "2025-07-15",
        },
        "suspended",
        &[("2025-06", 75_000), ("2025-07", 105_000)],
        180_000,
        Some("2025-05-21"),
    ),
];

/// Arrears older than the 24 months that count are written off by the billing run: no
/// longer claimed, and no reason to suspend.
const ARREARS_BEYOND_24_MONTHS: &[Step] = &[
    step(
        Bill {
            period: "2023-01",
            on: "2023-01-02",
        },
        "active",
        &[("2023-01", 105_000)],
        0,
        None,
    ),
    // January 2025 counts back to February 2023: January 2023 is written off.
    Step {
        written_off: &["2023-01"],
        ..step(
            Bill {
                period: "2025-01",
                on: "2025-01-02",
            },
            "active",
            &[("2025-01", 105_000)],
            0,
            None,
        )
    },
    // A payment goes to what is owed, not to the bill written off.
    Step {
        written_off: &["2023-01"],
        ..step(
            Pay {
                amount: 105_000,
                on: "2025-01-06",
            },
            "active",
            &[],
            0,
            None,
        )
    },
];

/// The 24th month back still counts: owed, and paying it brings the family back.
const THE_24TH_MONTH_STILL_COUNTS: &[Step] = &[
    step(
        Bill {
            period: "2023-01",
            on: "2023-01-02",
        },
        "active",
        &[("2023-01", 105_000)],
        0,
        None,
    ),
    step(
        Bill {
            period: "2023-02",
            on: "2023-02-02",
        },
        "suspended",
        &[("2023-01", 105_000), ("2023-02", 105_000)],
        105_000,
        None,
    ),
    Step {
        written_off: &["2023-01"],
        ..step(
            Bill {
                period: "2025-01",
                on: "2025-01-02",
            },
            "suspended",
            &[("2023-02", 105_000), ("2025-01", 105_000)],
            105_000,
            None,
        )
    },
    // February 2023 paid; January 2025 is not due yet.
    Step {
        written_off: &["2023-01"],
        ..step(
            Pay {
                amount: 105_000,
                on: "2025-01-05",
            },
            "active",
            &[("2025-01", 105_000)],
            0,
            Some("2025-01-05"),
        )
    },
];

/// A family's state: status, open bills (period, still owed), arrears on a day, the day
/// of its last reactivation, and the periods of its bills written off.
type State = (String, Vec<(String, i64)>, i64, Option<String>, Vec<String>);

fn expected(step: &Step) -> State {
    (
        step.status.to_string(),
        step.open.iter().map(|(p, o)| (p.to_string(), *o)).collect(),
        step.arrears,
        step.reactivated_on.map(str::to_string),
        step.written_off.iter().map(|p| p.to_string()).collect(),
    )
}

/// The family's state on the day `on`, read from the store and (the arrears) the finance
/// report of that day.
async fn state_of(app: &TestApp, household: &str, on: NaiveDate) -> State {
    let c = app.pintu.store.conn();
    let members = pintu_store::query_all(
        c,
        "SELECT DISTINCT status, reactivated_on FROM jkn_members WHERE household_id = ?",
        vec![household.into()],
    )
    .await
    .expect("members");
    assert_eq!(members.len(), 1, "the family shares one status");
    let status: String = pintu_store::col(&members[0], "status").expect("status");
    let reactivated_on: Option<NaiveDate> =
        pintu_store::col(&members[0], "reactivated_on").expect("reactivated_on");
    let mut bills = pintu_store::jkn::bills_of(c, household)
        .await
        .expect("bills");
    bills.sort_by(|a, b| a.period.cmp(&b.period));
    let report = app
        .pintu
        .finance_report(
            &Ctx::system("test"),
            None,
            &on.format("%Y-%m").to_string(),
            on,
        )
        .await
        .expect("report");
    (
        status,
        bills
            .iter()
            .filter(|b| b.status == "open")
            .map(|b| (b.period.clone(), b.outstanding()))
            .collect(),
        report.total.arrears,
        reactivated_on.map(|d| d.to_string()),
        bills
            .iter()
            .filter(|b| b.status == "written_off")
            .map(|b| b.period.clone())
            .collect(),
    )
}

/// Plays a table on a new application with one PBPU family of three in class 3, checking
/// the family and the ledger after every step.
async fn play(backend: pintu_testkit::Backend, name: &str, table: &[Step]) {
    let app = spawn_app(backend).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let head = crate::payments::pbpu_family(&app, &desa.token, VILLAGE, 1).await;
    let household = pintu_store::jkn::member(app.pintu.store.conn(), &Scope::National, &head)
        .await
        .expect("member")
        .expect("joined")
        .household_id
        .expect("household");
    let mut va = None;
    for (i, step) in table.iter().enumerate() {
        let on = match &step.event {
            Bill { period, on } => {
                app.pintu
                    .run_billing(&Ctx::system("test"), period, d(on), Utc::now())
                    .await
                    .expect("billing");
                d(on)
            }
            Pay { amount, on } => {
                let va = va.get_or_insert(
                    pintu_store::jkn::bills_of(app.pintu.store.conn(), &household)
                        .await
                        .expect("bills")[0]
                        .va_number
                        .clone(),
                );
                let key = format!("PAY-{i}");
                app.pintu
                    .receive_payment(
                        Channel::BankVa,
                        &key,
                        &PaymentInput {
                            va_number: va.clone(),
                            amount: *amount,
                            reference: key.clone(),
                            paid_at: Some(morning(d(on))),
                        },
                        Utc::now(),
                    )
                    .await
                    .expect("payment");
                d(on)
            }
        };
        assert_eq!(
            state_of(&app, &household, on).await,
            expected(step),
            "{name}, step {} ({:?}) on {backend:?}",
            i + 1,
            step.event
        );
        assert_eq!(
            ledger_violations(app.pintu.store.conn()).await,
            Vec::<String>::new(),
            "{name}, step {}",
            i + 1
        );
    }
}

#[tokio::test]
async fn arrears_suspension_and_reactivation_follow_a_table_of_months_written_by_hand() {
    for backend in backends() {
        play(
            backend,
            "pays late, in part, and comes back",
            PAYS_LATE_IN_PART_AND_COMES_BACK,
        )
        .await;
    }
}

#[tokio::test]
async fn only_the_last_24_months_of_arrears_are_owed() {
    let backend = pintu_testkit::Backend::Sqlite;
    play(
        backend,
        "arrears beyond 24 months",
        ARREARS_BEYOND_24_MONTHS,
    )
    .await;
    play(backend, "the 24th month", THE_24TH_MONTH_STILL_COUNTS).await;
}

/// The same on PostgreSQL, where `jkn_bills.status` is a VARCHAR(8) (migration 18) and
/// `written_off` has 11 characters: the run that writes off a bill fails with "value too
/// long for type character varying(8)" before it suspends anyone. SQLite does not enforce
/// the length, so only PostgreSQL shows it.
#[tokio::test]
async fn only_the_last_24_months_of_arrears_are_owed_on_postgresql() {
    for backend in backends()
        .into_iter()
        .filter(|b| *b == pintu_testkit::Backend::Postgres)
    {
        play(
            backend,
            "arrears beyond 24 months",
            ARREARS_BEYOND_24_MONTHS,
        )
        .await;
        play(backend, "the 24th month", THE_24TH_MONTH_STILL_COUNTS).await;
    }
}

/// A penalty as the table states it: (applies, months counted, rupiah, capped).
type DendaOutcome = (bool, i64, i64, bool);

/// (case tariff, months in arrears, reactivated on, admitted on) → (applies, months
/// counted, penalty, capped), by the rule shipped in `data/tariffs/jkn.toml`: 5 % of the
/// tariff a month, at most 12 months and Rp 30,000,000, within 45 days of reactivation.
const DENDA_CASES: &[(&str, &str, &str, &str, DendaOutcome)] = &[
    // 5 % × 10,000,000 × 3.
    (
        "10.000.000",
        "3",
        "2026-03-01",
        "2026-03-10",
        (true, 3, 1_500_000, false),
    ),
    // Admitted on the day of reactivation; the 45th day; the 46th.
    (
        "10000000",
        "3",
        "2026-03-01",
        "2026-03-01",
        (true, 3, 1_500_000, false),
    ),
    (
        "10000000",
        "3",
        "2026-03-01",
        "2026-04-15",
        (true, 3, 1_500_000, false),
    ),
    (
        "10000000",
        "3",
        "2026-03-01",
        "2026-04-16",
        (false, 0, 0, false),
    ),
    // Admitted before the reactivation: not this rule.
    (
        "10000000",
        "3",
        "2026-03-01",
        "2026-02-28",
        (false, 0, 0, false),
    ),
    // The family of the table above: back on 6 March 2025 after one month (February); the
    // 45th day is 20 April.
    (
        "8.500.000",
        "1",
        "2025-03-06",
        "2025-04-20",
        (true, 1, 425_000, false),
    ),
    (
        "8.500.000",
        "1",
        "2025-03-06",
        "2025-04-21",
        (false, 0, 0, false),
    ),
    // Twelve months count, no more.
    (
        "20000000",
        "12",
        "2026-03-01",
        "2026-03-02",
        (true, 12, 12_000_000, false),
    ),
    (
        "20000000",
        "13",
        "2026-03-01",
        "2026-03-02",
        (true, 12, 12_000_000, false),
    ),
    (
        "20000000",
        "24",
        "2026-03-01",
        "2026-03-02",
        (true, 12, 12_000_000, false),
    ),
    // The cap: 5 % × 50,000,000 × 12 is exactly 30,000,000; a rupiah more of tariff a
    // month is not yet a rupiah more of penalty (fractions of a rupiah are dropped), two are.
    (
        "50000000",
        "12",
        "2026-03-01",
        "2026-03-02",
        (true, 12, 30_000_000, false),
    ),
    (
        "50000001",
        "12",
        "2026-03-01",
        "2026-03-02",
        (true, 12, 30_000_000, false),
    ),
    (
        "50000002",
        "12",
        "2026-03-01",
        "2026-03-02",
        (true, 12, 30_000_000, true),
    ),
    (
        "80.000.000",
        "14",
        "2026-03-01",
        "2026-04-15",
        (true, 12, 30_000_000, true),
    ),
    // The cap reached in fewer than 12 months.
    (
        "200000000",
        "3",
        "2026-03-01",
        "2026-03-02",
        (true, 3, 30_000_000, false),
    ),
    (
        "200000000",
        "4",
        "2026-03-01",
        "2026-03-02",
        (true, 4, 30_000_000, true),
    ),
    // No arrears, no penalty; a case of no tariff costs nothing.
    (
        "10000000",
        "0",
        "2026-03-01",
        "2026-03-02",
        (false, 0, 0, false),
    ),
    ("0", "3", "2026-03-01", "2026-03-02", (true, 3, 0, false)),
    // 5 % of 1,001 is 50.05: the fraction is dropped.
    (
        "1001",
        "1",
        "2026-03-01",
        "2026-03-02",
        (true, 1, 50, false),
    ),
];

#[test]
fn the_denda_follows_a_table_of_cases_written_by_hand() {
    for (tariff, months, reactivated, admitted, want) in DENDA_CASES {
        let q = DendaQuestion {
            case_tariff: Some(tariff.to_string()),
            months_in_arrears: Some(months.to_string()),
            reactivated_on: Some(reactivated.to_string()),
            admitted_on: Some(admitted.to_string()),
        };
        let (got, rule) = denda_of(&q).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        assert_eq!(
            (got.applies, got.months_counted, got.amount, got.capped),
            *want,
            "{tariff} × {months} months, reactivated {reactivated}, admitted {admitted}"
        );
        assert_eq!(
            (
                rule.per_mille,
                rule.max_months,
                rule.cap,
                rule.days_after_reactivation
            ),
            (50, 12, 30_000_000, 45)
        );
    }
}

#[test]
fn a_denda_question_with_a_bad_value_names_the_field() {
    // (case tariff, months, reactivated, admitted) → (field, code)
    let cases = [
        (
            "abc",
            "3",
            "2026-03-01",
            "2026-03-02",
            ("case_tariff", "value_invalid"),
        ),
        (
            "10.000.000.001",
            "3",
            "2026-03-01",
            "2026-03-02",
            ("case_tariff", "value_out_of_range"),
        ),
        (
            "10000000",
            "-1",
            "2026-03-01",
            "2026-03-02",
            ("months_in_arrears", "value_out_of_range"),
        ),
        (
            "10000000",
            "",
            "2026-03-01",
            "2026-03-02",
            ("months_in_arrears", "required"),
        ),
        (
            "10000000",
            "3",
            "2026-03-01",
            "2026-02-30",
            ("admitted_on", "date_invalid"),
        ),
        (
            "10000000",
            "3",
            "01-03-2026",
            "2026-03-02",
            ("reactivated_on", "date_invalid"),
        ),
        // Before the rule's first day (1 July 2020) there is no rule to apply.
        (
            "10000000",
            "3",
            "2020-06-01",
            "2020-06-30",
            ("admitted_on", "no_rule_in_force"),
        ),
    ];
    for (tariff, months, reactivated, admitted, want) in cases {
        let q = DendaQuestion {
            case_tariff: Some(tariff.into()),
            months_in_arrears: Some(months.into()),
            reactivated_on: Some(reactivated.into()),
            admitted_on: Some(admitted.into()),
        };
        match denda_of(&q) {
            Err(Error::Invalid(inv)) => {
                assert_eq!((inv.0[0].field.as_str(), inv.0[0].code), want, "{q:?}")
            }
            other => panic!("{q:?}: {other:?}"),
        }
    }
}

/// The FKTP rule as an officer meets it: three months with the current one (counted from
/// the day the member joined), or sooner with an exception and its reason; the change is
/// from the first of the next month.
#[tokio::test]
async fn an_fktp_change_needs_three_months_or_an_exception_with_its_reason() {
    let app = spawn_app(pintu_testkit::Backend::Sqlite).await;
    let desa = app.officer("desa", "village_officer", Some(VILLAGE)).await;
    let today = pintu_service::today();
    let next_month = pintu_domain::jkn::first_of_next_month(today).to_string();
    let join = |serial: u32, since: NaiveDate| {
        let app = &app;
        let token = desa.token.clone();
        async move {
            let resp = app
                .post(
                    &token,
                    "/api/v1/households",
                    &household(VILLAGE, &nik(VILLAGE, serial), "Kepala"),
                )
                .await;
            let head = json_of(resp).await["person_ids"][0]
                .as_str()
                .expect("id")
                .to_string();
            let resp = app
                .post(
                    &token,
                    &format!("/api/v1/persons/{head}/jkn"),
                    &json!({"segment": "PBPU", "class": 3, "fktp": "0507P001",
                            "start_date": since.to_string()}),
                )
                .await;
            assert_eq!(resp.status(), 201);
            head
        }
    };
    let change = |head: String, body: serde_json::Value| {
        let app = &app;
        let token = desa.token.clone();
        async move {
            let resp = app
                .post(&token, &format!("/api/v1/persons/{head}/jkn/fktp"), &body)
                .await;
            (resp.status().as_u16(), json_of(resp).await)
        }
    };

    // Three months to the day: free to change, from the first of the next month.
    let three = join(1, today.checked_sub_months(Months::new(3)).expect("date")).await;
    let (status, m) = change(three, json!({"fktp": "0507P002"})).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["next_fktp_on"], next_month.as_str());

    // Two months: too soon, whatever the reason, unless it is an exception.
    let two = join(2, today.checked_sub_months(Months::new(2)).expect("date")).await;
    let cases = [
        (json!({"fktp": "0507P002"}), 409, "fktp_change_too_soon"),
        (
            json!({"fktp": "0507P002", "reason": "Lebih dekat ke rumah"}),
            409,
            "fktp_change_too_soon",
        ),
        (
            json!({"fktp": "0507P002", "exception": "official_assignment"}),
            422,
            "required",
        ),
        (
            json!({"fktp": "0507P002", "exception": "moved_house", "reason": "   "}),
            422,
            "required",
        ),
        (
            json!({"fktp": "0507P002", "exception": "married", "reason": "Menikah"}),
            422,
            "exception_unknown",
        ),
        (
            json!({"fktp": "0507P002", "exception": "moved_house", "reason": "x".repeat(501)}),
            422,
            "too_long",
        ),
    ];
    for (body, want_status, want_code) in cases {
        let (status, err) = change(two.clone(), body.clone()).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (want_status, Some(want_code)),
            "{body}: {err}"
        );
    }
    let (status, m) = change(
        two.clone(),
        json!({"fktp": "0507P002", "exception": "official_assignment",
               "reason": "Ditugaskan ke kecamatan lain"}),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["next_fktp_on"], next_month.as_str());
    let row = pintu_store::query_one(
        app.pintu.store.conn(),
        "SELECT exception, reason, effective_on FROM fktp_changes WHERE person_id = ?",
        vec![two.into()],
    )
    .await
    .expect("query")
    .expect("recorded");
    assert_eq!(
        (
            pintu_store::col::<Option<String>>(&row, "exception").expect("exception"),
            pintu_store::col::<Option<String>>(&row, "reason").expect("reason"),
            pintu_store::col::<NaiveDate>(&row, "effective_on")
                .expect("effective_on")
                .to_string(),
        ),
        (
            Some("official_assignment".into()),
            Some("Ditugaskan ke kecamatan lain".into()),
            next_month
        )
    );
}
