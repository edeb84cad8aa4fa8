//! Payments of JKN contributions (PAY-3): from every channel — bank virtual accounts,
//! e-wallets and retail outlets calling back with signed webhooks, and cash taken at a
//! counter or by an agent and deposited at the end of the day — onto the family's bills,
//! oldest first, into a double-entry ledger; and reconciliation of the banks' statements.
//!
//! A payment is booked once per channel and idempotency key, in one transaction whose first
//! statement claims the key: a retried or duplicated callback, even one arriving at the same
//! moment on another connection, waits for the first, finds it, and gets its result.

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::payments::{self as d, Account, Channel, Entry, fee_in_force};
use pintu_store::new_id;
use pintu_store::payments::{
    self as q, AllocationRow, BalanceRow, DepositRow, EntryRow, ExceptionRow, PaymentRow,
    StatementLine, StatementRow,
};
use serde::{Deserialize, Serialize};

use crate::booking::Outcome;
use crate::{Ctx, Error, Pintu, Result};

/// The day in Indonesia's western time (WIB) an instant falls on.
pub fn wib_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(7)).date_naive()
}

fn month_of(at: DateTime<Utc>) -> String {
    wib_day(at).format("%Y-%m").to_string()
}

/// The largest single payment accepted (Rp 100,000,000): beyond any family's arrears.
pub const MAX_PAYMENT: i64 = 100_000_000;

/// A payment as a channel reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentInput {
    /// The family's virtual account number.
    pub va_number: String,
    /// Rupiah.
    pub amount: i64,
    /// The channel's own reference of the payment (shown on its statement).
    pub reference: String,
    /// When the member paid; now if absent.
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
}

/// What booking a payment did; a duplicate gets the first's.
#[derive(Debug, Clone, Serialize)]
pub struct Booked {
    pub payment: PaymentRow,
    pub allocations: Vec<AllocationRow>,
    /// The same channel and idempotency key were booked before: nothing was booked now.
    pub duplicate: bool,
}

/// A payment sent again under the key of `first` is the same payment only for the same
/// account and amount; otherwise the key is reused, a conflict.
pub(crate) fn same_payment(first: &PaymentRow, va: &str, amount: i64) -> Result<()> {
    if first.va_number != va || first.amount != amount {
        return Err(Error::Conflict {
            code: "idempotency_conflict",
            field: Some("idempotency_key".into()),
        });
    }
    Ok(())
}

/// Which employer's bill a virtual account names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmployerBillKind {
    /// BPJS Ketenagakerjaan contributions (JKK, JKM, JHT, JP).
    BpjsTk,
    /// JKN contributions of wage earners (PPU).
    JknPpu,
}

/// An employer's bill, of either kind, as a payment needs it.
#[derive(Debug, Clone)]
struct EmployerBill {
    kind: EmployerBillKind,
    id: String,
    village_code: String,
    period: String,
    total: i64,
    status: String,
}

impl EmployerBill {
    async fn of_va(
        c: &impl pintu_store::sea_orm::ConnectionTrait,
        va: &str,
    ) -> Result<Option<EmployerBill>> {
        if let Some(b) = pintu_store::bpjstk::employer_bill_by_va(c, va).await? {
            return Ok(Some(EmployerBill {
                kind: EmployerBillKind::BpjsTk,
                id: b.id,
                village_code: b.village_code,
                period: b.period,
                total: b.total,
                status: b.status,
            }));
        }
        Ok(pintu_store::bpjstk::ppu_bill_by_va(c, va)
            .await?
            .map(|b| EmployerBill {
                kind: EmployerBillKind::JknPpu,
                id: b.id,
                village_code: b.village_code,
                period: b.period,
                total: b.total,
                status: b.status,
            }))
    }
}

/// An officer's or agent's cash: JKN payments and BPJS Ketenagakerjaan (BPU) contributions
/// taken and not yet deposited, and the deposits made.
#[derive(Debug, Clone)]
pub struct MyCash {
    pub jkn: Vec<PaymentRow>,
    pub bpu: Vec<pintu_store::bpjstk::BpuPaymentRow>,
    pub deposits: Vec<DepositRow>,
}

