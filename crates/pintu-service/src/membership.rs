//! JKN membership (PAY-1): a person's card, segment, class, primary care provider (FKTP),
//! start date and status. A PBPU family registers every member of the household in one
//! class. The FKTP changes after three months with it (or sooner after a move or an official
//! assignment), from the first of the next month — a rule kept here, whoever asks: an
//! officer, or the resident in the portal. A facility checks a card's coverage and learns
//! only whether it is active, its class and its FKTP.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::jkn::{FktpException, MemberStatus, Segment, fktp_change_effective};
use pintu_domain::messages::Template;
use pintu_domain::payments::{Account, Entry};
use pintu_domain::{Actor, Invalid};
use pintu_store::jkn::{self as q, BillRow, FacilityRow, MemberRow, NewFktpChange};
use pintu_store::new_id;
use pintu_store::payments as pq;
use pintu_store::registry::{self as reg, PersonRow};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::registry::registry_scope;
use crate::{Ctx, Error, Pintu, Result, today};

/// The example list of primary care providers shipped with Pintu.
pub const SHIPPED_FACILITIES: &str = include_str!("../../../data/facilities/fktp.csv");

/// Registering a membership.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MembershipInput {
    pub person_id: String,
    /// `PBI-APBN`, `PBI-APBD`, `PPU`, `PBPU` or `BP`.
    pub segment: String,
    /// 1, 2 or 3 (PBI is always 3).
    #[serde(default)]
    pub class: Option<i64>,
    /// The FKTP's code.
    pub fktp: String,
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub start_date: Option<String>,
}

/// Asking for another FKTP.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FktpInput {
    pub fktp: String,
    /// `moved_house` or `official_assignment`, to change before three months.
    #[serde(default)]
    pub exception: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A membership as shown: with its facilities' names and the household's other cards.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub member: MemberRow,
    pub fktp: Option<FacilityRow>,
    pub next_fktp: Option<FacilityRow>,
    /// When the member may change FKTP without an exception.
    pub fktp_change_from: NaiveDate,
    /// The household's members with a card (the member included).
    pub family: Vec<MemberRow>,
    /// The family's bills, newest first (PBPU and BP families).
    pub bills: Vec<BillRow>,
    /// Open bills past their due date, in rupiah.
    pub arrears: i64,
}

/// What a billing run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BillingRun {
    pub period: String,
    /// Families with paying members (PBPU, BP).
    pub families: u64,
    /// Bills issued by this run.
    pub billed: u64,
    /// Families billed for the period already (by an earlier run).
    pub already_billed: u64,
    /// The amount of the bills this run issued, in rupiah.
    pub amount: i64,
    /// Memberships suspended because a bill of an earlier month is still open.
    pub suspended: u64,
    /// What the state owes for its PBI members this month, booked by this run.
    pub pbi_amount: i64,
    /// Bills older than the 24 months of arrears that count, written off by this run.
    pub written_off: u64,
}

/// How many days before a bill's due date its family is reminded.
pub const REMIND_DAYS_BEFORE: i64 = 3;

/// The first day of a `YYYY-MM` period.
fn period_start(period: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", period.trim()), "%Y-%m-%d").ok()
}

/// What a facility learns of a card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub active: bool,
    pub class: i32,
    pub fktp_code: String,
    pub fktp_name: Option<String>,
}

/// The penalty calculator's question: an in-patient case soon after a reactivation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DendaQuestion {
    /// The case's estimated tariff (INA-CBG), in rupiah.
    pub case_tariff: Option<String>,
    /// Months in arrears paid at reactivation.
    pub months_in_arrears: Option<String>,
    /// `YYYY-MM-DD`.
    pub reactivated_on: Option<String>,
    /// `YYYY-MM-DD`.
    pub admitted_on: Option<String>,
}

