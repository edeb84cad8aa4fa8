//! The schema, once, for SQLite and PostgreSQL: each migration is a Rust function that builds
//! its DDL with sea-query, so the two backends cannot drift apart.
//!
//! Every table of personal data carries its village code, so that a future split by province
//! (Citus, sharded on the area code) needs no cross-province join.

use sea_orm::sea_query::{
    ColumnDef, ForeignKey, ForeignKeyAction, Index, Table, TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use crate::{Result, Store, execute, query_one};

type Migration = fn() -> Vec<Ddl>;

/// A migration step: a sea-query statement, built for the backend at run time.
pub enum Ddl {
    Table(Box<TableCreateStatement>),
    Index(Box<sea_orm::sea_query::IndexCreateStatement>),
    /// A table stored in the order of its primary key: `WITHOUT ROWID` on SQLite (a heap
    /// with its key index on PostgreSQL).
    Clustered(Box<TableCreateStatement>),
    DropIndex(Box<sea_orm::sea_query::IndexDropStatement>),
    /// A column added to a table (one per statement, as SQLite requires).
    Alter(Box<sea_orm::sea_query::TableAlterStatement>),
    /// A statement for PostgreSQL alone, where SQLite has no equivalent.
    Postgres(&'static str),
    /// A statement for SQLite alone (a table rebuilt in another storage order).
    Sqlite(&'static str),
    /// A statement both backends accept as written, where sea-query has no builder for it
    /// (a partial index).
    Sql(&'static str),
}

/// The ordered list of migrations. Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str, Migration)] = &[
    (1, "registry foundation", foundation),
    (2, "source imports", imports),
    (3, "sync plans, conflicts and duplicates", review),
    (4, "complaints and appeals", complaints),
    (5, "programmes, facts and matching", programmes),
    (6, "matching population snapshots", population),
    (
        7,
        "matching: unlogged snapshots, lines checked by their run",
        matching_writes,
    ),
    (8, "applications to programmes", applications),
    (9, "the outbox of messages to residents", outbox),
    (10, "SMS received from residents", inbound_sms),
    (11, "household cases", cases),
    (12, "the call centre's log", calls),
    (13, "the resident's door", residents),
    (14, "agency officers' programmes", agency_officers),
    (15, "programmes' call-centre questions", programme_questions),
    (
        16,
        "applications opened from complaints",
        applications_from_complaints,
    ),
    (
        17,
        "JKN membership and primary care providers",
        jkn_membership,
    ),
    (18, "JKN family bills", jkn_bills),
    (
        19,
        "payments, the ledger and bank reconciliation",
        payments_ledger,
    ),
    (
        20,
        "BPJS Ketenagakerjaan employers, workers, wages and bills",
        bpjstk,
    ),
    (21, "JKN bill reminders", bill_reminders),
    (22, "payments of employers' bills", employer_payments),
    (
        23,
        "JKN contributions of wage earners (PPU), billed to employers",
        jkn_ppu_bills,
    ),
    (
        24,
        "ending BPJS Ketenagakerjaan registrations; BPU payments by idempotency key",
        tk_registration_ends,
    ),
    (25, "e-wallet auto-debit mandates and requests", auto_debit),
    (26, "the segment of a family's JKN bill", bill_segment),
    (
        27,
        "BPU contributions in the agent's cash and deposits",
        bpu_cash,
    ),
    (28, "debit requests claimed by one sender", debit_leases),
    (29, "fewer index entries for each payment", payment_indexes),
    (
        30,
        "ledger lines in key order, partial bill indexes",
        ledger_lines,
    ),
    (
        31,
        "postings found through their entries",
        postings_by_entry,
    ),
    (
        32,
        "payments' references by reference first; bills paid in place",
        bills_paid_in_place,
    ),
    (33, "people found by their phone number", phone_tails),
    (
        34,
        "a run's lists numbered, their lines keyed by number",
        match_lists,
    ),
    (35, "a run's snapshot marked whole", population_ready),
    (
        36,
        "auto-debit mandates confirmed with a code sent to the wallet's number",
        mandate_codes,
    ),
    (
        37,
        "allocations found by their payment only",
        allocations_by_payment,
    ),
    (
        38,
        "source rows without an index on their NIK",
        source_rows_unindexed_nik,
    ),
    (
        39,
        "people without an index on their name",
        people_unindexed_name,
    ),
    (
        40,
        "an import's synchronisation progress",
        import_sync_progress,
    ),
];

fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .string_len(36)
        .not_null()
        .primary_key()
        .to_owned()
}

fn ref_id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string_len(36).not_null().to_owned()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

fn text_nn(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

fn area_col(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string_len(13).not_null().to_owned()
}

fn instant(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn serial(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn index_stmt(
    name: &str,
    table: &'static str,
    cols: &[&'static str],
) -> sea_orm::sea_query::IndexCreateStatement {
    let mut i = Index::create();
    i.if_not_exists().name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    i
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> Ddl {
    Ddl::Index(Box::new(index_stmt(name, table, cols)))
}

fn drop_index(name: &'static str, table: &'static str) -> Ddl {
    Ddl::DropIndex(Box::new(
        Index::drop().name(name).table(table).if_exists().to_owned(),
    ))
}

fn unique(name: &str, table: &'static str, cols: &[&'static str]) -> Ddl {
    Ddl::Index(Box::new(index_stmt(name, table, cols).unique().to_owned()))
}

fn foundation() -> Vec<Ddl> {
    let areas = Table::create()
        .table("areas")
        .if_not_exists()
        .col(
            ColumnDef::new("code")
                .string_len(13)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new("parent_code").string_len(13).null())
        .col(ColumnDef::new("level").small_integer().not_null())
        .col(text_nn("name"))
        .col(text_nn("name_key"))
        .to_owned();

    let households = Table::create()
        .table("households")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("kk_number").string_len(16).null())
        .col(area_col("village_code"))
        .col(text("address"))
        .col(ColumnDef::new("rt").string_len(3).null())
        .col(ColumnDef::new("rw").string_len(3).null())
        .col(ColumnDef::new("status").string_len(16).not_null())
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("households", "village_code")
                .to("areas", "code"),
        )
        .to_owned();

    let persons = Table::create()
        .table("persons")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("nik").string_len(16).null())
        .col(text_nn("full_name"))
        .col(text_nn("name_key"))
        .col(ColumnDef::new("sex").string_len(1).not_null())
        .col(ColumnDef::new("birth_date").date().not_null())
        .col(text("birth_place"))
        .col(text("religion"))
        .col(text("education"))
        .col(text("occupation"))
        .col(text("marital_status"))
        .col(ColumnDef::new("phone").string_len(20).null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("life_status").string_len(16).not_null())
        .col(ColumnDef::new("died_on").date().null())
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("persons", "village_code")
                .to("areas", "code"),
        )
        .to_owned();

    // A person's current household; past memberships live in the history tables.
    let members = Table::create()
        .table("household_members")
        .if_not_exists()
        .col(id("person_id"))
        .col(ref_id("household_id"))
        .col(ColumnDef::new("relationship").string_len(20).not_null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("since").date().not_null())
        .foreign_key(
            ForeignKey::create()
                .from("household_members", "person_id")
                .to("persons", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from("household_members", "household_id")
                .to("households", "id"),
        )
        .to_owned();

    let history = |table: &'static str, subject: &'static str| {
        Table::create()
            .table(table)
            .if_not_exists()
            .col(serial("id"))
            .col(ref_id(subject))
            .col(area_col("village_code"))
            .col(instant("at"))
            .col(text_nn("actor"))
            .col(ColumnDef::new("action").string_len(40).not_null())
            .col(ColumnDef::new("field").string_len(40).null())
            .col(text("old_value"))
            .col(text("new_value"))
            .col(text("reason"))
            .col(ColumnDef::new("source").string_len(40).not_null())
            .col(ColumnDef::new("request_id").string_len(64).null())
            .to_owned()
    };

    let users = Table::create()
        .table("users")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("username").string_len(64).not_null())
        .col(text_nn("display_name"))
        .col(text_nn("password_hash"))
        .col(ColumnDef::new("role").string_len(32).not_null())
        .col(ColumnDef::new("area_code").string_len(13).null())
        .col(ColumnDef::new("language").string_len(5).not_null())
        .col(ColumnDef::new("disabled").boolean().not_null())
        .col(instant("created_at"))
        .to_owned();

    let sessions = Table::create()
        .table("sessions")
        .if_not_exists()
        .col(
            ColumnDef::new("token_hash")
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ref_id("user_id"))
        .col(ColumnDef::new("csrf_token").string_len(64).not_null())
        .col(instant("created_at"))
        .col(instant("expires_at"))
        .foreign_key(
            ForeignKey::create()
                .from("sessions", "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned();

    let api_tokens = Table::create()
        .table("api_tokens")
        .if_not_exists()
        .col(
            ColumnDef::new("token_hash")
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ref_id("user_id"))
        .col(text_nn("name"))
        .col(instant("created_at"))
        .col(ColumnDef::new("revoked").boolean().not_null())
        .foreign_key(
            ForeignKey::create()
                .from("api_tokens", "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned();

    let audit = Table::create()
        .table("audit_log")
        .if_not_exists()
        .col(serial("id"))
        .col(instant("at"))
        .col(text_nn("actor"))
        .col(ColumnDef::new("action").string_len(48).not_null())
        .col(ColumnDef::new("record_type").string_len(24).not_null())
        .col(ColumnDef::new("record_id").string_len(36).null())
        .col(ColumnDef::new("area_code").string_len(13).null())
        .col(ColumnDef::new("request_id").string_len(64).null())
        .col(text("detail"))
        .to_owned();

    let jobs = Table::create()
        .table("jobs")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("kind").string_len(32).not_null())
        .col(ColumnDef::new("status").string_len(16).not_null())
        .col(text_nn("params"))
        .col(ColumnDef::new("done").big_integer().not_null())
        .col(ColumnDef::new("total").big_integer().not_null())
        .col(text("error"))
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();

    vec![
        Ddl::Table(Box::new(areas)),
        index("ix_areas_parent", "areas", &["parent_code", "code"]),
        Ddl::Table(Box::new(households)),
        unique("ux_households_kk", "households", &["kk_number"]),
        index("ix_households_area", "households", &["village_code", "id"]),
        Ddl::Table(Box::new(persons)),
        unique("ux_persons_nik", "persons", &["nik"]),
        index("ix_persons_area", "persons", &["village_code", "id"]),
        index("ix_persons_name", "persons", &["name_key"]),
        Ddl::Table(Box::new(members)),
        index(
            "ix_members_household",
            "household_members",
            &["household_id"],
        ),
        Ddl::Table(Box::new(history("person_history", "person_id"))),
        index(
            "ix_person_history_subject",
            "person_history",
            &["person_id", "id"],
        ),
        Ddl::Table(Box::new(history("household_history", "household_id"))),
        index(
            "ix_household_history_subject",
            "household_history",
            &["household_id", "id"],
        ),
        Ddl::Table(Box::new(users)),
        unique("ux_users_username", "users", &["username"]),
        Ddl::Table(Box::new(sessions)),
        index("ix_sessions_user", "sessions", &["user_id"]),
        Ddl::Table(Box::new(api_tokens)),
        index("ix_api_tokens_user", "api_tokens", &["user_id"]),
        Ddl::Table(Box::new(audit)),
        index(
            "ix_audit_record",
            "audit_log",
            &["record_type", "record_id"],
        ),
        index("ix_audit_at", "audit_log", &["at"]),
        Ddl::Table(Box::new(jobs)),
    ]
}

/// Imports of source extracts: one row per file, every accepted row as read (normalised),
/// and every rejection or dropped value with its row, column and code.
fn imports() -> Vec<Ddl> {
    let imports = Table::create()
        .table("imports")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("source").string_len(8).not_null())
        .col(text_nn("file_name"))
        .col(ColumnDef::new("sha256").string_len(64).not_null())
        .col(ColumnDef::new("area_code").string_len(13).null())
        .col(ColumnDef::new("status").string_len(16).not_null())
        .col(ColumnDef::new("rows_total").big_integer().not_null())
        .col(ColumnDef::new("rows_read").big_integer().not_null())
        .col(ColumnDef::new("rows_accepted").big_integer().not_null())
        .col(ColumnDef::new("rows_rejected").big_integer().not_null())
        .col(
            ColumnDef::new("rows_with_warnings")
                .big_integer()
                .not_null(),
        )
        .col(text("unknown_columns"))
        .col(text("error"))
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();
    let records = Table::create()
        .table("source_records")
        .if_not_exists()
        .col(serial("id"))
        .col(ref_id("import_id"))
        .col(ColumnDef::new("row_number").big_integer().not_null())
        .col(ColumnDef::new("source").string_len(8).not_null())
        .col(text("source_key"))
        .col(ColumnDef::new("nik").string_len(16).null())
        .col(ColumnDef::new("kk_number").string_len(16).null())
        .col(text_nn("full_name"))
        .col(text_nn("name_key"))
        .col(ColumnDef::new("birth_date").date().null())
        .col(ColumnDef::new("sex").string_len(1).null())
        .col(ColumnDef::new("relationship").string_len(20).null())
        .col(ColumnDef::new("village_code").string_len(13).null())
        .col(text("address"))
        .col(ColumnDef::new("rt").string_len(3).null())
        .col(ColumnDef::new("rw").string_len(3).null())
        .col(text_nn("attributes"))
        // The registry person the row was linked to by synchronisation, how, and how sure.
        .col(ColumnDef::new("person_id").string_len(36).null())
        .col(ColumnDef::new("link_method").string_len(16).null())
        .col(ColumnDef::new("link_score").double().null())
        .foreign_key(
            ForeignKey::create()
                .from("source_records", "import_id")
                .to("imports", "id"),
        )
        .to_owned();
    let issues = Table::create()
        .table("import_issues")
        .if_not_exists()
        .col(serial("id"))
        .col(ref_id("import_id"))
        .col(ColumnDef::new("row_number").big_integer().not_null())
        .col(ColumnDef::new("column_name").string_len(32).not_null())
        .col(ColumnDef::new("code").string_len(40).not_null())
        .col(ColumnDef::new("rejected").boolean().not_null())
        .foreign_key(
            ForeignKey::create()
                .from("import_issues", "import_id")
                .to("imports", "id"),
        )
        .to_owned();
    vec![
        Ddl::Table(Box::new(imports)),
        unique("ux_imports_file", "imports", &["source", "sha256"]),
        Ddl::Table(Box::new(records)),
        unique(
            "ux_source_records_row",
            "source_records",
            &["import_id", "row_number"],
        ),
        index("ix_source_records_nik", "source_records", &["nik"]),
        index("ix_source_records_person", "source_records", &["person_id"]),
        index(
            "ix_source_records_area",
            "source_records",
            &["village_code", "id"],
        ),
        Ddl::Table(Box::new(issues)),
        index(
            "ix_import_issues_row",
            "import_issues",
            &["import_id", "row_number"],
        ),
    ]
}

/// The review queues: disagreements between a source and the registry (open ones for a
/// reviewer, settled ones with the authority that settled them), and likely duplicates.
fn review() -> Vec<Ddl> {
    let conflicts = Table::create()
        .table("conflicts")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("field").string_len(20).not_null())
        .col(text("current_value"))
        .col(ColumnDef::new("current_source").string_len(40).null())
        .col(text("proposed_value"))
        .col(ColumnDef::new("proposed_source").string_len(8).not_null())
        .col(ColumnDef::new("source_record_id").big_integer().not_null())
        .col(ref_id("import_id"))
        // open, field_check (sent to the village), resolved, or auto (settled by a rule).
        .col(ColumnDef::new("status").string_len(16).not_null())
        .col(ColumnDef::new("rule").string_len(32).null())
        .col(ColumnDef::new("decision").string_len(16).null())
        .col(text("resolved_value"))
        .col(text("note"))
        .col(text("decided_by"))
        .col(
            ColumnDef::new("decided_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(instant("created_at"))
        .foreign_key(
            ForeignKey::create()
                .from("conflicts", "source_record_id")
                .to("source_records", "id"),
        )
        .to_owned();
    let duplicates = Table::create()
        .table("duplicate_pairs")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_a"))
        .col(ref_id("person_b"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("score").double().not_null())
        // open, merged, dismissed, or superseded (one of the two was merged elsewhere).
        .col(ColumnDef::new("status").string_len(16).not_null())
        .col(text("note"))
        .col(text("decided_by"))
        .col(
            ColumnDef::new("decided_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(instant("created_at"))
        .to_owned();
    // Synchronisation decides every row of an import before it changes the registry, and
    // keeps the decisions here: a synchronisation resumed after a crash applies the same
    // decisions an uninterrupted one would have.
    let plans = Table::create()
        .table("sync_plans")
        .if_not_exists()
        .col(
            ColumnDef::new("record_id")
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(ref_id("import_id"))
        .col(ColumnDef::new("person_id").string_len(36).null())
        .col(ColumnDef::new("method").string_len(16).not_null())
        .col(ColumnDef::new("score").double().null())
        .foreign_key(
            ForeignKey::create()
                .from("sync_plans", "record_id")
                .to("source_records", "id"),
        )
        .to_owned();
    vec![
        Ddl::Table(Box::new(plans)),
        index("ix_sync_plans_import", "sync_plans", &["import_id"]),
        Ddl::Table(Box::new(conflicts)),
        unique(
            "ux_conflicts_row_field",
            "conflicts",
            &["source_record_id", "field"],
        ),
        index(
            "ix_conflicts_queue",
            "conflicts",
            &["status", "village_code", "id"],
        ),
        index("ix_conflicts_person", "conflicts", &["person_id"]),
        Ddl::Table(Box::new(duplicates)),
        unique(
            "ux_duplicate_pairs",
            "duplicate_pairs",
            &["person_a", "person_b"],
        ),
        index(
            "ix_duplicate_pairs_queue",
            "duplicate_pairs",
            &["status", "village_code", "id"],
        ),
        index("ix_duplicate_pairs_b", "duplicate_pairs", &["person_b"]),
    ]
}

fn complaints() -> Vec<Ddl> {
    let complaints = Table::create()
        .table("complaints")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("reference").string_len(24).not_null())
        // The district the reference is numbered in, and the complainant's village.
        .col(area_col("regency_code"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("received_on").date().not_null())
        .col(ColumnDef::new("channel").string_len(24).not_null())
        .col(
            ColumnDef::new("complainant_person_id")
                .string_len(36)
                .null(),
        )
        .col(text("complainant_name"))
        .col(text("contact"))
        .col(ColumnDef::new("category").string_len(24).not_null())
        .col(text("programme"))
        .col(text_nn("description"))
        // open, resolved or closed; the level holding it, and the unit when assigned.
        .col(ColumnDef::new("status").string_len(12).not_null())
        .col(ColumnDef::new("level").string_len(12).not_null())
        .col(ColumnDef::new("unit").string_len(24).null())
        .col(text("officer"))
        .col(instant("sent_at"))
        .col(instant("due_at"))
        // The deadline already flagged by the scheduler (escalated, call-back made).
        .col(
            ColumnDef::new("flagged_due_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(ColumnDef::new("escalations").integer().not_null())
        .col(
            ColumnDef::new("reached_ombudsman_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(ColumnDef::new("resolution").string_len(24).null())
        .col(text("response"))
        .col(
            ColumnDef::new("resolved_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(ColumnDef::new("acknowledgement").string_len(16).null())
        .col(
            ColumnDef::new("acknowledged_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("complaints", "village_code")
                .to("areas", "code"),
        )
        .to_owned();
    // Every step of a complaint: received, forwarded, assigned, escalated, responded,
    // resolved, acknowledged, reopened, corrected; with the officer in charge and deadline
    // of each hop.
    let events = Table::create()
        .table("complaint_events")
        .if_not_exists()
        .col(serial("id"))
        .col(ref_id("complaint_id"))
        .col(area_col("village_code"))
        .col(instant("at"))
        .col(text_nn("actor"))
        .col(ColumnDef::new("action").string_len(16).not_null())
        .col(ColumnDef::new("level").string_len(12).not_null())
        .col(ColumnDef::new("unit").string_len(24).null())
        .col(text("officer"))
        .col(ColumnDef::new("due_at").timestamp_with_time_zone().null())
        .col(text("note"))
        .foreign_key(
            ForeignKey::create()
                .from("complaint_events", "complaint_id")
                .to("complaints", "id"),
        )
        .to_owned();
    // The last reference number given in each district and year.
    let sequences = Table::create()
        .table("complaint_sequences")
        .if_not_exists()
        .col(area_col("regency_code"))
        .col(ColumnDef::new("year").integer().not_null())
        .col(ColumnDef::new("last").big_integer().not_null())
        .primary_key(Index::create().col("regency_code").col("year"))
        .to_owned();
    let attachments = Table::create()
        .table("complaint_attachments")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("complaint_id"))
        .col(area_col("village_code"))
        .col(text_nn("file_name"))
        .col(ColumnDef::new("content_type").string_len(64).not_null())
        .col(ColumnDef::new("size").big_integer().not_null())
        .col(ColumnDef::new("content").blob().not_null())
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .foreign_key(
            ForeignKey::create()
                .from("complaint_attachments", "complaint_id")
                .to("complaints", "id"),
        )
        .to_owned();
    // Call-backs owed by the call centre to residents whose complaint is overdue.
    let callbacks = Table::create()
        .table("complaint_callbacks")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("complaint_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("level").string_len(12).not_null())
        .col(ColumnDef::new("status").string_len(12).not_null())
        .col(ColumnDef::new("outcome").string_len(16).null())
        .col(text("note"))
        .col(text("done_by"))
        .col(ColumnDef::new("done_at").timestamp_with_time_zone().null())
        .col(instant("created_at"))
        .foreign_key(
            ForeignKey::create()
                .from("complaint_callbacks", "complaint_id")
                .to("complaints", "id"),
        )
        .to_owned();
    vec![
        Ddl::Table(Box::new(complaints)),
        unique("ux_complaints_reference", "complaints", &["reference"]),
        index("ix_complaints_area", "complaints", &["village_code", "id"]),
        index("ix_complaints_due", "complaints", &["status", "due_at"]),
        index(
            "ix_complaints_person",
            "complaints",
            &["complainant_person_id"],
        ),
        Ddl::Table(Box::new(events)),
        index(
            "ix_complaint_events",
            "complaint_events",
            &["complaint_id", "id"],
        ),
        Ddl::Table(Box::new(sequences)),
        Ddl::Table(Box::new(attachments)),
        index(
            "ix_complaint_attachments",
            "complaint_attachments",
            &["complaint_id"],
        ),
        Ddl::Table(Box::new(callbacks)),
        index(
            "ix_complaint_callbacks",
            "complaint_callbacks",
            &["status", "village_code", "id"],
        ),
    ]
}

fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().null().to_owned()
}

fn programmes() -> Vec<Ddl> {
    // What the sources say of a person beyond identity, for eligibility rules: the DTKS
    // survey's welfare facts and the JKN membership. One row per person; the newest survey
    // wins (`surveyed_on`).
    let facts = Table::create()
        .table("person_facts")
        .if_not_exists()
        .col(id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("disability").boolean().null())
        .col(ColumnDef::new("chronic_illness").boolean().null())
        .col(ColumnDef::new("school_status").string_len(16).null())
        .col(ColumnDef::new("employment_status").string_len(16).null())
        .col(ColumnDef::new("monthly_income").big_integer().null())
        .col(ColumnDef::new("welfare_decile").big_integer().null())
        .col(ColumnDef::new("pmt_score").double().null())
        .col(date("surveyed_on"))
        .col(ColumnDef::new("jkn_segment").string_len(12).null())
        .col(ColumnDef::new("jkn_class").big_integer().null())
        .col(ColumnDef::new("jkn_active").boolean().null())
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("person_facts", "person_id")
                .to("persons", "id"),
        )
        .to_owned();
    // Who is enrolled in which programme now (and was): from sources (KPS cards, JKN PBI),
    // from applications, or recorded by an officer.
    let enrolments = Table::create()
        .table("enrolments")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("programme_code").string_len(24).not_null())
        // active or ended
        .col(ColumnDef::new("status").string_len(8).not_null())
        .col(date("since"))
        .col(date("until"))
        .col(ColumnDef::new("source").string_len(16).not_null())
        .col(text("reference"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("enrolments", "person_id")
                .to("persons", "id"),
        )
        .to_owned();
    // The programme catalogue (PRG-1): the "single form" of each programme.
    let programmes = Table::create()
        .table("programmes")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("code").string_len(24).not_null())
        .col(text_nn("name_id"))
        .col(text_nn("name_en"))
        .col(text("description_id"))
        .col(text("description_en"))
        .col(text_nn("owner_agency"))
        .col(text("technical_unit"))
        // health, children, working_age, older_persons
        .col(ColumnDef::new("guarantee").string_len(16).not_null())
        // cash, in_kind, insurance, service, training, employment
        .col(ColumnDef::new("kind").string_len(16).not_null())
        .col(text("benefit_id"))
        .col(text("benefit_en"))
        .col(ColumnDef::new("benefit_amount").big_integer().null())
        // month, quarter, year, once
        .col(ColumnDef::new("benefit_period").string_len(8).null())
        // None: national; else the province or regency the programme covers.
        .col(ColumnDef::new("area_code").string_len(13).null())
        .col(ColumnDef::new("budget").big_integer().null())
        // A cap on the people (or households) served in all, besides per-area quotas.
        .col(ColumnDef::new("quota").big_integer().null())
        // person or household: who is listed (a household is listed by its head).
        .col(ColumnDef::new("target").string_len(12).not_null())
        // Programmes meeting the same need: served twice = double targeting.
        .col(ColumnDef::new("need").string_len(32).null())
        .col(text_nn("rank_by"))
        // JSON: [{"id": "...", "en": "..."}]
        .col(text_nn("documents"))
        .col(text("procedure_id"))
        .col(text("procedure_en"))
        .col(text("focal_point"))
        .col(ColumnDef::new("active_from").date().not_null())
        .col(date("active_until"))
        // JSON arrays of programme codes: conditions a beneficiary must also meet, and
        // programmes a beneficiary should also be in (combined packages).
        .col(text_nn("requires"))
        .col(text_nn("implies"))
        .col(ColumnDef::new("example").boolean().not_null())
        .col(text_nn("updated_by"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();
    // Eligibility rules, versioned: the version in force on a date is the highest whose
    // `effective_from` is on or before it.
    let rules = Table::create()
        .table("programme_rules")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("programme_id"))
        .col(ColumnDef::new("version").integer().not_null())
        .col(text_nn("rule"))
        .col(ColumnDef::new("effective_from").date().not_null())
        .col(text("note"))
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .foreign_key(
            ForeignKey::create()
                .from("programme_rules", "programme_id")
                .to("programmes", "id"),
        )
        .to_owned();
    let quotas = Table::create()
        .table("programme_quotas")
        .if_not_exists()
        .col(ref_id("programme_id"))
        .col(ColumnDef::new("area_code").string_len(13).not_null())
        .col(ColumnDef::new("quota").big_integer().not_null())
        .primary_key(Index::create().col("programme_id").col("area_code"))
        .foreign_key(
            ForeignKey::create()
                .from("programme_quotas", "programme_id")
                .to("programmes", "id"),
        )
        .to_owned();
    // A matching run: the cross-table of one area on one reference date.
    let runs = Table::create()
        .table("match_runs")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("area_code").string_len(13).not_null())
        .col(ColumnDef::new("reference_date").date().not_null())
        // running, finished, failed, cancelled
        .col(ColumnDef::new("status").string_len(12).not_null())
        .col(ColumnDef::new("programmes_done").integer().not_null())
        .col(ColumnDef::new("programmes_total").integer().not_null())
        // JSON: per programme code, the rule version used and the counts.
        .col(text_nn("summary"))
        .col(text("error"))
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();
    let results = Table::create()
        .table("match_results")
        .if_not_exists()
        .col(ref_id("run_id"))
        .col(ref_id("programme_id"))
        .col(ref_id("person_id"))
        .col(ColumnDef::new("household_id").string_len(36).null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("rule_version").integer().not_null())
        // 1-based rank within the quota area; null for people added by the forum
        .col(ColumnDef::new("rank").big_integer().null())
        // selected, waiting (past the quota), added or removed (village forum)
        .col(ColumnDef::new("status").string_len(10).not_null())
        .primary_key(
            Index::create()
                .col("run_id")
                .col("programme_id")
                .col("person_id"),
        )
        .foreign_key(
            ForeignKey::create()
                .from("match_results", "run_id")
                .to("match_runs", "id"),
        )
        .to_owned();
    // The village forum's (musyawarah desa) additions to and removals from a programme's
    // list; they survive re-runs until revoked.
    let overrides = Table::create()
        .table("match_overrides")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("programme_id"))
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        // add or remove
        .col(ColumnDef::new("action").string_len(8).not_null())
        .col(text_nn("reason"))
        .col(ColumnDef::new("forum_date").date().not_null())
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(
            ColumnDef::new("revoked_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(text("revoked_by"))
        .foreign_key(
            ForeignKey::create()
                .from("match_overrides", "programme_id")
                .to("programmes", "id"),
        )
        .foreign_key(
            ForeignKey::create()
                .from("match_overrides", "person_id")
                .to("persons", "id"),
        )
        .to_owned();
    vec![
        Ddl::Table(Box::new(facts)),
        index("ix_person_facts_area", "person_facts", &["village_code"]),
        Ddl::Table(Box::new(enrolments)),
        unique(
            "ux_enrolments_person",
            "enrolments",
            &["person_id", "programme_code"],
        ),
        index(
            "ix_enrolments_programme",
            "enrolments",
            &["programme_code", "village_code"],
        ),
        Ddl::Table(Box::new(programmes)),
        unique("ux_programmes_code", "programmes", &["code"]),
        Ddl::Table(Box::new(rules)),
        unique(
            "ux_programme_rules_version",
            "programme_rules",
            &["programme_id", "version"],
        ),
        Ddl::Table(Box::new(quotas)),
        Ddl::Table(Box::new(runs)),
        index(
            "ix_match_runs_area",
            "match_runs",
            &["area_code", "created_at"],
        ),
        Ddl::Table(Box::new(results)),
        index(
            "ix_match_results_list",
            "match_results",
            &["run_id", "programme_id", "village_code", "rank"],
        ),
        index("ix_match_results_person", "match_results", &["person_id"]),
        Ddl::Table(Box::new(overrides)),
        index(
            "ix_match_overrides",
            "match_overrides",
            &["programme_id", "person_id"],
        ),
        index(
            "ix_match_overrides_area",
            "match_overrides",
            &["village_code"],
        ),
    ]
}

fn population() -> Vec<Ddl> {
    // What a matching run reads: every living person of its area (and the other living
    // members of their households), with their facts and their household's, copied once at
    // the start of the run. Rules then read one row per person instead of joining persons,
    // memberships and facts, and aggregating households, for every programme; and every
    // programme of a run sees the same facts. Deleted when the run ends.
    let snapshot = Table::create()
        .table("match_population")
        .if_not_exists()
        .col(ref_id("run_id"))
        // The household's id, or the person's own for a person in no household (a household
        // of one).
        .col(ref_id("household_key"))
        .col(ref_id("person_id"))
        .col(ColumnDef::new("household_id").string_len(36).null())
        // The head of the household, or a person in no household.
        .col(ColumnDef::new("is_head").boolean().not_null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("birth_date").date().not_null())
        .col(ColumnDef::new("sex").string_len(1).not_null())
        .col(ColumnDef::new("relationship").string_len(20).null())
        .col(text("occupation"))
        .col(text("marital_status"))
        .col(ColumnDef::new("disability").boolean().null())
        .col(ColumnDef::new("chronic_illness").boolean().null())
        .col(ColumnDef::new("school_status").string_len(16).null())
        .col(ColumnDef::new("employment_status").string_len(16).null())
        .col(ColumnDef::new("monthly_income").big_integer().null())
        .col(ColumnDef::new("welfare_decile").big_integer().null())
        .col(ColumnDef::new("pmt_score").double().null())
        .col(ColumnDef::new("jkn_segment").string_len(12).null())
        .col(ColumnDef::new("jkn_class").big_integer().null())
        .col(ColumnDef::new("jkn_active").boolean().null())
        // The household's facts over its living members: size, poorest decile and score,
        // total income.
        .col(ColumnDef::new("h_size").big_integer().not_null())
        .col(ColumnDef::new("h_welfare_decile").big_integer().null())
        .col(ColumnDef::new("h_pmt_score").double().null())
        .col(ColumnDef::new("h_income").big_integer().null())
        .primary_key(
            Index::create()
                .col("run_id")
                .col("household_key")
                .col("person_id"),
        )
        .to_owned();
    // A person's lines are found through the primary key (run, programme, person) instead:
    // this index, random across all runs' lines, cost as much as the rest of a line's write.
    let by_person = sea_orm::sea_query::Index::drop()
        .name("ix_match_results_person")
        .table("match_results")
        .if_exists()
        .to_owned();
    vec![
        Ddl::Clustered(Box::new(snapshot)),
        Ddl::DropIndex(Box::new(by_person)),
    ]
}

fn matching_writes() -> Vec<Ddl> {
    vec![
        // A snapshot lives only while its run does, and a run interrupted by a crash rebuilds
        // it when it resumes (PostgreSQL empties unlogged tables in crash recovery): writing
        // it to the write-ahead log, and its deletion at the end of every run, bought nothing.
        Ddl::Postgres("ALTER TABLE match_population SET UNLOGGED"),
        // Lines are written only in the transaction that moves their run on, which fails
        // unless the run exists and is running (`Store::save_programme_lines`); runs are
        // never deleted. The key check repeated that for every line: a fifth of a line's cost.
        Ddl::Postgres(
            "ALTER TABLE match_results DROP CONSTRAINT IF EXISTS match_results_run_id_fkey",
        ),
    ]
}

fn applications() -> Vec<Ddl> {
    // An application of a person (for a household programme, the household's
    // representative) to a programme, as it stands.
    let applications = Table::create()
        .table("applications")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_id"))
        .col(ColumnDef::new("household_id").string_len(36).null())
        .col(ref_id("programme_id"))
        .col(area_col("village_code"))
        // counter, online, sms, call_centre or matching
        .col(ColumnDef::new("channel").string_len(16).not_null())
        // draft, submitted, forwarded, approved, rejected, enrolled or withdrawn
        .col(ColumnDef::new("state").string_len(12).not_null())
        .col(text("note"))
        // The reason of the last rejection or withdrawal, told to the applicant.
        .col(text("reason"))
        // The matching run whose list pre-identified the person, if any.
        .col(ColumnDef::new("run_id").string_len(36).null())
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("applications", "person_id")
                .to("persons", "id"),
        )
        .foreign_key(
            ForeignKey::create()
                .from("applications", "programme_id")
                .to("programmes", "id"),
        )
        .to_owned();
    // Every step: who, when, from which state to which, and why.
    let events = Table::create()
        .table("application_events")
        .if_not_exists()
        .col(serial("id"))
        .col(ref_id("application_id"))
        .col(area_col("village_code"))
        .col(instant("at"))
        .col(text_nn("actor"))
        .col(ColumnDef::new("action").string_len(16).not_null())
        .col(ColumnDef::new("from_state").string_len(12).null())
        .col(ColumnDef::new("to_state").string_len(12).not_null())
        .col(text("note"))
        .foreign_key(
            ForeignKey::create()
                .from("application_events", "application_id")
                .to("applications", "id"),
        )
        .to_owned();
    // The documents handed in: the bytes are kept outside the database, named by their
    // SHA-256, which is checked when they are read back.
    let documents = Table::create()
        .table("application_documents")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("application_id"))
        .col(area_col("village_code"))
        // Which of the programme's required documents (0-based), or none for another.
        .col(ColumnDef::new("requirement").integer().null())
        .col(text_nn("file_name"))
        .col(ColumnDef::new("content_type").string_len(40).not_null())
        .col(ColumnDef::new("size").big_integer().not_null())
        .col(ColumnDef::new("sha256").string_len(64).not_null())
        .col(text_nn("uploaded_by"))
        .col(instant("uploaded_at"))
        .col(text("checked_by"))
        .col(
            ColumnDef::new("checked_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from("application_documents", "application_id")
                .to("applications", "id"),
        )
        .to_owned();
    vec![
        Ddl::Table(Box::new(applications)),
        index(
            "ix_applications_area",
            "applications",
            &["village_code", "id"],
        ),
        index(
            "ix_applications_person",
            "applications",
            &["person_id", "programme_id"],
        ),
        Ddl::Table(Box::new(events)),
        index(
            "ix_application_events",
            "application_events",
            &["application_id", "id"],
        ),
        Ddl::Table(Box::new(documents)),
        index(
            "ix_application_documents",
            "application_documents",
            &["application_id"],
        ),
    ]
}

fn outbox() -> Vec<Ddl> {
    // Every message to a resident, written in the transaction of the change it announces
    // and sent by the dispatcher.
    let outbox = Table::create()
        .table("outbox_messages")
        .if_not_exists()
        .col(id("id"))
        // sms
        .col(ColumnDef::new("channel").string_len(8).not_null())
        .col(ColumnDef::new("recipient").string_len(20).not_null())
        .col(ColumnDef::new("person_id").string_len(36).null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("lang").string_len(2).not_null())
        .col(ColumnDef::new("template").string_len(32).not_null())
        .col(text_nn("body"))
        // What it is about: an application ...
        .col(ColumnDef::new("subject_type").string_len(16).null())
        .col(ColumnDef::new("subject_id").string_len(36).null())
        // queued, sending, sent, delivered or failed
        .col(ColumnDef::new("status").string_len(10).not_null())
        .col(ColumnDef::new("attempts").integer().not_null())
        .col(instant("next_attempt_at"))
        // While `sending`: until when the dispatcher that claimed it holds it.
        .col(
            ColumnDef::new("lease_until")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(text("last_error"))
        .col(text("gateway_ref"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .col(ColumnDef::new("sent_at").timestamp_with_time_zone().null())
        .to_owned();
    vec![
        Ddl::Table(Box::new(outbox)),
        index(
            "ix_outbox_due",
            "outbox_messages",
            &["status", "next_attempt_at"],
        ),
        index("ix_outbox_area", "outbox_messages", &["village_code", "id"]),
        index("ix_outbox_subject", "outbox_messages", &["subject_id"]),
    ]
}

fn inbound_sms() -> Vec<Ddl> {
    // Every SMS a resident sent, once (the gateway's id is unique: a replayed webhook is
    // refused), with what it asked and what was done.
    let inbound = Table::create()
        .table("inbound_sms")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("gateway_id").string_len(100).not_null())
        .col(ColumnDef::new("sender").string_len(20).not_null())
        .col(text_nn("text"))
        // cek, daftar, aduan or bantuan
        .col(ColumnDef::new("command").string_len(10).not_null())
        .col(ColumnDef::new("person_id").string_len(36).null())
        .col(ColumnDef::new("village_code").string_len(13).null())
        // received (not answered yet) or answered
        .col(ColumnDef::new("status").string_len(10).not_null())
        // What was done: an application or complaint started, or why not.
        .col(text("outcome"))
        .col(ColumnDef::new("reply_id").string_len(36).null())
        .col(instant("received_at"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(inbound)),
        unique("ux_inbound_sms_gateway", "inbound_sms", &["gateway_id"]),
        index(
            "ix_inbound_sms_area",
            "inbound_sms",
            &["village_code", "id"],
        ),
    ]
}

fn cases() -> Vec<Ddl> {
    // A household's case: the needs assessed, the officer following it, open or closed.
    let cases = Table::create()
        .table("cases")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("household_id"))
        .col(area_col("village_code"))
        // JSON array of need codes
        .col(text_nn("needs"))
        .col(text_nn("summary"))
        .col(ColumnDef::new("status").string_len(8).not_null())
        .col(text("officer"))
        .col(text_nn("opened_by"))
        .col(instant("opened_at"))
        .col(
            ColumnDef::new("closed_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(text("closed_reason"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("cases", "household_id")
                .to("households", "id"),
        )
        .to_owned();
    // The plan: referrals to programmes, services, training and jobs, each with the date
    // it is followed up.
    let steps = Table::create()
        .table("case_steps")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("case_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("referral").string_len(12).not_null())
        .col(text_nn("target"))
        .col(ColumnDef::new("due_on").date().not_null())
        .col(ColumnDef::new("status").string_len(8).not_null())
        .col(text("note"))
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(text("finished_by"))
        .col(
            ColumnDef::new("finished_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from("case_steps", "case_id")
                .to("cases", "id"),
        )
        .to_owned();
    let notes = Table::create()
        .table("case_notes")
        .if_not_exists()
        .col(serial("id"))
        .col(ref_id("case_id"))
        .col(area_col("village_code"))
        .col(instant("at"))
        .col(text_nn("actor"))
        .col(text_nn("text"))
        .foreign_key(
            ForeignKey::create()
                .from("case_notes", "case_id")
                .to("cases", "id"),
        )
        .to_owned();
    vec![
        Ddl::Table(Box::new(cases)),
        index("ix_cases_area", "cases", &["village_code", "id"]),
        index("ix_cases_household", "cases", &["household_id"]),
        Ddl::Table(Box::new(steps)),
        index("ix_case_steps", "case_steps", &["case_id", "due_on"]),
        Ddl::Table(Box::new(notes)),
        index("ix_case_notes", "case_notes", &["case_id", "id"]),
    ]
}

fn calls() -> Vec<Ddl> {
    // Every call the call centre took: who called (a registered person, or a number and
    // the caller's village), why, about which programme, and how it ended.
    let calls = Table::create()
        .table("calls")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("person_id").string_len(36).null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("caller_phone").string_len(20).null())
        .col(ColumnDef::new("reason").string_len(24).not_null())
        .col(ColumnDef::new("programme_code").string_len(24).null())
        .col(ColumnDef::new("outcome").string_len(24).not_null())
        .col(text("note"))
        .col(text_nn("officer"))
        .col(instant("at"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(calls)),
        index("ix_calls_area", "calls", &["village_code", "at"]),
        index("ix_calls_person", "calls", &["person_id"]),
    ]
}

fn residents() -> Vec<Ddl> {
    // One-time login codes sent by SMS: only a hash of the code is kept; a code is used once,
    // expires, and allows a few wrong guesses.
    let codes = Table::create()
        .table("resident_codes")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("code_hash").string_len(64).not_null())
        .col(ColumnDef::new("attempts").integer().not_null())
        .col(instant("created_at"))
        .col(instant("expires_at"))
        .col(ColumnDef::new("used_at").timestamp_with_time_zone().null())
        .to_owned();
    // Residents' portal sessions, by the SHA-256 of their token.
    let sessions = Table::create()
        .table("resident_sessions")
        .if_not_exists()
        .col(
            ColumnDef::new("token_hash")
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("csrf_token").string_len(64).not_null())
        .col(instant("created_at"))
        .col(instant("expires_at"))
        .to_owned();
    // What a resident asks to change in their own record (a phone number, the household's
    // address), until an officer of the area confirms or rejects it.
    let requests = Table::create()
        .table("change_requests")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_id"))
        .col(ColumnDef::new("household_id").string_len(36).null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("kind").string_len(16).not_null())
        .col(text_nn("requested"))
        .col(text("previous"))
        .col(text("note"))
        .col(ColumnDef::new("state").string_len(16).not_null())
        .col(text("reason"))
        .col(text("decided_by"))
        .col(
            ColumnDef::new("decided_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(instant("created_at"))
        .to_owned();
    // The language a resident reads their messages and portal in.
    let preferences = Table::create()
        .table("resident_preferences")
        .if_not_exists()
        .col(id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("language").string_len(2).not_null())
        .col(instant("updated_at"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(codes)),
        index(
            "ix_resident_codes_person",
            "resident_codes",
            &["person_id", "created_at"],
        ),
        Ddl::Table(Box::new(sessions)),
        index(
            "ix_resident_sessions_person",
            "resident_sessions",
            &["person_id"],
        ),
        Ddl::Table(Box::new(requests)),
        index(
            "ix_change_requests_area",
            "change_requests",
            &["village_code", "state", "created_at"],
        ),
        index(
            "ix_change_requests_person",
            "change_requests",
            &["person_id"],
        ),
        Ddl::Table(Box::new(preferences)),
    ]
}

fn agency_officers() -> Vec<Ddl> {
    // The programme an agency officer decides applications of (their API tokens with them).
    vec![Ddl::Alter(Box::new(
        Table::alter()
            .table("users")
            .add_column(ColumnDef::new("programme_code").string_len(24).null())
            .to_owned(),
    ))]
}

fn programme_questions() -> Vec<Ddl> {
    // The questions residents ask about a programme and the call centre's answers, in
    // order, in both languages.
    let questions = Table::create()
        .table("programme_questions")
        .if_not_exists()
        .col(ref_id("programme_id"))
        .col(ColumnDef::new("position").integer().not_null())
        .col(text_nn("question_id"))
        .col(text_nn("question_en"))
        .col(text_nn("answer_id"))
        .col(text_nn("answer_en"))
        .col(text_nn("updated_by"))
        .col(instant("updated_at"))
        .primary_key(Index::create().col("programme_id").col("position"))
        .foreign_key(
            ForeignKey::create()
                .from("programme_questions", "programme_id")
                .to("programmes", "id"),
        )
        .to_owned();
    vec![Ddl::Table(Box::new(questions))]
}

fn applications_from_complaints() -> Vec<Ddl> {
    // The exclusion complaint an application was opened from (the complaint's page lists its
    // applications, the application's page links back).
    vec![
        Ddl::Alter(Box::new(
            Table::alter()
                .table("applications")
                .add_column(ColumnDef::new("complaint_id").string_len(36).null())
                .to_owned(),
        )),
        index(
            "ix_applications_complaint",
            "applications",
            &["complaint_id"],
        ),
    ]
}

fn jkn_membership() -> Vec<Ddl> {
    // Primary care providers (FKTP: puskesmas, clinics, family doctors) members choose.
    let facilities = Table::create()
        .table("facilities")
        .if_not_exists()
        .col(
            ColumnDef::new("code")
                .string_len(16)
                .not_null()
                .primary_key(),
        )
        .col(text_nn("name"))
        .col(ColumnDef::new("kind").string_len(16).not_null())
        .col(area_col("regency_code"))
        .col(text("address"))
        .col(ColumnDef::new("active").boolean().not_null())
        .to_owned();
    // A person's JKN membership: card, segment, class, FKTP (and the one they move to on
    // the first of next month), status.
    let members = Table::create()
        .table("jkn_members")
        .if_not_exists()
        .col(id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("household_id").string_len(36).null())
        .col(ColumnDef::new("card_number").string_len(13).not_null())
        .col(ColumnDef::new("segment").string_len(10).not_null())
        .col(ColumnDef::new("class").integer().not_null())
        .col(ColumnDef::new("fktp_code").string_len(16).not_null())
        .col(ColumnDef::new("fktp_since").date().not_null())
        .col(ColumnDef::new("next_fktp_code").string_len(16).null())
        .col(ColumnDef::new("next_fktp_on").date().null())
        .col(ColumnDef::new("start_date").date().not_null())
        .col(ColumnDef::new("status").string_len(12).not_null())
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(
            ForeignKey::create()
                .from("jkn_members", "person_id")
                .to("persons", "id"),
        )
        .to_owned();
    // Every change of FKTP asked for, with its exception and reason.
    let changes = Table::create()
        .table("fktp_changes")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("from_code").string_len(16).not_null())
        .col(ColumnDef::new("to_code").string_len(16).not_null())
        .col(ColumnDef::new("effective_on").date().not_null())
        .col(ColumnDef::new("exception").string_len(24).null())
        .col(text("reason"))
        .col(text_nn("actor"))
        .col(instant("at"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(facilities)),
        Ddl::Table(Box::new(members)),
        unique("ux_jkn_members_card", "jkn_members", &["card_number"]),
        index("ix_jkn_members_area", "jkn_members", &["village_code"]),
        index("ix_jkn_members_household", "jkn_members", &["household_id"]),
        Ddl::Table(Box::new(changes)),
        index(
            "ix_fktp_changes_person",
            "fktp_changes",
            &["person_id", "at"],
        ),
    ]
}

fn jkn_bills() -> Vec<Ddl> {
    // One bill per family and month (the family's virtual account), due on the 10th: a
    // billing run inserts each at most once, so running it again changes nothing.
    let bills = Table::create()
        .table("jkn_bills")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("household_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("period").string_len(7).not_null())
        .col(ColumnDef::new("va_number").string_len(24).not_null())
        .col(ColumnDef::new("members").integer().not_null())
        .col(ColumnDef::new("amount").big_integer().not_null())
        .col(ColumnDef::new("due_on").date().not_null())
        .col(ColumnDef::new("status").string_len(8).not_null())
        .col(instant("created_at"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(bills)),
        unique(
            "ux_jkn_bills_family",
            "jkn_bills",
            &["household_id", "period"],
        ),
        index(
            "ix_jkn_bills_area",
            "jkn_bills",
            &["village_code", "period"],
        ),
    ]
}

fn money(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn payments_ledger() -> Vec<Ddl> {
    let alter = |table: &'static str, col: ColumnDef| {
        Ddl::Alter(Box::new(
            Table::alter().table(table).add_column(col).to_owned(),
        ))
    };
    // Every payment once per channel and idempotency key: a retried or duplicated callback
    // finds the first and books nothing. `credit` is what is left of it for later bills.
    let payments = Table::create()
        .table("payments")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("channel").string_len(16).not_null())
        .col(ColumnDef::new("idempotency_key").string_len(80).not_null())
        .col(ColumnDef::new("reference").string_len(80).not_null())
        .col(ColumnDef::new("va_number").string_len(24).not_null())
        .col(ref_id("household_id"))
        .col(area_col("village_code"))
        .col(money("amount"))
        .col(money("fee"))
        .col(money("allocated"))
        .col(money("credit"))
        .col(instant("paid_at"))
        .col(instant("received_at"))
        .col(text("collected_by"))
        .col(ColumnDef::new("deposit_id").string_len(36).null())
        .col(
            ColumnDef::new("settled_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(ref_id("entry_id"))
        .col(ColumnDef::new("reactivated").boolean().not_null())
        .to_owned();
    // Which bills each payment paid, and how much of each.
    let allocations = Table::create()
        .table("payment_allocations")
        .if_not_exists()
        .col(ref_id("payment_id"))
        .col(ref_id("bill_id"))
        .col(money("amount"))
        .col(instant("at"))
        .primary_key(Index::create().col("payment_id").col("bill_id"))
        .to_owned();
    // The journal: one entry per event (a bill, a payment, a deposit, a settlement), at
    // most once per event.
    let entries = Table::create()
        .table("journal_entries")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("kind").string_len(24).not_null())
        .col(ColumnDef::new("ref_id").string_len(80).not_null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("period").string_len(7).not_null())
        .col(instant("at"))
        .col(text("memo"))
        .to_owned();
    // Debits positive, credits negative: every entry's postings sum to zero.
    let postings = Table::create()
        .table("postings")
        .if_not_exists()
        .col(ref_id("entry_id"))
        .col(ColumnDef::new("line").integer().not_null())
        .col(ColumnDef::new("account").string_len(32).not_null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("amount").big_integer().not_null())
        .primary_key(Index::create().col("entry_id").col("line"))
        .to_owned();
    // Cash an agent or counter paid into the bank at the end of a day.
    let deposits = Table::create()
        .table("cash_deposits")
        .if_not_exists()
        .col(id("id"))
        .col(text_nn("collected_by"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("day").date().not_null())
        .col(ColumnDef::new("payments").integer().not_null())
        .col(money("amount"))
        .col(ColumnDef::new("bank_reference").string_len(80).not_null())
        .col(ref_id("entry_id"))
        .col(instant("at"))
        .to_owned();
    // A bank or channel statement imported once (by its file's SHA-256), in one transaction.
    let statements = Table::create()
        .table("bank_statements")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("channel").string_len(16).not_null())
        .col(ColumnDef::new("file_sha256").string_len(64).not_null())
        .col(text_nn("file_name"))
        .col(ColumnDef::new("from_day").date().not_null())
        .col(ColumnDef::new("to_day").date().not_null())
        .col(ColumnDef::new("lines").integer().not_null())
        .col(ColumnDef::new("matched").integer().not_null())
        .col(ColumnDef::new("exceptions").integer().not_null())
        .col(text_nn("imported_by"))
        .col(instant("imported_at"))
        .to_owned();
    let lines = Table::create()
        .table("statement_lines")
        .if_not_exists()
        .col(ref_id("statement_id"))
        .col(ColumnDef::new("line_no").integer().not_null())
        .col(ColumnDef::new("value_date").date().not_null())
        .col(ColumnDef::new("reference").string_len(80).not_null())
        .col(money("amount"))
        .col(ColumnDef::new("status").string_len(16).not_null())
        .col(ColumnDef::new("payment_id").string_len(36).null())
        .primary_key(Index::create().col("statement_id").col("line_no"))
        .to_owned();
    // What reconciliation could not match, for the finance unit to work.
    let exceptions = Table::create()
        .table("recon_exceptions")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("statement_id"))
        .col(ColumnDef::new("kind").string_len(16).not_null())
        .col(ColumnDef::new("channel").string_len(16).not_null())
        .col(ColumnDef::new("reference").string_len(80).not_null())
        .col(ColumnDef::new("payment_id").string_len(36).null())
        .col(ColumnDef::new("line_no").integer().null())
        .col(ColumnDef::new("amount_ours").big_integer().null())
        .col(ColumnDef::new("amount_bank").big_integer().null())
        .col(ColumnDef::new("village_code").string_len(13).null())
        .col(ColumnDef::new("status").string_len(10).not_null())
        .col(text("resolution"))
        .col(text("resolved_by"))
        .col(
            ColumnDef::new("resolved_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(instant("created_at"))
        .to_owned();
    vec![
        alter("jkn_bills", money("subsidy")),
        alter("jkn_bills", money("paid")),
        alter(
            "jkn_bills",
            ColumnDef::new("paid_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ),
        alter(
            "jkn_members",
            ColumnDef::new("reactivated_on").date().null().to_owned(),
        ),
        index("ix_jkn_bills_va", "jkn_bills", &["va_number", "status"]),
        Ddl::Table(Box::new(payments)),
        unique(
            "ux_payments_key",
            "payments",
            &["channel", "idempotency_key"],
        ),
        index(
            "ix_payments_household",
            "payments",
            &["household_id", "received_at"],
        ),
        index(
            "ix_payments_area",
            "payments",
            &["village_code", "received_at"],
        ),
        index(
            "ix_payments_reference",
            "payments",
            &["channel", "reference"],
        ),
        index(
            "ix_payments_collector",
            "payments",
            &["collected_by", "deposit_id"],
        ),
        Ddl::Table(Box::new(allocations)),
        index("ix_allocations_bill", "payment_allocations", &["bill_id"]),
        Ddl::Table(Box::new(entries)),
        unique("ux_journal_event", "journal_entries", &["kind", "ref_id"]),
        index(
            "ix_journal_area",
            "journal_entries",
            &["village_code", "period"],
        ),
        Ddl::Table(Box::new(postings)),
        index(
            "ix_postings_account",
            "postings",
            &["account", "village_code"],
        ),
        Ddl::Table(Box::new(deposits)),
        index(
            "ix_deposits_collector",
            "cash_deposits",
            &["collected_by", "day"],
        ),
        Ddl::Table(Box::new(statements)),
        unique(
            "ux_statements_file",
            "bank_statements",
            &["channel", "file_sha256"],
        ),
        Ddl::Table(Box::new(lines)),
        Ddl::Table(Box::new(exceptions)),
        index(
            "ix_recon_exceptions_open",
            "recon_exceptions",
            &["status", "village_code"],
        ),
    ]
}

fn bpjstk() -> Vec<Ddl> {
    // An employer's own account reports for its enterprise (by NPP) and nothing else.
    let employer_npp = Table::alter()
        .table("users")
        .add_column(ColumnDef::new("employer_npp").string_len(8).null())
        .to_owned();
    // Enterprises registered at BPJS Ketenagakerjaan, in the village of their address.
    let employers = Table::create()
        .table("tk_employers")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("npp").string_len(8).not_null())
        .col(text_nn("name"))
        .col(ColumnDef::new("sector").string_len(64).not_null())
        .col(ColumnDef::new("risk_class").integer().not_null())
        .col(area_col("village_code"))
        .col(text("address"))
        .col(ColumnDef::new("registered_on").date().not_null())
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .to_owned();
    // A member's card (KPJ): one per person for life, whichever employer or agent registered
    // them first; kept in the village the person lived in then.
    let cards = Table::create()
        .table("tk_cards")
        .if_not_exists()
        .col(id("person_id"))
        .col(ColumnDef::new("kpj").string_len(11).not_null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("issued_on").date().not_null())
        .foreign_key(
            ForeignKey::create()
                .from("tk_cards", "person_id")
                .to("persons", "id"),
        )
        .to_owned();
    // Who works where: a wage worker with an employer (in the employer's village) or a
    // non-wage worker (BPU) registered by an agent (in the person's village, no employer),
    // with the declared income and whether they chose JHT. `until` ends a registration.
    let workers = Table::create()
        .table("tk_workers")
        .if_not_exists()
        .col(id("id"))
        .col(ColumnDef::new("employer_id").string_len(36).null())
        .col(ref_id("person_id"))
        .col(ColumnDef::new("kpj").string_len(11).not_null())
        .col(area_col("village_code"))
        .col(ColumnDef::new("kind").string_len(8).not_null())
        .col(ColumnDef::new("since").date().not_null())
        .col(ColumnDef::new("until").date().null())
        .col(ColumnDef::new("declared_income").big_integer().null())
        .col(ColumnDef::new("with_jht").boolean().not_null())
        .col(text_nn("registered_by"))
        .col(instant("created_at"))
        .foreign_key(
            ForeignKey::create()
                .from("tk_workers", "person_id")
                .to("persons", "id"),
        )
        .to_owned();
    // The wages an employer reported for a month, one row per worker; a new report of the
    // same month replaces the old one in one transaction (while its bill is unpaid).
    let wages = Table::create()
        .table("tk_wages")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("employer_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("period").string_len(7).not_null())
        .col(ref_id("person_id"))
        .col(ColumnDef::new("wage").big_integer().not_null())
        .col(ColumnDef::new("jkk").big_integer().not_null())
        .col(ColumnDef::new("jkm").big_integer().not_null())
        .col(ColumnDef::new("jht_employer").big_integer().not_null())
        .col(ColumnDef::new("jht_worker").big_integer().not_null())
        .col(ColumnDef::new("jp_employer").big_integer().not_null())
        .col(ColumnDef::new("jp_worker").big_integer().not_null())
        .col(instant("reported_at"))
        .to_owned();
    // One bill per employer and month, on the employer's virtual account, due on the 15th
    // of the next month; `open` until a payment settles it.
    let bills = Table::create()
        .table("tk_bills")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("employer_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("period").string_len(7).not_null())
        .col(ColumnDef::new("va_number").string_len(24).not_null())
        .col(ColumnDef::new("workers").integer().not_null())
        .col(ColumnDef::new("wages").big_integer().not_null())
        .col(ColumnDef::new("jkk").big_integer().not_null())
        .col(ColumnDef::new("jkm").big_integer().not_null())
        .col(ColumnDef::new("jht").big_integer().not_null())
        .col(ColumnDef::new("jp").big_integer().not_null())
        .col(ColumnDef::new("employer_share").big_integer().not_null())
        .col(ColumnDef::new("worker_share").big_integer().not_null())
        .col(ColumnDef::new("total").big_integer().not_null())
        .col(ColumnDef::new("due_on").date().not_null())
        .col(ColumnDef::new("status").string_len(8).not_null())
        .col(ColumnDef::new("paid_at").timestamp_with_time_zone().null())
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();
    // A non-wage worker's monthly contribution, taken by an agent.
    let bpu_payments = Table::create()
        .table("tk_bpu_payments")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("worker_id"))
        .col(ref_id("person_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("period").string_len(7).not_null())
        .col(ColumnDef::new("income").big_integer().not_null())
        .col(ColumnDef::new("jkk").big_integer().not_null())
        .col(ColumnDef::new("jkm").big_integer().not_null())
        .col(ColumnDef::new("jht").big_integer().not_null())
        .col(ColumnDef::new("total").big_integer().not_null())
        .col(text_nn("agent"))
        .col(instant("paid_at"))
        .to_owned();
    vec![
        Ddl::Alter(Box::new(employer_npp)),
        Ddl::Table(Box::new(employers)),
        unique("ux_tk_employers_npp", "tk_employers", &["npp"]),
        index("ix_tk_employers_area", "tk_employers", &["village_code"]),
        Ddl::Table(Box::new(cards)),
        unique("ux_tk_cards_kpj", "tk_cards", &["kpj"]),
        Ddl::Table(Box::new(workers)),
        index(
            "ix_tk_workers_employer",
            "tk_workers",
            &["employer_id", "person_id"],
        ),
        index("ix_tk_workers_person", "tk_workers", &["person_id"]),
        index("ix_tk_workers_area", "tk_workers", &["village_code"]),
        Ddl::Table(Box::new(wages)),
        unique(
            "ux_tk_wages_worker_period",
            "tk_wages",
            &["employer_id", "person_id", "period"],
        ),
        index("ix_tk_wages_person", "tk_wages", &["person_id"]),
        Ddl::Table(Box::new(bills)),
        unique("ux_tk_bills_period", "tk_bills", &["employer_id", "period"]),
        unique("ux_tk_bills_va", "tk_bills", &["va_number"]),
        index("ix_tk_bills_area", "tk_bills", &["village_code", "period"]),
        Ddl::Table(Box::new(bpu_payments)),
        unique(
            "ux_tk_bpu_payments_period",
            "tk_bpu_payments",
            &["worker_id", "period"],
        ),
        index(
            "ix_tk_bpu_payments_person",
            "tk_bpu_payments",
            &["person_id"],
        ),
    ]
}

fn bill_reminders() -> Vec<Ddl> {
    // When the family was reminded of a bill before its due date, and told after it that it
    // is overdue: each once.
    let alter = |col: &'static str| {
        Ddl::Alter(Box::new(
            Table::alter()
                .table("jkn_bills")
                .add_column(ColumnDef::new(col).timestamp_with_time_zone().null())
                .to_owned(),
        ))
    };
    vec![
        alter("reminded_at"),
        alter("overdue_notice_at"),
        index("ix_jkn_bills_due", "jkn_bills", &["status", "due_on"]),
    ]
}

fn employer_payments() -> Vec<Ddl> {
    // The employer's bill a payment paid (a family's payments name the household instead).
    vec![
        Ddl::Alter(Box::new(
            Table::alter()
                .table("payments")
                .add_column(ColumnDef::new("employer_bill_id").string_len(36).null())
                .to_owned(),
        )),
        index(
            "ix_payments_employer_bill",
            "payments",
            &["employer_bill_id"],
        ),
        // `written_off` is longer than the eight characters migration 18 allowed (SQLite
        // does not enforce lengths).
        Ddl::Postgres("ALTER TABLE jkn_bills ALTER COLUMN status TYPE varchar(16)"),
    ]
}

fn jkn_ppu_bills() -> Vec<Ddl> {
    // One JKN bill per employer and month for its wage earners (PPU), issued with the wage
    // report that also bills BPJS Ketenagakerjaan, on its own virtual account; recomputed
    // with each new report of the month while `open`, never after it is `paid`. Due on the
    // 10th of the next month.
    let bills = Table::create()
        .table("jkn_ppu_bills")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("employer_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("period").string_len(7).not_null())
        .col(ColumnDef::new("va_number").string_len(24).not_null())
        .col(ColumnDef::new("workers").integer().not_null())
        .col(ColumnDef::new("wages_counted").big_integer().not_null())
        .col(ColumnDef::new("employer_share").big_integer().not_null())
        .col(ColumnDef::new("worker_share").big_integer().not_null())
        .col(ColumnDef::new("total").big_integer().not_null())
        .col(ColumnDef::new("due_on").date().not_null())
        .col(ColumnDef::new("status").string_len(8).not_null())
        .col(ColumnDef::new("paid_at").timestamp_with_time_zone().null())
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(bills)),
        unique(
            "ux_jkn_ppu_bills_period",
            "jkn_ppu_bills",
            &["employer_id", "period"],
        ),
        unique("ux_jkn_ppu_bills_va", "jkn_ppu_bills", &["va_number"]),
        index(
            "ix_jkn_ppu_bills_area",
            "jkn_ppu_bills",
            &["village_code", "period"],
        ),
    ]
}

fn tk_registration_ends() -> Vec<Ddl> {
    let alter = |table: &'static str, col: ColumnDef| {
        Ddl::Alter(Box::new(
            Table::alter().table(table).add_column(col).to_owned(),
        ))
    };
    vec![
        // Why and by whom a registration was ended (`until` is its last day): the worker
        // left the job, retired or died, or a non-wage worker stopped.
        alter(
            "tk_workers",
            ColumnDef::new("end_reason")
                .string_len(16)
                .null()
                .to_owned(),
        ),
        alter(
            "tk_workers",
            ColumnDef::new("ended_by").text().null().to_owned(),
        ),
        alter(
            "tk_workers",
            ColumnDef::new("ended_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ),
        // The key of the agent's form (or the API's Idempotency-Key): a payment submitted
        // twice is taken once. Older payments have none.
        alter(
            "tk_bpu_payments",
            ColumnDef::new("idempotency_key")
                .string_len(80)
                .null()
                .to_owned(),
        ),
        unique(
            "ux_tk_bpu_payments_key",
            "tk_bpu_payments",
            &["idempotency_key"],
        ),
        index(
            "ix_tk_bpu_payments_area",
            "tk_bpu_payments",
            &["village_code", "period"],
        ),
    ]
}

fn bpu_cash() -> Vec<Ddl> {
    // Who took a BPU contribution in cash (the user), and the deposit that took it to the
    // bank: the agent's cash holds BPU contributions like JKN ones.
    let alter = |col: &'static str| {
        Ddl::Alter(Box::new(
            Table::alter()
                .table("tk_bpu_payments")
                .add_column(ColumnDef::new(col).string_len(36).null())
                .to_owned(),
        ))
    };
    vec![
        alter("collected_by"),
        alter("deposit_id"),
        index(
            "ix_tk_bpu_payments_collector",
            "tk_bpu_payments",
            &["collected_by", "deposit_id"],
        ),
    ]
}

fn payment_indexes() -> Vec<Ddl> {
    vec![
        // Only cash has a collector: callbacks add nothing to this index now.
        drop_index("ix_payments_collector", "payments"),
        Ddl::Sql(
            "CREATE INDEX ix_payments_collector ON payments (collected_by, deposit_id) \
             WHERE collected_by IS NOT NULL",
        ),
        // A family's bills by its account number, whatever their status: settling a bill
        // no longer moves its entry in this index.
        drop_index("ix_jkn_bills_va", "jkn_bills"),
        index("ix_jkn_bills_va", "jkn_bills", &["va_number"]),
    ]
}

fn ledger_lines() -> Vec<Ddl> {
    vec![
        // On SQLite a table keyed by two columns kept its rows in a table of its own beside
        // the key's index: every posting and allocation was written twice. Stored in the
        // order of their key (WITHOUT ROWID), once. PostgreSQL keeps them as they are.
        Ddl::Sqlite(
            "CREATE TABLE postings_by_key (\"entry_id\" varchar(36) NOT NULL, \"line\" integer \
             NOT NULL, \"account\" varchar(32) NOT NULL, \"village_code\" varchar(13) NOT NULL, \
             \"amount\" integer NOT NULL, PRIMARY KEY (\"entry_id\", \"line\")) WITHOUT ROWID",
        ),
        Ddl::Sqlite(
            "INSERT INTO postings_by_key (entry_id, line, account, village_code, amount) \
             SELECT entry_id, line, account, village_code, amount FROM postings",
        ),
        Ddl::Sqlite("DROP TABLE postings"),
        Ddl::Sqlite("ALTER TABLE postings_by_key RENAME TO postings"),
        Ddl::Sqlite("CREATE INDEX ix_postings_account ON postings (account, village_code)"),
        Ddl::Sqlite(
            "CREATE TABLE allocations_by_key (\"payment_id\" varchar(36) NOT NULL, \"bill_id\" \
             varchar(36) NOT NULL, \"amount\" integer NOT NULL DEFAULT 0, \"at\" \
             timestamp_with_timezone_text NOT NULL, PRIMARY KEY (\"payment_id\", \"bill_id\")) \
             WITHOUT ROWID",
        ),
        Ddl::Sqlite(
            "INSERT INTO allocations_by_key (payment_id, bill_id, amount, at) \
             SELECT payment_id, bill_id, amount, at FROM payment_allocations",
        ),
        Ddl::Sqlite("DROP TABLE payment_allocations"),
        Ddl::Sqlite("ALTER TABLE allocations_by_key RENAME TO payment_allocations"),
        Ddl::Sqlite("CREATE INDEX ix_allocations_bill ON payment_allocations (bill_id)"),
        // Reminders, suspension and arrears look for open bills by due date: the paid ones
        // leave the index instead of moving within it when a payment settles them.
        drop_index("ix_jkn_bills_due", "jkn_bills"),
        Ddl::Sql("CREATE INDEX ix_jkn_bills_due ON jkn_bills (due_on) WHERE status = 'open'"),
        // Only employers' payments have an employer's bill: a family's adds nothing here.
        drop_index("ix_payments_employer_bill", "payments"),
        Ddl::Sql(
            "CREATE INDEX ix_payments_employer_bill ON payments (employer_bill_id) \
             WHERE employer_bill_id IS NOT NULL",
        ),
    ]
}

fn bills_paid_in_place() -> Vec<Ddl> {
    vec![
        // A duplicate payment is looked up by its channel and key. PostgreSQL caches a
        // connection's plan for that lookup while the payments are few, when the reference
        // index, which also begins with the channel, costs the same as the key's: the plan
        // then read every payment of the channel for each duplicate (20 ms each at 20,000
        // payments). Led by the reference, this index serves only lookups by reference.
        drop_index("ix_payments_reference", "payments"),
        index(
            "ix_payments_reference",
            "payments",
            &["reference", "channel"],
        ),
        // A payment that leaves a bill open changes no indexed column of it: PostgreSQL
        // rewrites it in place (a HOT update, no new index entries) when its page has room.
        // Bills are written once a month and paid in parts: a fifth of each page is kept.
        Ddl::Postgres("ALTER TABLE jkn_bills SET (fillfactor = 80)"),
    ]
}

fn phone_tails() -> Vec<Ddl> {
    // An SMS names its sender by number alone: the people registered with it were found by
    // reading every person (0.17 s an SMS at 300,000 people). The number's last nine digits,
    // with its separators taken out, find them through this index instead; the query spells
    // the expression the same way ([`crate::registry::PHONE_TAIL_SQLITE`] and `_PG`).
    vec![
        Ddl::Sqlite(
            "CREATE INDEX ix_persons_phone_tail ON persons (substr(REPLACE(REPLACE(REPLACE(\
             REPLACE(phone, ' ', ''), '-', ''), '+', ''), '.', ''), -9)) WHERE phone IS NOT NULL",
        ),
        Ddl::Postgres(
            "CREATE INDEX ix_persons_phone_tail ON persons (right(REPLACE(REPLACE(REPLACE(\
             REPLACE(phone, ' ', ''), '-', ''), '+', ''), '.', ''), 9)) WHERE phone IS NOT NULL",
        ),
    ]
}

fn match_lists() -> Vec<Ddl> {
    // Each line repeated its run's and programme's ids (72 characters) in the row and in
    // both of its indexes, and a new run's lines went into the middle of the key's index
    // (programme ids are older than runs'). A list (a programme in a run) now has a number,
    // given in order, and its lines carry only that: a line's key is the list's number and
    // the person, and a new list's lines go at the end of both indexes' ranges. PBI-JK's
    // 396,000 lines on PostgreSQL: 3.0 s -> 1.5 s, and a third of the space.
    let lists = Table::create()
        .table("match_lists")
        .if_not_exists()
        .col(serial("id"))
        .col(ref_id("run_id"))
        .col(ref_id("programme_id"))
        .col(ColumnDef::new("rule_version").integer().not_null())
        .foreign_key(
            ForeignKey::create()
                .from("match_lists", "run_id")
                .to("match_runs", "id"),
        )
        .to_owned();
    // On SQLite stored in the order of the key: the key's index is the table.
    let lines = Table::create()
        .table("match_lines")
        .if_not_exists()
        .col(ColumnDef::new("list_id").big_integer().not_null())
        .col(ref_id("person_id"))
        .col(ColumnDef::new("household_id").string_len(36).null())
        .col(area_col("village_code"))
        // 1-based rank within the quota area; null for people added by the forum
        .col(ColumnDef::new("rank").big_integer().null())
        // selected, waiting (past the quota), added or removed (village forum)
        .col(ColumnDef::new("status").string_len(10).not_null())
        .primary_key(Index::create().col("list_id").col("person_id"))
        .to_owned();
    vec![
        Ddl::Table(Box::new(lists)),
        unique(
            "ux_match_lists_programme",
            "match_lists",
            &["run_id", "programme_id"],
        ),
        Ddl::Clustered(Box::new(lines)),
        index(
            "ix_match_lines_list",
            "match_lines",
            &["list_id", "village_code", "rank"],
        ),
        Ddl::Sql(
            "INSERT INTO match_lists (run_id, programme_id, rule_version) \
             SELECT run_id, programme_id, MAX(rule_version) FROM match_results \
             GROUP BY run_id, programme_id ORDER BY run_id, programme_id",
        ),
        Ddl::Sql(
            "INSERT INTO match_lines (list_id, person_id, household_id, village_code, rank, \
             status) SELECT l.id, r.person_id, r.household_id, r.village_code, r.rank, \
             r.status FROM match_results r JOIN match_lists l ON l.run_id = r.run_id \
             AND l.programme_id = r.programme_id",
        ),
        Ddl::Sql("DROP TABLE match_results"),
    ]
}

fn population_ready() -> Vec<Ddl> {
    // Set in the transaction that finishes a run's population snapshot. The snapshot may be
    // written by several transactions at once (PostgreSQL): until then, rows there are
    // part of one, which a resumed run deletes and writes again.
    vec![Ddl::Alter(Box::new(
        Table::alter()
            .table("match_runs")
            .add_column(
                ColumnDef::new("population_ready")
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .to_owned(),
    ))]
}

fn mandate_codes() -> Vec<Ddl> {
    // A mandate is set up pending: a one-time code goes by SMS to the wallet's number, and
    // the mandate becomes active only when the code comes back, which proves the family holds
    // that wallet. Only the code's hash is kept, with its expiry and the guesses spent on it.
    // Mandates already active stay active (they have no confirmation time).
    let add = |col: ColumnDef| {
        Ddl::Alter(Box::new(
            Table::alter()
                .table("debit_mandates")
                .add_column(col)
                .to_owned(),
        ))
    };
    vec![
        add(ColumnDef::new("code_hash").string_len(64).null().to_owned()),
        add(ColumnDef::new("code_expires_at")
            .timestamp_with_time_zone()
            .null()
            .to_owned()),
        add(ColumnDef::new("code_attempts")
            .integer()
            .not_null()
            .default(0)
            .to_owned()),
        add(ColumnDef::new("confirmed_at")
            .timestamp_with_time_zone()
            .null()
            .to_owned()),
    ]
}

fn postings_by_entry() -> Vec<Ddl> {
    // Each posting took the place of its account and village in this index: four places
    // spread over the index for every payment. Balances in an area find their postings
    // through the area's journal entries instead (a posting's village is its entry's).
    vec![drop_index("ix_postings_account", "postings")]
}

fn allocations_by_payment() -> Vec<Ddl> {
    // Allocations are read by their payment (the primary key leads with it), never by their
    // bill: this index only cost each payment an entry at a random place.
    vec![drop_index("ix_allocations_bill", "payment_allocations")]
}

fn source_rows_unindexed_nik() -> Vec<Ddl> {
    // No query looks a source row up by its NIK: synchronisation links rows to people through
    // the people's NIKs, and a person's rows are found by the person. Every row stored put
    // its NIK at a random place in this index (2.9 million at a million people).
    vec![drop_index("ix_source_records_nik", "source_records")]
}

fn people_unindexed_name() -> Vec<Ddl> {
    // A name is searched for anywhere in it (`LIKE '%key%'`), which no B-tree index serves:
    // both backends read the area's people for it. Every person written put the name at a
    // random place in this index all the same.
    vec![drop_index("ix_persons_name", "persons")]
}

fn debit_leases() -> Vec<Ddl> {
    // Until when the sender that claimed a pending debit holds it: two senders never send
    // the same debit at once, and one that stopped mid-send leaves it to the next once the
    // lease runs out.
    vec![Ddl::Alter(Box::new(
        Table::alter()
            .table("debit_requests")
            .add_column(
                ColumnDef::new("lease_until")
                    .timestamp_with_time_zone()
                    .null(),
            )
            .to_owned(),
    ))]
}

fn bill_segment() -> Vec<Ddl> {
    // PBPU or BP, as the family was when billed: the finance report splits by it. Bills
    // issued before were all counted as PBPU.
    vec![Ddl::Alter(Box::new(
        Table::alter()
            .table("jkn_bills")
            .add_column(
                ColumnDef::new("segment")
                    .string_len(8)
                    .not_null()
                    .default("PBPU"),
            )
            .to_owned(),
    ))]
}

fn auto_debit() -> Vec<Ddl> {
    // A family's authorisations to debit its JKN bills from an e-wallet, kept after they are
    // cancelled (the history). `active_household` is the household while the mandate is
    // active and NULL after: its unique index allows one active mandate per family on both
    // backends without a partial index.
    let mandates = Table::create()
        .table("debit_mandates")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("household_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("wallet").string_len(16).not_null())
        .col(ColumnDef::new("phone").string_len(16).not_null())
        .col(ColumnDef::new("status").string_len(12).not_null())
        .col(ColumnDef::new("active_household").string_len(36).null())
        .col(text_nn("created_by"))
        .col(instant("created_at"))
        .col(text("cancelled_by"))
        .col(
            ColumnDef::new("cancelled_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .to_owned();
    // Each debit of a bill, recorded before it is sent: its id is the idempotency key the
    // gateway is told (again on a resend) and calls back with. One row per bill and attempt,
    // so a debit run that runs twice records nothing twice.
    let requests = Table::create()
        .table("debit_requests")
        .if_not_exists()
        .col(id("id"))
        .col(ref_id("mandate_id"))
        .col(ref_id("bill_id"))
        .col(ref_id("household_id"))
        .col(area_col("village_code"))
        .col(ColumnDef::new("va_number").string_len(24).not_null())
        .col(ColumnDef::new("wallet").string_len(16).not_null())
        .col(ColumnDef::new("phone").string_len(16).not_null())
        .col(money("amount"))
        .col(ColumnDef::new("attempt").integer().not_null())
        .col(ColumnDef::new("day").date().not_null())
        .col(ColumnDef::new("status").string_len(12).not_null())
        .col(text("reason"))
        .col(
            ColumnDef::new("send_errors")
                .integer()
                .not_null()
                .default(0),
        )
        .col(instant("created_at"))
        .col(
            ColumnDef::new("answered_at")
                .timestamp_with_time_zone()
                .null(),
        )
        .col(ColumnDef::new("paid_at").timestamp_with_time_zone().null())
        .col(ColumnDef::new("payment_id").string_len(36).null())
        .to_owned();
    vec![
        Ddl::Table(Box::new(mandates)),
        unique(
            "ux_debit_mandates_active",
            "debit_mandates",
            &["active_household"],
        ),
        index(
            "ix_debit_mandates_household",
            "debit_mandates",
            &["household_id", "created_at"],
        ),
        Ddl::Table(Box::new(requests)),
        unique(
            "ux_debit_requests_attempt",
            "debit_requests",
            &["bill_id", "attempt"],
        ),
        index(
            "ix_debit_requests_status",
            "debit_requests",
            &["status", "created_at"],
        ),
        index(
            "ix_debit_requests_household",
            "debit_requests",
            &["household_id", "created_at"],
        ),
        index(
            "ix_debit_requests_area",
            "debit_requests",
            &["village_code", "created_at"],
        ),
    ]
}

/// The secondary indexes an initial bulk load drops and builds once at the end: building an
/// index from sorted data is many times faster than maintaining it row by row when keys
/// arrive in random order (NIK, KK number, area). The indexes on a household id stay in
/// place: household ids are time-ordered, so a load appends them at the end of the tree.
const DEFERRED_INDEXES: [(&str, &str, &[&str], bool); 4] = [
    ("ux_households_kk", "households", &["kk_number"], true),
    (
        "ix_households_area",
        "households",
        &["village_code", "id"],
        false,
    ),
    ("ux_persons_nik", "persons", &["nik"], true),
    ("ix_persons_area", "persons", &["village_code", "id"], false),
];

fn bulk_indexes() -> Vec<Ddl> {
    DEFERRED_INDEXES
        .iter()
        .map(|&(name, table, cols, is_unique)| match is_unique {
            true => unique(name, table, cols),
            false => index(name, table, cols),
        })
        .collect()
}

/// What `migrate` did.
#[derive(Debug, Default, Clone, Copy)]
pub struct MigrateReport {
    pub applied: usize,
    pub areas_loaded: usize,
}

impl Store {
    /// Brings the schema up to date, each migration in its own transaction, and loads the
    /// area reference data when the areas table is empty. Safe to run at every start.
    pub async fn migrate(&self) -> Result<MigrateReport> {
        self.migrate_to(i64::MAX).await
    }

    /// [`Store::migrate`], applying no migration after version `last` (a database as an
    /// older release left it, for the migrations' tests).
    pub async fn migrate_to(&self, last: i64) -> Result<MigrateReport> {
        let backend = self.backend();
        let bookkeeping = Table::create()
            .table("schema_migrations")
            .if_not_exists()
            .col(
                ColumnDef::new("version")
                    .big_integer()
                    .not_null()
                    .primary_key(),
            )
            .col(text_nn("name"))
            .col(instant("applied_at"))
            .to_owned();
        self.conn().execute(&bookkeeping).await?;
        let mut report = MigrateReport::default();
        for (version, name, build) in MIGRATIONS.iter().filter(|(v, ..)| *v <= last) {
            let done = query_one(
                self.conn(),
                "SELECT version FROM schema_migrations WHERE version = ?",
                vec![(*version).into()],
            )
            .await?
            .is_some();
            if done {
                continue;
            }
            let tx: DatabaseTransaction = self.conn().begin().await?;
            for ddl in build() {
                match ddl {
                    Ddl::Table(t) => tx.execute(&*t).await?,
                    Ddl::Index(i) => tx.execute(&*i).await?,
                    Ddl::Clustered(mut t) => {
                        if backend == sea_orm::DbBackend::Sqlite {
                            t.extra("WITHOUT ROWID");
                        }
                        tx.execute(&*t).await?
                    }
                    Ddl::DropIndex(i) => tx.execute(&*i).await?,
                    Ddl::Alter(a) => tx.execute(&*a).await?,
                    Ddl::Postgres(sql) => {
                        if backend == sea_orm::DbBackend::Postgres {
                            tx.execute_unprepared(sql).await?;
                        }
                        continue;
                    }
                    Ddl::Sqlite(sql) => {
                        if backend == sea_orm::DbBackend::Sqlite {
                            tx.execute_unprepared(sql).await?;
                        }
                        continue;
                    }
                    Ddl::Sql(sql) => {
                        tx.execute_unprepared(sql).await?;
                        continue;
                    }
                };
            }
            execute(
                &tx,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                vec![(*version).into(), (*name).into(), chrono::Utc::now().into()],
            )
            .await?;
            tx.commit().await?;
            tracing::info!(version, name, ?backend, "migration applied");
            report.applied += 1;
        }
        report.areas_loaded = self.load_areas_if_empty().await?;
        // A bulk load interrupted by a crash may have left its indexes unbuilt.
        self.ensure_bulk_indexes().await?;
        Ok(report)
    }

    /// Before an initial bulk load: when the registry is empty, drops the secondary indexes
    /// of the loaded tables and returns true; [`Store::ensure_bulk_indexes`] rebuilds them.
    pub async fn defer_bulk_indexes(&self) -> Result<bool> {
        if query_one(self.conn(), "SELECT id FROM persons LIMIT 1", vec![])
            .await?
            .is_some()
        {
            return Ok(false);
        }
        for (name, ..) in DEFERRED_INDEXES {
            self.conn()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        Ok(true)
    }

    /// Builds any missing secondary index of the bulk-loaded tables. A duplicate NIK or KK
    /// number loaded while the unique indexes were deferred is reported as a conflict.
    pub async fn ensure_bulk_indexes(&self) -> Result<()> {
        let indexes = bulk_indexes().into_iter().filter_map(|ddl| match ddl {
            Ddl::Index(i) => Some(i),
            _ => None,
        });
        if self.sqlite_file.is_some() {
            // On the bulk connection: its large page cache keeps the sort in memory.
            let sql: Vec<String> = indexes
                .map(|i| i.to_string(sea_orm::sea_query::SqliteQueryBuilder))
                .collect();
            return self
                .with_bulk_connection(move |conn| {
                    sql.iter().try_for_each(|s| conn.execute_batch(s))
                })
                .await;
        }
        for i in indexes {
            self.conn().execute(&*i).await?;
        }
        Ok(())
    }
}

fn import_sync_progress() -> Vec<Ddl> {
    vec![
        // Counted with each batch of the synchronisation, in its transaction: its progress,
        // and where a run of the same import that another run overtook stops.
        Ddl::Alter(Box::new(
            Table::alter()
                .table("imports")
                .add_column(
                    ColumnDef::new("rows_synchronised")
                        .big_integer()
                        .not_null()
                        .default(0)
                        .to_owned(),
                )
                .to_owned(),
        )),
        // The imports synchronised before: their rows linked so far.
        Ddl::Sql(
            "UPDATE imports SET rows_synchronised = (SELECT COUNT(*) FROM source_records r \
             WHERE r.import_id = imports.id AND r.link_method IS NOT NULL)",
        ),
    ]
}