impl MyCash {
    /// All that is held, to deposit.
    pub fn total(&self) -> i64 {
        self.jkn.iter().map(|p| p.amount).sum::<i64>()
            + self.bpu.iter().map(|p| p.total).sum::<i64>()
    }
}

/// A deposit of collected cash.
#[derive(Debug, Clone, Serialize)]
pub struct Deposited {
    pub deposit: DepositRow,
}

fn check_payment(input: &PaymentInput, key: &str) -> Result<()> {
    let mut invalid = pintu_domain::Invalid::default();
    if !d::valid_va(input.va_number.trim()) {
        invalid.push("va_number", "va_invalid");
    }
    if input.amount <= 0 || input.amount > MAX_PAYMENT {
        invalid.push("amount", "amount_invalid");
    }
    if !d::valid_reference(input.reference.trim()) {
        invalid.push("reference", "reference_invalid");
    }
    if !d::valid_reference(key) {
        invalid.push("idempotency_key", "idempotency_key_invalid");
    }
    invalid.or_ok(()).map_err(Error::Invalid)
}

impl Pintu {
    /// A payment a channel called back with (its signature checked by the caller): booked
    /// once per channel and idempotency key.
    pub async fn receive_payment(
        &self,
        channel: Channel,
        idempotency_key: &str,
        input: &PaymentInput,
        now: DateTime<Utc>,
    ) -> Result<Booked> {
        if !channel.is_callback() {
            return Err(Error::invalid("channel", "channel_invalid"));
        }
        let ctx = Ctx::system(&format!("payments:{}", channel.code()));
        self.book_payment(&ctx, channel, idempotency_key, input, None, now)
            .await
    }

    /// Cash an officer or agent took from a family, at a counter or in the community; the
    /// form's idempotency key makes a double submission book it once.
    pub async fn collect_cash(
        &self,
        ctx: &Ctx,
        channel: Channel,
        idempotency_key: &str,
        input: &PaymentInput,
        now: DateTime<Utc>,
    ) -> Result<Booked> {
        if !channel.is_cash() {
            return Err(Error::invalid("channel", "channel_invalid"));
        }
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let collector = ctx.actor.user_id().ok_or(Error::Forbidden)?.to_string();
        self.book_payment(ctx, channel, idempotency_key, input, Some(collector), now)
            .await
    }