/// The penalty (denda) for an in-patient case within the days after a reactivation, by the
/// rule in force on the admission date (`data/tariffs/jkn.toml`). Keeps nothing.
pub fn denda_of(
    q: &DendaQuestion,
) -> Result<(pintu_domain::jkn::Denda, pintu_domain::jkn::DendaRule)> {
    let mut invalid = Invalid::default();
    let mut number = |v: &Option<String>, field: &str, max: i64| -> i64 {
        let raw: String = v
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| !matches!(c, '.' | ',' | ' '))
            .collect();
        match raw.parse::<i64>() {
            Ok(n) if (0..=max).contains(&n) => n,
            Ok(_) => {
                invalid.push(field, "value_out_of_range");
                0
            }
            Err(_) => {
                invalid.push(
                    field,
                    if raw.is_empty() {
                        "required"
                    } else {
                        "value_invalid"
                    },
                );
                0
            }
        }
    };
    let tariff = number(&q.case_tariff, "case_tariff", 10_000_000_000);
    let months = number(&q.months_in_arrears, "months_in_arrears", 600);
    let mut date = |v: &Option<String>, field: &str| match NaiveDate::parse_from_str(
        v.as_deref().unwrap_or("").trim(),
        "%Y-%m-%d",
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            invalid.push(field, "date_invalid");
            None
        }
    };
    let reactivated = date(&q.reactivated_on, "reactivated_on");
    let admitted = date(&q.admitted_on, "admitted_on");
    invalid.or_ok(()).map_err(Error::Invalid)?;
    let (Some(reactivated), Some(admitted)) = (reactivated, admitted) else {
        return Err(Error::Internal(anyhow::anyhow!("validated dates")));
    };
    let rule = crate::matching::tariffs()?
        .denda(admitted)
        .cloned()
        .ok_or_else(|| Error::invalid("admitted_on", "no_rule_in_force"))?;
    Ok((
        pintu_domain::jkn::denda(&rule, tariff, months, reactivated, admitted),
        rule,
    ))
}

/// Reads a facility list in CSV (`code,name,kind,regency_code,address`).
pub fn parse_facilities(text: &str) -> std::result::Result<Vec<FacilityRow>, String> {
    let mut out = Vec::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("line {}: {e}", i + 2))?;
        let field = |n: usize| row.get(n).map(str::trim).unwrap_or("").to_string();
        let (code, name, kind, regency) = (field(0), field(1), field(2), field(3));
        if code.is_empty()
            || code.len() > 16
            || name.is_empty()
            || !matches!(kind.as_str(), "puskesmas" | "clinic" | "doctor")
            || pintu_domain::AreaCode::parse(&regency).is_err()
        {
            return Err(format!(
                "line {}: needs a code (up to 16 characters), a name, a kind (puskesmas, clinic or doctor) and a regency code",
                i + 2
            ));
        }
        let address = field(4);
        out.push(FacilityRow {
            code,
            name,
            kind,
            regency_code: regency,
            address: (!address.is_empty()).then_some(address),
            active: true,
        });
    }
    Ok(out)
}