    async fn book_payment(
        &self,
        ctx: &Ctx,
        channel: Channel,
        idempotency_key: &str,
        input: &PaymentInput,
        collector: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Booked> {
        let key = idempotency_key.trim();
        check_payment(input, key)?;
        let va = input.va_number.trim();
        let paid_at = input.paid_at.unwrap_or(now).min(now);
        let tariffs = crate::matching::tariffs()?;
        let fee = fee_in_force(&tariffs.fee, channel, wib_day(paid_at))
            .map(|f| f.fee(input.amount))
            .unwrap_or(0);
        let payment = PaymentRow {
            id: new_id(),
            channel: channel.code().into(),
            idempotency_key: key.into(),
            reference: input.reference.trim().into(),
            va_number: va.into(),
            household_id: String::new(),
            village_code: String::new(),
            amount: input.amount,
            fee,
            allocated: 0,
            credit: 0,
            paid_at,
            received_at: now,
            collected_by: collector.clone(),
            deposit_id: None,
            settled_at: None,
            entry_id: new_id(),
            reactivated: false,
            employer_bill_id: None,
        };
        // A family's payment is booked with the others arriving at the same moment.
        let request = crate::booking::Request {
            payment: payment.clone(),
            scope: collector.is_some().then(|| ctx.actor.scope()),
            actor: ctx.actor.label(),
            request_id: ctx.request_id.clone(),
        };
        match self.booker.book(request).await? {
            Outcome::Booked(booked) => return Ok(*booked),
            Outcome::Duplicate => return self.first_booking(channel, key, va, input.amount).await,
            Outcome::NotFamily => {}
        }
        let c = self.store.conn();
        let Some(bill) = EmployerBill::of_va(c, va).await? else {
            return Err(Error::invalid("va_number", "va_unknown"));
        };
        if collector.is_some() {
            let area = pintu_domain::AreaCode::parse(&bill.village_code).map_err(|_| {
                Error::Internal(anyhow::anyhow!("bad village {}", bill.village_code))
            })?;
            if !ctx.actor.scope().allows(&area) {
                return Err(Error::invalid("va_number", "va_unknown"));
            }
        }
        if let Some(first) = q::payment_by_key(c, channel.code(), key).await? {
            return self.duplicate(first, va, input.amount).await;
        }
        let payment = PaymentRow {
            village_code: bill.village_code.clone(),
            employer_bill_id: Some(bill.id.clone()),
            ..payment
        };
        self.book_employer_payment(ctx, channel, payment, bill, now)
            .await
    }

    /// The answer to a payment whose channel and key were booked before.
    async fn first_booking(
        &self,
        channel: Channel,
        key: &str,
        va: &str,
        amount: i64,
    ) -> Result<Booked> {
        let first = q::payment_by_key(self.store.conn(), channel.code(), key)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment key vanished")))?;
        self.duplicate(first, va, amount).await
    }

    /// An employer's payment of its BPJS Ketenagakerjaan or JKN (PPU) bill: the bill's
    /// amount exactly (a virtual account of a closed amount), settling the bill once.
    async fn book_employer_payment(
        &self,
        ctx: &Ctx,
        channel: Channel,
        payment: PaymentRow,
        bill: EmployerBill,
        now: DateTime<Utc>,
    ) -> Result<Booked> {
        if bill.status != "open" {
            return Err(Error::Conflict {
                code: "bill_paid",
                field: Some("va_number".into()),
            });
        }
        if payment.amount != bill.total {
            return Err(Error::invalid("amount", "amount_not_bill"));
        }
        let c = self.store.conn();
        let tx = self.store.begin().await?;
        if !q::insert_payment(&tx, &payment).await? {
            tx.rollback().await?;
            let first = q::payment_by_key(c, &payment.channel, &payment.idempotency_key)
                .await?
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment key vanished")))?;
            return self
                .duplicate(first, &payment.va_number, payment.amount)
                .await;
        }
        let settled = match bill.kind {
            EmployerBillKind::BpjsTk => {
                pintu_store::bpjstk::settle_employer_bill(&tx, &bill.id, now).await?
            }
            EmployerBillKind::JknPpu => {
                pintu_store::bpjstk::settle_ppu_bill(&tx, &bill.id, now).await?
            }
        };
        if !settled {
            tx.rollback().await?;
            return Err(Error::Conflict {
                code: "bill_paid",
                field: Some("va_number".into()),
            });
        }
        let postings = Entry::new()
            .debit(channel.holding_account(), payment.amount)
            .credit(
                match bill.kind {
                    EmployerBillKind::BpjsTk => Account::TkContributionRevenue,
                    EmployerBillKind::JknPpu => Account::ContributionRevenue,
                },
                payment.amount,
            )
            .debit(Account::CollectionCost, payment.fee)
            .credit(Account::FeesPayable, payment.fee)
            .balanced()
            .map_err(|e| Error::Internal(anyhow::anyhow!("payment entry: {e:?}")))?;
        q::insert_entry(
            &tx,
            &EntryRow {
                id: payment.entry_id.clone(),
                kind: "payment".into(),
                ref_id: payment.id.clone(),
                village_code: payment.village_code.clone(),
                period: month_of(payment.paid_at),
                at: now,
                memo: Some(format!(
                    "{} {} {}",
                    channel.code(),
                    bill.period,
                    payment.reference
                )),
            },
            &postings,
        )
        .await?;
        q::finish_payment(&tx, &payment.id, payment.amount, 0, false).await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "payment.book",
                "payment",
                Some(&payment.id),
                Some(&payment.village_code),
                Some(format!(
                    "channel={} amount={} employer_bill={}",
                    channel.code(),
                    payment.amount,
                    bill.id
                )),
            )
            .await?;
        Ok(Booked {
            payment: PaymentRow {
                allocated: payment.amount,
                ..payment
            },
            allocations: Vec::new(),
            duplicate: false,
        })
    }

    /// The first booking of a key, unless the retry differs from it.
    async fn duplicate(&self, first: PaymentRow, va: &str, amount: i64) -> Result<Booked> {
        same_payment(&first, va, amount)?;
        let allocations = q::allocations_of(self.store.conn(), &first.id).await?;
        Ok(Booked {
            payment: first,
            allocations,
            duplicate: true,
        })
    }

    /// A family's payments (officers of its area, or the resident for their own).
    pub async fn family_payments(
        &self,
        ctx: &Ctx,
        person_id: &str,
    ) -> Result<Vec<(PaymentRow, Vec<AllocationRow>)>> {
        let m = self.membership(ctx, person_id).await?;
        self.member_payments(&m).await
    }

    /// The payments of the family of a membership read with [`Pintu::membership`].
    pub async fn member_payments(
        &self,
        m: &crate::membership::Membership,
    ) -> Result<Vec<(PaymentRow, Vec<AllocationRow>)>> {
        let Some(household) = &m.member.household_id else {
            return Ok(Vec::new());
        };
        let c = self.store.conn();
        let mut out = Vec::new();
        for p in q::payments_of(c, household).await? {
            let allocations = q::allocations_of(c, &p.id).await?;
            out.push((p, allocations));
        }
        Ok(out)
    }

    /// The payments received in the actor's area, newest first (finance and back offices).
    pub async fn payments_list(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        channel: Option<Channel>,
    ) -> Result<Vec<PaymentRow>> {
        let scope = self.finance_scope(ctx, area).await?;
        let rows =
            q::payments_in(self.store.conn(), &scope, channel.map(|c| c.code()), 500).await?;
        self.audit
            .record(ctx, "payment.list", "payment", None, area, None)
            .await?;
        Ok(rows)
    }