/// Loads the shipped example facilities into an empty list. Returns how many.
pub async fn load_facilities(store: &pintu_store::Store) -> Result<usize> {
    if q::count_facilities(store.conn()).await? > 0 {
        return Ok(0);
    }
    let rows = parse_facilities(SHIPPED_FACILITIES)
        .map_err(|e| Error::Internal(anyhow::anyhow!("shipped facilities: {e}")))?;
    let tx = store.begin().await?;
    for f in &rows {
        q::upsert_facility(&tx, f).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// A new card number: 13 digits, starting `000` as KIS cards do.
fn card_number() -> String {
    format!("000{:010}", rand::rng().random_range(0..10_000_000_000u64))
}

impl Pintu {
    /// The person `id` as the actor may see them: in an officer's area, or of the
    /// resident's own household.
    async fn member_person(&self, ctx: &Ctx, id: &str) -> Result<PersonRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let c = self.store.conn();
        if ctx.actor.is_resident() {
            return reg::person(c, &Scope::National, &id)
                .await?
                .filter(|p| ctx.actor.is_resident_of(&p.id, p.household_id.as_deref()))
                .ok_or(Error::NotFound);
        }
        reg::person(c, &registry_scope(ctx)?, &id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Registers a person's JKN membership (an officer of their area). A PBPU family
    /// registers every living member of the household without a card, in the same class
    /// and with the same FKTP. Returns the person's membership.
    pub async fn register_membership(
        &self,
        ctx: &Ctx,
        input: &MembershipInput,
        now: DateTime<Utc>,
    ) -> Result<Membership> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let person = self.member_person(ctx, &input.person_id).await?;
        let c = self.store.conn();
        let mut invalid = Invalid::default();
        if person.life_status != "alive" {
            invalid.push("person_id", "person_not_alive");
        }
        let segment = Segment::parse(&input.segment);
        if segment.is_none() {
            invalid.push("segment", "segment_unknown");
        }
        let class = match (segment.and_then(Segment::fixed_class), input.class) {
            (Some(fixed), _) => fixed,
            (None, Some(k @ 1..=3)) => k,
            (None, Some(_)) => {
                invalid.push("class", "class_invalid");
                3
            }
            (None, None) => {
                invalid.push("class", "required");
                3
            }
        };
        let fktp = q::facility(c, input.fktp.trim()).await?;
        match &fktp {
            None => invalid.push("fktp", "fktp_unknown"),
            Some(f) if !f.active => invalid.push("fktp", "fktp_unknown"),
            Some(_) => {}
        }
        let start = match input.start_date.as_deref().map(str::trim) {
            None | Some("") => today(),
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => d,
                Err(_) => {
                    invalid.push("start_date", "date_invalid");
                    today()
                }
            },
        };
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let (Some(segment), Some(fktp)) = (segment, fktp) else {
            return Err(Error::Internal(anyhow::anyhow!("validated membership")));
        };
        if q::member(c, &Scope::National, &person.id).await?.is_some() {
            return Err(Error::Conflict {
                code: "jkn_member_exists",
                field: Some("person_id".into()),
            });
        }
        // A PBPU family joins together: everyone on the card in one class.
        let mut joining = vec![person.clone()];
        if segment == Segment::Pbpu
            && let Some(h) = &person.household_id
        {
            for m in reg::household_members(c, &Scope::National, h).await? {
                if m.id != person.id
                    && m.life_status == "alive"
                    && q::member(c, &Scope::National, &m.id).await?.is_none()
                {
                    joining.push(m);
                }
            }
        }
        let tx = self.store.begin().await?;
        for p in &joining {
            let mut row = MemberRow {
                person_id: p.id.clone(),
                person_name: p.full_name.clone(),
                village_code: p.village_code.clone(),
                household_id: p.household_id.clone(),
                card_number: card_number(),
                segment: segment.code().into(),
                class: class as i32,
                fktp_code: fktp.code.clone(),
                fktp_since: start,
                next_fktp_code: None,
                next_fktp_on: None,
                start_date: start,
                status: MemberStatus::Active.code().into(),
                created_at: now,
                updated_at: now,
            };
            // A card number taken already (one in ten billion) is drawn again.
            while q::member_by_card(&tx, &row.card_number).await?.is_some() {
                row.card_number = card_number();
            }
            q::insert_member(&tx, &row).await?;
        }
        tx.commit().await?;
        for p in &joining {
            self.audit
                .record(
                    ctx,
                    "jkn.register",
                    "person",
                    Some(&p.id),
                    Some(&p.village_code),
                    Some(format!("segment={} class={class}", segment.code())),
                )
                .await?;
        }
        self.membership(ctx, &person.id).await
    }

    /// A person's membership, with a move of FKTP that is due made current first.
    pub async fn membership(&self, ctx: &Ctx, person_id: &str) -> Result<Membership> {
        let person = self.member_person(ctx, person_id).await?;
        let c = self.store.conn();
        let mut member = q::member(c, &Scope::National, &person.id)
            .await?
            .ok_or(Error::NotFound)?;
        let on = today();
        if member.next_fktp_on.is_some_and(|d| d <= on) {
            q::settle_fktp(c, &member, Utc::now()).await?;
            member = q::member(c, &Scope::National, &person.id)
                .await?
                .ok_or(Error::NotFound)?;
        }
        let fktp = q::facility(c, &member.fktp_code).await?;
        let next_fktp = match &member.next_fktp_code {
            Some(code) => q::facility(c, code).await?,
            None => None,
        };
        let (family, bills) = match &member.household_id {
            Some(h) => (q::household_members(c, h).await?, q::bills_of(c, h).await?),
            None => (vec![member.clone()], Vec::new()),
        };
        let arrears = bills
            .iter()
            .filter(|b| b.status == "open" && b.due_on < on)
            .map(|b| b.outstanding())
            .sum();
        self.audit
            .record(
                ctx,
                "jkn.read",
                "person",
                Some(&member.person_id),
                Some(&member.village_code),
                None,
            )
            .await?;
        Ok(Membership {
            fktp_change_from: member
                .fktp_since
                .checked_add_months(chrono::Months::new(pintu_domain::jkn::FKTP_MONTHS))
                .unwrap_or(member.fktp_since),
            member,
            fktp,
            next_fktp,
            family,
            bills,
            arrears,
        })
    }

    /// Queues a message to a family in `tx`: at the head's phone, or the first member's
    /// who has one.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn notify_family(
        &self,
        tx: &impl pintu_store::sea_orm::ConnectionTrait,
        household_id: &str,
        template: Template,
        va: &str,
        reason: Option<&str>,
        subject_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let members = reg::household_members(tx, &Scope::National, household_id).await?;
        let to = members
            .iter()
            .filter(|p| p.phone.is_some() && p.life_status == "alive")
            .min_by_key(|p| {
                p.relationship
                    .as_deref()
                    .and_then(pintu_domain::Relationship::parse)
                    .is_none_or(|r| r != pintu_domain::Relationship::Head)
            });
        let Some(to) = to else { return Ok(()) };
        crate::messages::queue(
            tx,
            &crate::messages::Notice {
                person_id: &to.id,
                village_code: &to.village_code,
                phone: to.phone.as_deref(),
                template,
                programme: va,
                reason,
                subject_type: "jkn_bill",
                subject_id,
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// The monthly billing run of `period` (`YYYY-MM`) in the actor's area (district back
    /// offices and above, or the system): one bill per PBPU or BP family — the members'
    /// contributions at the class rates in force on the 1st, less the state's subsidy —
    /// on the family's virtual account, due on the 10th. A family billed for the period
    /// already is left as it is, so running it again (or after a crash) bills nobody twice.
    /// Then every family with a bill of a month before `on`'s still open is suspended.
    pub async fn run_billing(
        &self,
        ctx: &Ctx,
        period: &str,
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<BillingRun> {
        if !ctx.actor.may_run_matching() {
            return Err(Error::Forbidden);
        }
        let start =
            period_start(period).ok_or_else(|| Error::invalid("period", "period_invalid"))?;
        let period = start.format("%Y-%m").to_string();
        let due_on = start + chrono::Duration::days(9);
        let tariffs = crate::matching::tariffs()?;
        let scope = ctx.actor.scope();
        let c = self.store.conn();
        let members = q::paying_families(c, &scope).await?;
        let mut run = BillingRun {
            period: period.clone(),
            ..BillingRun::default()
        };
        let families: Vec<&[q::PayingMember]> = members
            .chunk_by(|a, b| a.household_id == b.household_id)
            .collect();
        run.families = families.len() as u64;
        // A thousand families a transaction, each statement for all of them: the bills that
        // are new, their entries, credit, and the families' messages commit together.
        for chunk in families.chunks(1000) {
            let tx = self.store.begin_bulk().await?;
            // A payment of one of these families books before or after, not in between:
            // the credit it leaves is seen here.
            let chunk_households: Vec<String> = chunk
                .iter()
                .map(|family| family[0].household_id.clone())
                .collect();
            q::lock_families(&tx, &chunk_households).await?;
            // Each bill is dated when it is written (a run takes a while): once the
            // families are this transaction's, so that a payment booked while it waited,
            // and the credit it left, come before the bill that uses it.
            let now = now.max(Utc::now());
            let mut bills = Vec::with_capacity(chunk.len());
            for family in chunk {
                let (mut amount, mut subsidy) = (0, 0);
                for m in *family {
                    let rate = tariffs.pbpu(i64::from(m.class), start).ok_or_else(|| {
                        Error::Internal(anyhow::anyhow!("no class {} rate on {start}", m.class))
                    })?;
                    amount += rate.monthly - rate.subsidy;
                    subsidy += rate.subsidy;
                }
                let account = family
                    .iter()
                    .map(|m| m.card_number.as_str())
                    .min()
                    .unwrap_or_default();
                bills.push(BillRow {
                    id: new_id(),
                    household_id: family[0].household_id.clone(),
                    village_code: family[0].village_code.clone(),
                    period: period.clone(),
                    va_number: format!("88888{account}"),
                    members: family.len() as i32,
                    amount,
                    subsidy,
                    paid: 0,
                    due_on,
                    status: "open".into(),
                    paid_at: None,
                    created_at: now,
                    segment: if family.iter().all(|m| m.segment == "BP") {
                        "BP".into()
                    } else {
                        "PBPU".into()
                    },
                });
            }
            let new: std::collections::HashSet<String> =
                q::insert_bills(&tx, &bills).await?.into_iter().collect();
            let with_credit = pq::with_credit_among(&tx, &chunk_households).await?;
            let new_bills: Vec<&BillRow> = bills.iter().filter(|b| new.contains(&b.id)).collect();
            run.billed += new_bills.len() as u64;
            run.already_billed += (bills.len() - new_bills.len()) as u64;
            let mut entries = Vec::with_capacity(new_bills.len());
            for b in &new_bills {
                run.amount += b.amount;
                let postings = Entry::new()
                    .debit(Account::MemberReceivable, b.amount)
                    .debit(Account::SubsidyReceivable, b.subsidy)
                    .credit(Account::ContributionRevenue, b.amount + b.subsidy)
                    .balanced()
                    .map_err(|e| Error::Internal(anyhow::anyhow!("bill entry: {e:?}")))?;
                entries.push((
                    pq::EntryRow {
                        id: new_id(),
                        kind: "bill".into(),
                        ref_id: b.id.clone(),
                        village_code: b.village_code.clone(),
                        period: period.clone(),
                        at: now,
                        memo: None,
                    },
                    postings,
                ));
            }
            pq::insert_entries(&tx, &entries).await?;
            let mut messages = Vec::with_capacity(new_bills.len());
            let households: Vec<String> =
                new_bills.iter().map(|b| b.household_id.clone()).collect();
            let recipients = pintu_store::outbox::family_recipients(&tx, &households).await?;
            for b in &new_bills {
                // What the family paid over before goes to the new bill first.
                let used = if with_credit.contains(&b.household_id) {
                    self.apply_credit(&tx, b, &period, now).await?
                } else {
                    0
                };
                let Some((person, village, phone, lang)) = recipients.get(&b.household_id) else {
                    continue;
                };
                // The family is told the bill by SMS, with the bill.
                let due = if used > 0 {
                    format!(
                        "Rp{} - Rp{used} saldo = Rp{}, jatuh tempo {due_on}",
                        b.amount,
                        b.amount - used
                    )
                } else {
                    format!("Rp{}, jatuh tempo {due_on}", b.amount)
                };
                messages.extend(crate::messages::message_row(
                    &crate::messages::Notice {
                        person_id: person,
                        village_code: village,
                        phone: Some(phone),
                        template: Template::BillIssued,
                        programme: &b.va_number,
                        reason: Some(&due),
                        subject_type: "jkn_bill",
                        subject_id: &b.id,
                    },
                    lang.as_deref(),
                    now,
                ));
            }
            pintu_store::outbox::insert_many(&tx, &messages).await?;
            tx.commit().await?;
        }
        if run.billed > 0 {
            self.store
                .refresh_statistics(&["jkn_bills", "journal_entries", "outbox_messages"])
                .await?;
        }
        // Families who authorised an e-wallet debit are debited for their new bills.
        self.record_debits_in(&scope, on, now).await?;
        // The state's contributions for PBI members, per village.
        if let Some(rate) = tariffs.pbi(start) {
            let tx = self.store.begin().await?;
            for (village, members) in q::pbi_members_by_village(&tx, &scope).await? {
                let total = members * rate.monthly;
                if self
                    .book(
                        &tx,
                        "pbi_bill",
                        &format!("{period}:{village}"),
                        &village,
                        &period,
                        now,
                        Entry::new()
                            .debit(Account::SubsidyReceivable, total)
                            .credit(Account::ContributionRevenue, total),
                    )
                    .await?
                {
                    run.pbi_amount += total;
                }
            }
            tx.commit().await?;
        }
        // Arrears older than the 24 months that count are no longer claimed.
        let oldest = pintu_domain::payments::oldest_counted_period(start);
        let stale = pq::stale_bills(c, &scope, &oldest).await?;
        for chunk in stale.chunks(500) {
            let tx = self.store.begin().await?;
            for listed in chunk {
                // As the bill stands when written off: a payment since the listing went to it.
                if let Some(owed) = pq::write_off_bill(&tx, &listed.id).await? {
                    let bill = listed;
                    self.book(
                        &tx,
                        "write_off",
                        &bill.id,
                        &bill.village_code,
                        &period,
                        now,
                        Entry::new()
                            .debit(Account::ArrearsWrittenOff, owed)
                            .credit(Account::MemberReceivable, owed),
                    )
                    .await?;
                    run.written_off += 1;
                }
            }
            tx.commit().await?;
        }
        // Unpaid by the due date: suspended from the 1st of the next month.
        let this_month = on.format("%Y-%m").to_string();
        let last_overdue = period_start(&this_month)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(1)))
            .map(|d| d.format("%Y-%m").to_string())
            .unwrap_or_default();
        let to_suspend = q::families_to_suspend(c, &scope, &last_overdue).await?;
        for chunk in to_suspend.chunks(1000) {
            let tx = self.store.begin().await?;
            let households: Vec<String> = chunk.iter().map(|(h, _)| h.clone()).collect();
            q::lock_families(&tx, &households).await?;
            let (members, suspended) =
                q::suspend_families(&tx, &households, &last_overdue, now).await?;
            run.suspended += members;
            let households: Vec<String> = suspended.iter().cloned().collect();
            let recipients = pintu_store::outbox::family_recipients(&tx, &households).await?;
            let messages: Vec<_> = chunk
                .iter()
                .filter(|(household, _)| suspended.contains(household))
                .filter_map(|(household, va)| {
                    let (person, village, phone, lang) = recipients.get(household)?;
                    crate::messages::message_row(
                        &crate::messages::Notice {
                            person_id: person,
                            village_code: village,
                            phone: Some(phone),
                            template: Template::MembershipSuspended,
                            programme: va,
                            reason: None,
                            subject_type: "jkn_bill",
                            subject_id: household,
                        },
                        lang.as_deref(),
                        now,
                    )
                })
                .collect();
            pintu_store::outbox::insert_many(&tx, &messages).await?;
            tx.commit().await?;
        }
        self.audit
            .record(
                ctx,
                "jkn.billing",
                "bill",
                None,
                None,
                Some(format!(
                    "period={} billed={} suspended={}",
                    run.period, run.billed, run.suspended
                )),
            )
            .await?;
        Ok(run)
    }

    /// Reminds families of their open bills through the outbox: once in the days before the
    /// due date ([`REMIND_DAYS_BEFORE`]), and once after it while the bill is still open in
    /// its month (before the suspension on the 1st). Each reminder goes once per bill,
    /// however often this runs. Returns (reminders before, notices after).
    pub async fn run_reminders(
        &self,
        ctx: &Ctx,
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64)> {
        if !ctx.actor.may_run_matching() {
            return Err(Error::Forbidden);
        }
        let scope = ctx.actor.scope();
        let c = self.store.conn();
        let mut sent = (0, 0);
        let soon = on + chrono::Duration::days(REMIND_DAYS_BEFORE);
        let month_start = on.with_day(1).unwrap_or(on);
        for (column, template, from, until) in [
            ("reminded_at", Template::BillDueSoon, on, soon),
            (
                "overdue_notice_at",
                Template::BillOverdue,
                month_start,
                on - chrono::Duration::days(1),
            ),
        ] {
            if from > until {
                continue;
            }
            let listed = q::bills_to_remind(c, &scope, column, from, until).await?;
            // A thousand bills a transaction: marked, and their families' messages queued,
            // together; a bill paid since the listing is left out.
            for chunk in listed.chunks(1000) {
                let tx = self.store.begin().await?;
                let ids: Vec<String> = chunk.iter().map(|b| b.id.clone()).collect();
                let owed = q::mark_reminded_many(&tx, &ids, column, now).await?;
                let households: Vec<String> = chunk
                    .iter()
                    .filter(|b| owed.contains_key(&b.id))
                    .map(|b| b.household_id.clone())
                    .collect();
                let recipients = pintu_store::outbox::family_recipients(&tx, &households).await?;
                let mut messages = Vec::with_capacity(owed.len());
                for bill in chunk {
                    let Some(amount) = owed.get(&bill.id) else {
                        continue;
                    };
                    if column == "reminded_at" {
                        sent.0 += 1;
                    } else {
                        sent.1 += 1;
                    }
                    let Some((person, village, phone, lang)) = recipients.get(&bill.household_id)
                    else {
                        continue;
                    };
                    let text = format!("Rp{amount}, jatuh tempo {}", bill.due_on);
                    messages.extend(crate::messages::message_row(
                        &crate::messages::Notice {
                            person_id: person,
                            village_code: village,
                            phone: Some(phone),
                            template,
                            programme: &bill.va_number,
                            reason: Some(&text),
                            subject_type: "jkn_bill",
                            subject_id: &bill.id,
                        },
                        lang.as_deref(),
                        now,
                    ));
                }
                pintu_store::outbox::insert_many(&tx, &messages).await?;
                tx.commit().await?;
            }
        }
        Ok(sent)
    }

    /// Books a balanced entry for an event once: `false` if it was booked before.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn book(
        &self,
        tx: &impl pintu_store::sea_orm::ConnectionTrait,
        kind: &str,
        ref_id: &str,
        village: &str,
        period: &str,
        now: DateTime<Utc>,
        entry: Entry,
    ) -> Result<bool> {
        let postings = match entry.balanced() {
            Ok(p) => p,
            Err(pintu_domain::payments::LedgerError::Empty) => return Ok(false),
            Err(e) => {
                return Err(Error::Internal(anyhow::anyhow!(
                    "{kind} {ref_id}: entry {e:?}"
                )));
            }
        };
        Ok(pq::insert_entry(
            tx,
            &pq::EntryRow {
                id: new_id(),
                kind: kind.into(),
                ref_id: ref_id.into(),
                village_code: village.into(),
                period: period.into(),
                at: now,
                memo: None,
            },
            &postings,
        )
        .await?)
    }

    /// Pays a new bill from the family's credit (over-payments, oldest first): returns how
    /// much was used.
    async fn apply_credit(
        &self,
        tx: &impl pintu_store::sea_orm::ConnectionTrait,
        bill: &BillRow,
        period: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut left = bill.amount;
        let mut used = 0;
        for p in pq::payments_with_credit(tx, &bill.household_id).await? {
            if left == 0 {
                break;
            }
            let put = p.credit.min(left);
            left -= put;
            used += put;
            pq::use_credit(tx, &p.id, put).await?;
            pq::insert_allocation(tx, &p.id, &bill.id, put, now).await?;
        }
        if used > 0 {
            pq::pay_bill(tx, &bill.id, used, left == 0, now).await?;
            self.book(
                tx,
                "credit",
                &bill.id,
                &bill.village_code,
                period,
                now,
                Entry::new()
                    .debit(Account::MemberCredit, used)
                    .credit(Account::MemberReceivable, used),
            )
            .await?;
        }
        Ok(used)
    }

    /// Asks for another FKTP: after three months with the current one, or sooner with an
    /// exception and its reason; it takes effect on the first of the next month. Officers
    /// of the area and the resident (for their household) may ask.
    pub async fn change_fktp(
        &self,
        ctx: &Ctx,
        person_id: &str,
        input: &FktpInput,
        now: DateTime<Utc>,
    ) -> Result<Membership> {
        if !ctx.actor.is_resident() && !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let current = self.membership(ctx, person_id).await?;
        let m = &current.member;
        let c = self.store.conn();
        let mut invalid = Invalid::default();
        let to = q::facility(c, input.fktp.trim()).await?;
        match &to {
            None => invalid.push("fktp", "fktp_unknown"),
            Some(f) if !f.active => invalid.push("fktp", "fktp_unknown"),
            Some(f) if f.code == m.fktp_code => invalid.push("fktp", "fktp_same"),
            Some(_) => {}
        }
        let exception = match input.exception.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => match FktpException::parse(e) {
                Some(x) => Some(x),
                None => {
                    invalid.push("exception", "exception_unknown");
                    None
                }
            },
        };
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if exception.is_some() && reason.is_none() {
            invalid.push("reason", "required");
        }
        if reason.is_some_and(|r| r.chars().count() > 500) {
            invalid.push("reason", "too_long");
        }
        invalid.or_ok(()).map_err(Error::Invalid)?;
        let Some(to) = to else {
            return Err(Error::Internal(anyhow::anyhow!("validated FKTP")));
        };
        let effective =
            fktp_change_effective(m.fktp_since, today(), exception).map_err(|code| {
                Error::Conflict {
                    code,
                    field: Some("fktp".into()),
                }
            })?;
        let actor = ctx.actor.label();
        let tx = self.store.begin().await?;
        if !q::schedule_fktp(&tx, m, &to.code, effective, now).await? {
            return Err(Error::Conflict {
                code: "jkn_member_changed",
                field: None,
            });
        }
        q::insert_fktp_change(
            &tx,
            &NewFktpChange {
                id: &new_id(),
                person_id: &m.person_id,
                village_code: &m.village_code,
                from_code: &m.fktp_code,
                to_code: &to.code,
                effective_on: effective,
                exception: exception.map(FktpException::code),
                reason,
                actor: &actor,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "jkn.fktp_change",
                "person",
                Some(&m.person_id),
                Some(&m.village_code),
                Some(format!("to={} from={effective}", to.code)),
            )
            .await?;
        self.membership(ctx, &m.person_id).await
    }

    /// A facility's check of a card: whether it covers care today, its class and its FKTP —
    /// nothing else. Any authenticated API account may ask; each check is audited.
    pub async fn coverage(&self, ctx: &Ctx, card: &str) -> Result<Coverage> {
        if matches!(ctx.actor, Actor::Resident { .. }) {
            return Err(Error::Forbidden);
        }
        let card = card.trim();
        if card.len() != 13 || !card.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("card", "card_number_invalid"));
        }
        let m = q::member_by_card(self.store.conn(), card)
            .await?
            .ok_or(Error::NotFound)?;
        let on = today();
        let fktp_code = match (&m.next_fktp_code, m.next_fktp_on) {
            (Some(next), Some(d)) if d <= on => next.clone(),
            _ => m.fktp_code.clone(),
        };
        let fktp_name = q::facility(self.store.conn(), &fktp_code)
            .await?
            .map(|f| f.name);
        self.audit
            .record(
                ctx,
                "jkn.coverage_check",
                "person",
                Some(&m.person_id),
                Some(&m.village_code),
                None,
            )
            .await?;
        Ok(Coverage {
            active: m.status == MemberStatus::Active.code() && m.start_date <= on,
            class: m.class,
            fktp_code,
            fktp_name,
        })
    }

    /// Adds or updates the facilities of a CSV list (district back offices and above, or
    /// the system). A list with any error changes nothing. Returns how many.
    pub async fn load_facility_list(&self, ctx: &Ctx, text: &str) -> Result<usize> {
        if !pintu_domain::programmes::may_manage(&ctx.actor, None)
            && !matches!(ctx.actor, Actor::System { .. })
        {
            return Err(Error::Forbidden);
        }
        let rows = parse_facilities(text).map_err(|m| {
            Error::Invalid(Invalid::one(
                format!("facilities: {m}"),
                "facilities_invalid",
            ))
        })?;
        let tx = self.store.begin().await?;
        for f in &rows {
            q::upsert_facility(&tx, f).await?;
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "facilities.load",
                "facility",
                None,
                None,
                Some(format!("facilities={}", rows.len())),
            )
            .await?;
        Ok(rows.len())
    }

    /// The facilities of a regency (all when `None`).
    pub async fn facilities(&self, regency: Option<&str>) -> Result<Vec<FacilityRow>> {
        Ok(q::facilities(self.store.conn(), regency).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_facilities_read_and_bad_lines_are_named() {
        let rows = parse_facilities(SHIPPED_FACILITIES).expect("shipped list");
        assert!(rows.iter().any(|f| f.regency_code == "35.07"));
        let err = parse_facilities("code,name,kind,regency_code,address\nX,,hospital,35.07,\n")
            .expect_err("bad line");
        assert!(err.starts_with("line 2"), "{err}");
    }

    #[test]
    fn card_numbers_have_thirteen_digits() {
        let n = card_number();
        assert_eq!(n.len(), 13);
        assert!(n.starts_with("000") && n.bytes().all(|b| b.is_ascii_digit()));
    }
}