    /// Deposits at the bank all the cash the officer has collected and not yet deposited:
    /// one deposit, booked from agent cash to the bank.
    pub async fn deposit_cash(
        &self,
        ctx: &Ctx,
        bank_reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Deposited> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let collector = ctx.actor.user_id().ok_or(Error::Forbidden)?.to_string();
        let bank_reference = bank_reference.trim();
        if !d::valid_reference(bank_reference) {
            return Err(Error::invalid("bank_reference", "reference_invalid"));
        }
        let tx = self.store.begin().await?;
        let cash = q::undeposited(&tx, &collector).await?;
        let bpu = pintu_store::bpjstk::undeposited_bpu(&tx, &collector).await?;
        // What was taken, by village: JKN payments and BPJS TK (BPU) contributions.
        let taken: Vec<(&str, i64)> = cash
            .iter()
            .map(|p| (p.village_code.as_str(), p.amount))
            .chain(bpu.iter().map(|p| (p.village_code.as_str(), p.total)))
            .collect();
        let Some((first_village, _)) = taken.first() else {
            tx.rollback().await?;
            return Err(Error::Conflict {
                code: "nothing_to_deposit",
                field: None,
            });
        };
        let amount: i64 = taken.iter().map(|(_, a)| a).sum();
        let home = match ctx.actor.scope() {
            Scope::Within(area) => area.as_str().to_string(),
            Scope::National => (*first_village).to_string(),
        };
        let deposit = DepositRow {
            id: new_id(),
            collected_by: collector.clone(),
            village_code: home,
            day: wib_day(now),
            payments: taken.len() as i32,
            amount,
            bank_reference: bank_reference.into(),
            entry_id: new_id(),
            at: now,
        };
        let ids: Vec<String> = cash.iter().map(|p| p.id.clone()).collect();
        q::insert_deposit(&tx, &deposit, &ids).await?;
        let bpu_ids: Vec<String> = bpu.iter().map(|p| p.id.clone()).collect();
        pintu_store::bpjstk::mark_bpu_deposited(&tx, &bpu_ids, &deposit.id).await?;
        // Agent cash leaves each village it was taken in.
        let mut by_village: std::collections::BTreeMap<&str, i64> = Default::default();
        for (village, a) in &taken {
            *by_village.entry(village).or_default() += a;
        }
        for (i, (village, sum)) in by_village.iter().enumerate() {
            let postings = Entry::new()
                .debit(Account::Bank, *sum)
                .credit(Account::AgentCash, *sum)
                .balanced()
                .map_err(|e| Error::Internal(anyhow::anyhow!("deposit entry: {e:?}")))?;
            q::insert_entry(
                &tx,
                &EntryRow {
                    id: if i == 0 {
                        deposit.entry_id.clone()
                    } else {
                        new_id()
                    },
                    kind: "deposit".into(),
                    ref_id: format!("{}:{village}", deposit.id),
                    village_code: (*village).to_string(),
                    period: month_of(now),
                    at: now,
                    memo: Some(format!("deposit {bank_reference}")),
                },
                &postings,
            )
            .await?;
        }
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "payment.deposit",
                "cash_deposit",
                Some(&deposit.id),
                Some(&deposit.village_code),
                Some(format!("payments={} amount={amount}", deposit.payments)),
            )
            .await?;
        Ok(Deposited { deposit })
    }

    /// The officer's cash not yet deposited, and their deposits.
    pub async fn my_cash(&self, ctx: &Ctx) -> Result<MyCash> {
        if !ctx.actor.may_write_registry() {
            return Err(Error::Forbidden);
        }
        let collector = ctx.actor.user_id().ok_or(Error::Forbidden)?;
        let c = self.store.conn();
        let cash = MyCash {
            jkn: q::undeposited(c, collector).await?,
            bpu: pintu_store::bpjstk::undeposited_bpu(c, collector).await?,
            deposits: q::deposits_of(c, collector).await?,
        };
        Ok(cash)
    }

    /// The area finance work is done in: the actor's, or a part of it; back offices only.
    pub(crate) async fn finance_scope(&self, ctx: &Ctx, area: Option<&str>) -> Result<Scope> {
        if !ctx.actor.may_run_matching() {
            return Err(Error::Forbidden);
        }
        self.area_scope(ctx, area).await
    }

    /// Every account's balance in an area of the actor's.
    pub async fn ledger_balances(&self, ctx: &Ctx, area: Option<&str>) -> Result<Vec<BalanceRow>> {
        let scope = self.finance_scope(ctx, area).await?;
        let rows = q::balances(self.store.conn(), &scope).await?;
        let mut out: Vec<BalanceRow> = Account::all()
            .into_iter()
            .map(|a| {
                rows.iter()
                    .find(|r| r.account == a.code())
                    .cloned()
                    .unwrap_or(BalanceRow {
                        account: a.code(),
                        debits: 0,
                        credits: 0,
                        balance: 0,
                    })
            })
            .collect();
        // Anything booked to an account the chart no longer lists still shows.
        out.extend(
            rows.into_iter()
                .filter(|r| Account::parse(&r.account).is_none()),
        );
        Ok(out)
    }
}

/// A statement line as read from the file.
#[derive(Debug, Clone)]
struct ReadLine {
    line_no: i32,
    value_date: NaiveDate,
    reference: String,
    amount: i64,
}

/// Reads a statement CSV (`date,reference,amount`, other columns ignored); every bad line is
/// named, and a file with any is refused whole.
fn read_statement(text: &str) -> Result<Vec<ReadLine>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|_| Error::invalid("file", "statement_header_invalid"))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(date), Some(reference), Some(amount)) =
        (find("date"), find("reference"), find("amount"))
    else {
        return Err(Error::invalid("file", "statement_header_invalid"));
    };
    let mut out = Vec::new();
    let mut invalid = pintu_domain::Invalid::default();
    for (i, rec) in rdr.records().enumerate() {
        let line_no = i as i32 + 2;
        let Ok(rec) = rec else {
            invalid.push(format!("line {line_no}"), "statement_line_invalid");
            continue;
        };
        let value_date = rec
            .get(date)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        let amount = rec.get(amount).and_then(|s| s.parse::<i64>().ok());
        let reference = rec.get(reference).unwrap_or_default();
        match (value_date, amount) {
            (Some(value_date), Some(amount))
                if amount > 0 && amount <= MAX_PAYMENT && d::valid_reference(reference) =>
            {
                out.push(ReadLine {
                    line_no,
                    value_date,
                    reference: reference.to_string(),
                    amount,
                })
            }
            _ => invalid.push(format!("line {line_no}"), "statement_line_invalid"),
        }
    }
    if !invalid.is_empty() {
        return Err(Error::Invalid(invalid));
    }
    if out.is_empty() {
        return Err(Error::invalid("file", "statement_empty"));
    }
    Ok(out)
}

/// What importing a statement found.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciled {
    pub statement: StatementRow,
    /// The same file was imported before: nothing was done now.
    pub already_imported: bool,
}

impl Pintu {
    /// Imports a channel's statement (CSV) and matches it to the payments, all in one
    /// transaction: each line found with the same amount settles its payment (booked from
    /// the channel's clearing account to the bank); a line with another amount, a line
    /// Pintu has no payment for, and a payment of the statement's days that the statement
    /// does not show each go to the exceptions queue. The same file again changes nothing.
    pub async fn import_statement(
        &self,
        ctx: &Ctx,
        channel: Channel,
        file_name: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Reconciled> {
        self.finance_scope(ctx, None).await?;
        if !matches!(ctx.actor.scope(), Scope::National) {
            // A bank's statement spans the country: the national finance unit imports it.
            return Err(Error::Forbidden);
        }
        if channel.is_cash() {
            return Err(Error::invalid("channel", "channel_invalid"));
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::invalid("file", "file_not_utf8"))?;
        let lines = read_statement(text)?;
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        let c = self.store.conn();
        if let Some(statement) = q::statement_by_file(c, channel.code(), &sha).await? {
            return Ok(Reconciled {
                statement,
                already_imported: true,
            });
        }
        let from_day = lines
            .iter()
            .map(|l| l.value_date)
            .min()
            .unwrap_or(now.date_naive());
        let to_day = lines
            .iter()
            .map(|l| l.value_date)
            .max()
            .unwrap_or(now.date_naive());
        let mut statement = StatementRow {
            id: new_id(),
            channel: channel.code().into(),
            file_sha256: sha,
            file_name: file_name.chars().take(200).collect(),
            from_day,
            to_day,
            lines: lines.len() as i32,
            matched: 0,
            exceptions: 0,
            imported_by: ctx.actor.label(),
            imported_at: now,
        };
        let tx = self.store.begin().await?;
        if !q::insert_statement(&tx, &statement).await? {
            tx.rollback().await?;
            let statement = q::statement_by_file(c, channel.code(), &statement.file_sha256)
                .await?
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("statement vanished")))?;
            return Ok(Reconciled {
                statement,
                already_imported: true,
            });
        }
        let refs: Vec<String> = lines.iter().map(|l| l.reference.clone()).collect();
        let payments = q::payments_by_reference(&tx, channel.code(), &refs).await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(lines.len());
        let mut exceptions = Vec::new();
        let exception = |kind: &str, reference: &str| ExceptionRow {
            id: new_id(),
            statement_id: statement.id.clone(),
            kind: kind.into(),
            channel: channel.code().into(),
            reference: reference.into(),
            payment_id: None,
            line_no: None,
            amount_ours: None,
            amount_bank: None,
            village_code: None,
            status: "open".into(),
            resolution: None,
            resolved_by: None,
            resolved_at: None,
            created_at: now,
        };
        for l in &lines {
            let found = payments
                .iter()
                .find(|p| p.reference == l.reference && !seen.contains(&p.id));
            let status = match found {
                Some(p) if p.amount == l.amount => {
                    seen.insert(p.id.clone());
                    if p.settled_at.is_none() {
                        q::settle_payment(&tx, &p.id, now).await?;
                        let postings = Entry::new()
                            .debit(Account::Bank, p.amount)
                            .credit(Account::Clearing(channel), p.amount)
                            .balanced()
                            .map_err(|e| Error::Internal(anyhow::anyhow!("{e:?}")))?;
                        q::insert_entry(
                            &tx,
                            &EntryRow {
                                id: new_id(),
                                kind: "settlement".into(),
                                ref_id: p.id.clone(),
                                village_code: p.village_code.clone(),
                                period: l.value_date.format("%Y-%m").to_string(),
                                at: now,
                                memo: Some(format!("statement {}", statement.id)),
                            },
                            &postings,
                        )
                        .await?;
                    }
                    statement.matched += 1;
                    "matched"
                }
                Some(p) => {
                    seen.insert(p.id.clone());
                    exceptions.push(ExceptionRow {
                        payment_id: Some(p.id.clone()),
                        line_no: Some(l.line_no),
                        amount_ours: Some(p.amount),
                        amount_bank: Some(l.amount),
                        village_code: Some(p.village_code.clone()),
                        ..exception("amount_differs", &l.reference)
                    });
                    "amount_differs"
                }
                None => {
                    exceptions.push(ExceptionRow {
                        line_no: Some(l.line_no),
                        amount_bank: Some(l.amount),
                        ..exception("missing_ours", &l.reference)
                    });
                    "missing_ours"
                }
            };
            out.push(StatementLine {
                line_no: l.line_no,
                value_date: l.value_date,
                reference: l.reference.clone(),
                amount: l.amount,
                status: status.into(),
                payment_id: found.map(|p| p.id.clone()),
            });
        }
        // Payments of the statement's days the bank does not show.
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(7)
        };
        let until = start(to_day) + chrono::Duration::days(1);
        for p in q::unsettled_between(&tx, channel.code(), start(from_day), until).await? {
            if !seen.contains(&p.id) {
                exceptions.push(ExceptionRow {
                    payment_id: Some(p.id.clone()),
                    amount_ours: Some(p.amount),
                    village_code: Some(p.village_code.clone()),
                    ..exception("missing_bank", &p.reference)
                });
            }
        }
        q::insert_lines(&tx, &statement.id, &out).await?;
        for e in &exceptions {
            q::insert_exception(&tx, e).await?;
        }
        statement.exceptions = exceptions.len() as i32;
        pintu_store::execute(
            &tx,
            "UPDATE bank_statements SET matched = ?, exceptions = ? WHERE id = ?",
            vec![
                statement.matched.into(),
                statement.exceptions.into(),
                statement.id.clone().into(),
            ],
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                ctx,
                "payment.reconcile",
                "bank_statement",
                Some(&statement.id),
                None,
                Some(format!(
                    "channel={} lines={} matched={} exceptions={}",
                    channel.code(),
                    statement.lines,
                    statement.matched,
                    statement.exceptions
                )),
            )
            .await?;
        Ok(Reconciled {
            statement,
            already_imported: false,
        })
    }

    /// The statements imported, newest first.
    pub async fn statements(&self, ctx: &Ctx) -> Result<Vec<StatementRow>> {
        self.finance_scope(ctx, None).await?;
        Ok(q::statements(self.store.conn()).await?)
    }

    /// The exceptions queue of the actor's area (those of no known area only nationally).
    pub async fn recon_exceptions(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<ExceptionRow>> {
        let scope = self.finance_scope(ctx, area).await?;
        Ok(q::exceptions(self.store.conn(), &scope, open_only).await?)
    }

    /// Closes an exception with what the finance unit found and did.
    pub async fn resolve_exception(
        &self,
        ctx: &Ctx,
        id: &str,
        resolution: &str,
        now: DateTime<Utc>,
    ) -> Result<ExceptionRow> {
        let scope = self.finance_scope(ctx, None).await?;
        let resolution = resolution.trim();
        if resolution.is_empty() || resolution.chars().count() > 1000 {
            return Err(Error::invalid("resolution", "required"));
        }
        let c = self.store.conn();
        let e = q::exception(c, id).await?.ok_or(Error::NotFound)?;
        let visible = match (&scope, &e.village_code) {
            (Scope::National, _) => true,
            (_, None) => false,
            (scope, Some(v)) => pintu_domain::AreaCode::parse(v)
                .map(|a| scope.allows(&a))
                .unwrap_or(false),
        };
        if !visible {
            return Err(Error::NotFound);
        }
        if !q::resolve_exception(c, id, resolution, &ctx.actor.label(), now).await? {
            return Err(Error::Conflict {
                code: "exception_resolved",
                field: None,
            });
        }
        self.audit
            .record(
                ctx,
                "payment.exception_resolve",
                "recon_exception",
                Some(id),
                e.village_code.as_deref(),
                None,
            )
            .await?;
        q::exception(c, id).await?.ok_or(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_with_a_bad_line_is_refused_whole_with_the_line_named() {
        let ok =
            read_statement("date,reference,amount,note\n2026-12-02,REF1,35000,x\n").expect("reads");
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].line_no, 2);
        let Err(Error::Invalid(bad)) = read_statement(
            "date,reference,amount\n2026-12-02,REF1,35000\n2026-02-30,REF2,1\n2026-12-02,,5\n",
        ) else {
            panic!("refused");
        };
        let fields: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["line 3", "line 4"]);
        assert!(matches!(
            read_statement("when,ref,amt\n"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            read_statement("date,reference,amount\n"),
            Err(Error::Invalid(_))
        ));
    }
}

/// The monthly consolidated finance report of an area.
#[derive(Debug, Clone, Serialize)]
pub struct FinanceReport {
    /// `YYYY-MM`.
    pub month: String,
    pub area: Option<String>,
    /// One line per child area (provinces nationally, regencies in a province ...).
    pub areas: Vec<pintu_store::payments::AreaFinance>,
    pub total: pintu_store::payments::AreaFinance,
    /// Collected over billed for the month's family bills, in per mille.
    pub collection_per_mille: Option<i64>,
    /// The payments received in the month, by channel, with the cost of collecting them.
    pub channels: Vec<pintu_store::payments::ChannelFinance>,
}

impl Pintu {
    /// Billed, collected, collection ratio, arrears and PBI contributions of a month by
    /// area, and the month's payments and their cost by channel.
    pub async fn finance_report(
        &self,
        ctx: &Ctx,
        area: Option<&str>,
        month: &str,
        today: NaiveDate,
    ) -> Result<FinanceReport> {
        let scope = self.finance_scope(ctx, area).await?;
        let start = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
            .map_err(|_| Error::invalid("month", "period_invalid"))?;
        let month = start.format("%Y-%m").to_string();
        let end = start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(start);
        let child_len = match &scope {
            Scope::National => 2,
            Scope::Within(a) => match a.level() {
                pintu_domain::AreaLevel::Province => 5,
                pintu_domain::AreaLevel::Regency => 8,
                _ => 13,
            },
        };
        // Arrears as they stand at the end of the month, or today for the current month.
        let arrears_before = end.min(today);
        let c = self.store.conn();
        let areas = q::finance_by_area(c, &scope, child_len, &month, arrears_before).await?;
        let mut total = pintu_store::payments::AreaFinance {
            area: area.unwrap_or_default().to_string(),
            ..Default::default()
        };
        for a in &areas {
            total.bills += a.bills;
            total.billed += a.billed;
            total.pbpu_billed += a.pbpu_billed;
            total.pbpu_collected += a.pbpu_collected;
            total.bp_billed += a.bp_billed;
            total.bp_collected += a.bp_collected;
            total.subsidy += a.subsidy;
            total.collected += a.collected;
            total.arrears += a.arrears;
            total.pbi += a.pbi;
            total.ppu_billed += a.ppu_billed;
            total.ppu_collected += a.ppu_collected;
            total.tk_billed += a.tk_billed;
            total.tk_collected += a.tk_collected;
        }
        let wib = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(7)
        };
        let channels = q::finance_by_channel(c, &scope, wib(start), wib(end)).await?;
        self.audit
            .record(
                ctx,
                "finance.report",
                "finance",
                None,
                area,
                Some(month.clone()),
            )
            .await?;
        Ok(FinanceReport {
            collection_per_mille: (total.billed > 0).then(|| total.collected * 1000 / total.billed),
            month,
            area: area.map(str::to_string),
            areas,
            total,
            channels,
        })
    }
}
