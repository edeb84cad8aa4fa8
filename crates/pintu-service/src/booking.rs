//! The payment booker: family payments are booked with group commit. Each payment — a
//! channel's callback or cash at a counter — is handed to one booking task and waits until
//! the batch that holds it is committed. A batch is one transaction of a dozen set-based
//! statements whatever its size (the families locked, their open bills read once, the
//! payments inserted with what they came to, the bills paid, the allocations, the ledger
//! entries, reactivations, the families' SMS and the audit entries), so a thousand
//! concurrent callbacks cost a few transactions, not a thousand; and a payment is answered
//! only once it is durable.
//!
//! The transaction first looks up which keys were booked before, so that each payment is
//! then written once, whole. One booked by another transaction after that look-up (the same
//! key for another account, on another booking task) makes its insert find the key taken:
//! the batch is rolled back and written again without it.
//!
//! A batch that fails as a whole is booked again one payment at a time, so that one bad
//! payment fails alone.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use pintu_domain::access::Scope;
use pintu_domain::messages::Template;
use pintu_domain::payments::{Account, Channel, Entry, OpenBill, allocate};
use pintu_store::audit::AuditEntry;
use pintu_store::jkn::BillRow;
use pintu_store::outbox::Recipient;
use pintu_store::payments::{self as q, AllocationRow, EntryRow, PaymentRow};
use pintu_store::{BookingWrites, Store};
use tokio::sync::{mpsc, oneshot};

use crate::payments::{Booked, same_payment, wib_day};
use crate::{Error, Result};

/// Most payments booked in one transaction.
const MAX_BATCH: usize = 1_000;

/// Booking tasks on PostgreSQL, each with its share of the families.
const PG_WRITERS: usize = 4;

/// A family payment to book: its row as the channel reported it (the family not yet
/// known), and who booked it.
#[derive(Clone)]
pub(crate) struct Request {
    pub payment: PaymentRow,
    /// A collector's area: a virtual account outside it is refused as unknown.
    pub scope: Option<Scope>,
    pub actor: String,
    pub request_id: Option<String>,
}

/// What became of a payment handed to the booker.
pub(crate) enum Outcome {
    Booked(Box<Booked>),
    /// Its channel and key were booked before the batch: nothing was booked now; the first
    /// booking answers. (A copy of a key the batch books is answered as `Booked`, marked a
    /// duplicate.)
    Duplicate,
    /// The virtual account is no family's (perhaps an employer's).
    NotFamily,
}

type Pending = (Request, oneshot::Sender<Result<Outcome>>);

/// The handle to the booking tasks. Cheap to clone.
#[derive(Clone)]
pub struct PaymentBooker {
    /// One queue per booking task; a family's payments always go to the same one.
    queues: Arc<Vec<mpsc::Sender<Pending>>>,
}

impl PaymentBooker {
    /// Starts the booking tasks on the store's pool: one on SQLite, which has one writer at
    /// a time anyway; on PostgreSQL several, each booking the payments of its own share of
    /// the families (by virtual account), so that their batches never wait for each other:
    /// not on a family's lock, nor on a duplicate payment that the other has yet to commit.
    pub fn start(store: Store) -> PaymentBooker {
        let writers = if store.sqlite_file().is_some() {
            1
        } else {
            PG_WRITERS
        };
        let queues = (0..writers)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<Pending>(4 * MAX_BATCH);
                tokio::spawn(run(store.clone(), rx));
                tx
            })
            .collect();
        PaymentBooker {
            queues: Arc::new(queues),
        }
    }

    /// Books `request` with whatever else is waiting, once it is committed.
    pub(crate) async fn book(&self, request: Request) -> Result<Outcome> {
        let queue = &self.queues[queue_of(&request.payment.va_number, self.queues.len())];
        let (done_tx, done_rx) = oneshot::channel();
        queue
            .send((request, done_tx))
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("payment booker stopped")))?;
        done_rx
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("payment booker stopped")))?
    }
}

/// Which of `queues` a virtual account's payments go to.
fn queue_of(va: &str, queues: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    va.hash(&mut hasher);
    (hasher.finish() % queues.max(1) as u64) as usize
}

/// A booking task: takes the payments waiting in its queue, and those that keep arriving
/// meanwhile, and books them together.
async fn run(store: Store, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    loop {
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        gather(&mut rx, &mut batch).await;
        let (requests, replies): (Vec<Request>, Vec<_>) = batch.drain(..).unzip();
        let requests = Arc::new(requests);
        match guarded(&store, requests.clone()).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) if requests.len() > 1 => {
                tracing::warn!(error = %e, payments = requests.len(), "payment batch failed; booking one at a time");
                for (request, reply) in requests.iter().zip(replies) {
                    let outcome = match guarded(&store, Arc::new(vec![request.clone()])).await {
                        Ok(mut one) => one.pop().unwrap_or_else(|| {
                            Err(Error::Internal(anyhow::anyhow!("payment not booked")))
                        }),
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }
}

/// Under a flood of payments, the callers the last batch answered are sending their next
/// ones as the booker takes the first of them: takes those that keep arriving, so that the
/// batches do not alternate between a full one and a handful. A lone payment waits for
/// nothing (one turn of the scheduler).
async fn gather(rx: &mut mpsc::Receiver<Pending>, batch: &mut Vec<Pending>) {
    while batch.len() < MAX_BATCH {
        tokio::task::yield_now().await;
        let before = batch.len();
        while batch.len() < MAX_BATCH {
            let Ok(pending) = rx.try_recv() else { break };
            batch.push(pending);
        }
        if batch.len() == before {
            break;
        }
    }
}

/// Books a batch on a task of its own, so that a fault in one batch (its transaction rolled
/// back) fails that batch and leaves the booker running.
async fn guarded(store: &Store, requests: Arc<Vec<Request>>) -> Result<Vec<Result<Outcome>>> {
    let store = store.clone();
    tokio::spawn(async move { book_batch(&store, &requests).await })
        .await
        .unwrap_or_else(|e| {
            Err(Error::Internal(anyhow::anyhow!(
                "payment batch stopped: {e}"
            )))
        })
}

/// The month (`YYYY-MM`, WIB) an instant falls in.
fn month_of(at: DateTime<Utc>) -> String {
    wib_day(at).format("%Y-%m").to_string()
}

/// Times a batch is written again when a key it found free was booked meanwhile.
const ATTEMPTS: usize = 3;

/// A payment of the batch to book: its request, and its row with the family.
type Todo = (usize, PaymentRow);

/// What a written batch booked: each request's payment and its allocations.
type Written = Vec<(usize, PaymentRow, Vec<AllocationRow>)>;

/// Books a batch in one transaction: each request's outcome, in order.
async fn book_batch(store: &Store, requests: &[Request]) -> Result<Vec<Result<Outcome>>> {
    let started = std::time::Instant::now();
    let mut outcomes: Vec<Option<Result<Outcome>>> = std::iter::repeat_with(|| None)
        .take(requests.len())
        .collect();
    // Which family each account is (an account never changes family): read before the
    // transaction, so that SQLite's write lock is not held for it.
    let vas: Vec<String> = requests
        .iter()
        .map(|r| r.payment.va_number.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let families = q::families_of_vas(store, &vas).await?;
    // The first of each channel and key is booked; the rest answer with it.
    let mut leads: HashMap<(&str, &str), usize> = HashMap::new();
    let mut followers: Vec<(usize, usize)> = Vec::new();
    let mut todo: Vec<Todo> = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let Some((household, village)) = families.get(&r.payment.va_number) else {
            outcomes[i] = Some(Ok(Outcome::NotFamily));
            continue;
        };
        if let Some(scope) = &r.scope {
            let allowed = pintu_domain::AreaCode::parse(village)
                .map(|area| scope.allows(&area))
                .unwrap_or(false);
            if !allowed {
                outcomes[i] = Some(Err(Error::invalid("va_number", "va_unknown")));
                continue;
            }
        }
        let key = (
            r.payment.channel.as_str(),
            r.payment.idempotency_key.as_str(),
        );
        if let Some(&lead) = leads.get(&key) {
            followers.push((i, lead));
            continue;
        }
        leads.insert(key, i);
        todo.push((
            i,
            PaymentRow {
                household_id: household.clone(),
                village_code: village.clone(),
                ..r.payment.clone()
            },
        ));
    }

    if todo.is_empty() {
        return Ok(finish(outcomes));
    }
    // Who each family's SMS goes to, read as committed on another task meanwhile (on an
    // SQLite file, on the other core while the booker's thread writes).
    let mut recipients = Recipients::read(store, &todo);
    let mut attempt = 1;
    let written = loop {
        if let Some(written) =
            write_batch(store, requests, &mut todo, &mut outcomes, &mut recipients).await?
        {
            break written;
        }
        // A key was booked by another transaction after this one found it free (a channel
        // reusing a key for another account, or another way in): this one was rolled back.
        if attempt == ATTEMPTS {
            return Err(Error::Internal(anyhow::anyhow!(
                "payment keys kept being booked while the batch was written"
            )));
        }
        attempt += 1;
    };

    tracing::debug!(
        payments = requests.len(),
        booked = written.len(),
        ms = started.elapsed().as_millis() as u64,
        "payment batch booked"
    );
    for (i, payment, allocations) in written {
        outcomes[i] = Some(Ok(Outcome::Booked(Box::new(Booked {
            payment,
            allocations,
            duplicate: false,
        }))));
    }
    // A copy of a key the batch itself booked answers with that booking, read from memory.
    for (i, lead) in followers {
        let answer = match &outcomes[lead] {
            Some(Ok(Outcome::Booked(first))) => {
                let copy = &requests[i].payment;
                same_payment(&first.payment, &copy.va_number, copy.amount).map(|()| {
                    Outcome::Booked(Box::new(Booked {
                        payment: first.payment.clone(),
                        allocations: first.allocations.clone(),
                        duplicate: true,
                    }))
                })
            }
            // Booked before the batch, or not at all: answered as any duplicate.
            _ => Ok(Outcome::Duplicate),
        };
        outcomes[i] = Some(answer);
    }
    Ok(finish(outcomes))
}

/// Writes the payments in one transaction, each with its totals, and answers those of
/// `todo` whose keys were booked before as duplicates (taking them out of `todo`): what each
/// of the others came to; `None`, with nothing written, if one of their keys was booked
/// after it was found free.
async fn write_batch(
    store: &Store,
    requests: &[Request],
    todo: &mut Vec<Todo>,
    outcomes: &mut [Option<Result<Outcome>>],
    recipients: &mut Recipients,
) -> Result<Option<Written>> {
    // The other writers of the process wait for the batch, and then take their turns.
    let (tx, _turn) = store.begin_booking().await?;
    let keys: Vec<(&str, &str)> = todo
        .iter()
        .map(|(_, p)| (p.channel.as_str(), p.idempotency_key.as_str()))
        .collect();
    // Until it first writes, its reads may go elsewhere (on SQLite, the reader connections).
    let reads = store.booking_reads(&tx);
    let booked_before = q::booked_keys(&reads, &keys).await?;
    if !booked_before.is_empty() {
        todo.retain(|(i, p)| {
            let before = booked_before.contains(&(p.channel.clone(), p.idempotency_key.clone()));
            if before {
                outcomes[*i] = Some(Ok(Outcome::Duplicate));
            }
            !before
        });
    }
    if todo.is_empty() {
        tx.rollback().await?;
        return Ok(Some(Written::new()));
    }
    let households = families_of(todo);
    // A billing run for these families books before or after this, not in between.
    tx.lock_families(&households).await?;
    let mut open: HashMap<String, Vec<BillRow>> = HashMap::new();
    for bill in q::open_bills_of(&reads, &households).await? {
        open.entry(bill.household_id.clone())
            .or_default()
            .push(bill);
    }
    let mut suspended = q::suspended_among(&reads, &households).await?;

    let mut bill_updates: HashMap<String, (i64, bool, DateTime<Utc>)> = HashMap::new();
    let mut bill_order: Vec<String> = Vec::new();
    let mut allocation_rows: Vec<q::Allocation> = Vec::new();
    let mut entries: Vec<(EntryRow, Vec<pintu_domain::payments::Posting>)> = Vec::new();
    // Families covered again, by the day of payment, with when the payment came.
    let mut reactivations: HashMap<NaiveDate, (Vec<String>, DateTime<Utc>)> = HashMap::new();
    let mut texts: Vec<(usize, String)> = Vec::new();
    let mut audit: Vec<AuditEntry> = Vec::new();
    let mut written: Written = Vec::with_capacity(todo.len());
    for (i, payment) in todo.iter() {
        let r = &requests[*i];
        let mut payment = payment.clone();
        let now = payment.received_at;
        let channel = Channel::parse(&payment.channel)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("channel {}", payment.channel)))?;
        let bills = open.entry(payment.household_id.clone()).or_default();
        let offered: Vec<OpenBill> = bills
            .iter()
            .map(|b| OpenBill {
                id: b.id.clone(),
                period: b.period.clone(),
                outstanding: b.outstanding(),
            })
            .collect();
        let (allocations, credit) = allocate(&offered, payment.amount);
        let allocated = payment.amount - credit;
        // Arrears paid: a suspended family is covered again from the day of payment.
        let day = wib_day(payment.paid_at);
        let still_overdue = bills
            .iter()
            .any(|b| b.due_on < day && !allocations.iter().any(|a| a.bill_id == b.id && a.settles));
        let mut shown = Vec::with_capacity(allocations.len());
        for a in &allocations {
            if let Some(bill) = bills.iter_mut().find(|b| b.id == a.bill_id) {
                bill.paid += a.amount;
                shown.push(AllocationRow {
                    payment_id: payment.id.clone(),
                    bill_id: bill.id.clone(),
                    period: bill.period.clone(),
                    amount: a.amount,
                    at: now,
                });
            }
            let update = bill_updates.entry(a.bill_id.clone()).or_insert_with(|| {
                bill_order.push(a.bill_id.clone());
                (0, false, now)
            });
            update.0 += a.amount;
            update.1 = a.settles;
            update.2 = now;
            allocation_rows.push((payment.id.clone(), a.bill_id.clone(), a.amount, now));
        }
        bills.retain(|b| b.outstanding() > 0);
        let reactivated = !still_overdue && suspended.remove(&payment.household_id);
        if reactivated {
            let (families, at) = reactivations
                .entry(day)
                .or_insert_with(|| (Vec::new(), now));
            families.push(payment.household_id.clone());
            *at = (*at).max(now);
        }
        let postings = Entry::new()
            .debit(channel.holding_account(), payment.amount)
            .credit(Account::MemberReceivable, allocated)
            .credit(Account::MemberCredit, credit)
            .debit(Account::CollectionCost, payment.fee)
            .credit(Account::FeesPayable, payment.fee)
            .balanced()
            .map_err(|e| Error::Internal(anyhow::anyhow!("payment entry: {e:?}")))?;
        entries.push((
            EntryRow {
                id: payment.entry_id.clone(),
                kind: "payment".into(),
                ref_id: payment.id.clone(),
                village_code: payment.village_code.clone(),
                period: month_of(payment.paid_at),
                at: now,
                memo: Some(format!("{} {}", channel.code(), payment.reference)),
            },
            postings,
        ));
        texts.push((
            written.len(),
            if reactivated {
                format!("Rp{} ({}) - JKN AKTIF", payment.amount, payment.reference)
            } else {
                format!("Rp{} ({})", payment.amount, payment.reference)
            },
        ));
        audit.push(AuditEntry {
            at: Utc::now(),
            actor: r.actor.clone(),
            action: "payment.book".into(),
            record_type: "payment".into(),
            record_id: Some(payment.id.clone()),
            area_code: Some(payment.village_code.clone()),
            request_id: r.request_id.clone(),
            detail: Some(format!(
                "channel={} amount={} allocated={allocated} credit={credit}",
                channel.code(),
                payment.amount
            )),
        });
        payment.allocated = allocated;
        payment.credit = credit;
        payment.reactivated = reactivated;
        written.push((*i, payment, shown));
    }

    let bills: Vec<q::BillPaid> = bill_order
        .into_iter()
        .filter_map(|id| {
            let (amount, settles, at) = bill_updates.remove(&id)?;
            Some((id, amount, settles, at))
        })
        .collect();
    // Each family is told by SMS.
    let recipients = recipients.get().await?;
    let mut messages = Vec::with_capacity(written.len());
    for (at, text) in &texts {
        let payment = &written[*at].1;
        let Some((person, village, phone, lang)) = recipients.get(&payment.household_id) else {
            continue;
        };
        messages.extend(crate::messages::message_row(
            &crate::messages::Notice {
                person_id: person,
                village_code: village,
                phone: Some(phone),
                template: Template::PaymentReceived,
                programme: &payment.va_number,
                reason: Some(text),
                subject_type: "jkn_bill",
                subject_id: &payment.id,
            },
            lang.as_deref(),
            payment.received_at,
        ));
    }
    let writes = BookingWrites {
        payments: written.iter().map(|(_, p, _)| p.clone()).collect(),
        bills,
        allocations: allocation_rows,
        entries,
        reactivations: reactivations
            .into_iter()
            .map(|(day, (families, at))| (day, families, at))
            .collect(),
        messages,
        audit,
    };
    // The payments go in with their totals; a key taken since it was checked undoes all.
    if !tx.write(writes).await? {
        return Ok(None);
    }
    store.checkpoint_soon();
    Ok(Some(written))
}

/// The families of the payments to book, each once, in order.
fn families_of(todo: &[Todo]) -> Vec<String> {
    todo.iter()
        .map(|(_, p)| p.household_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Whom the SMS to the families of a batch go to: being read on a task of its own, then
/// read. Read as committed, outside the batch's transaction: a phone number changed while
/// the batch is written may be missed by its messages, as by any sent a moment earlier.
enum Recipients {
    Reading(tokio::task::JoinHandle<Result<HashMap<String, Recipient>>>),
    Read(HashMap<String, Recipient>),
}

impl Recipients {
    /// Starts reading the recipients of the families of `todo`.
    fn read(store: &Store, todo: &[Todo]) -> Recipients {
        let households = families_of(todo);
        let store = store.clone();
        Recipients::Reading(tokio::spawn(async move {
            Ok(pintu_store::outbox::family_recipients_committed(&store, &households).await?)
        }))
    }

    /// The recipients, once read.
    async fn get(&mut self) -> Result<&HashMap<String, Recipient>> {
        if let Recipients::Reading(reading) = self {
            let read = reading
                .await
                .map_err(|e| Error::Internal(anyhow::anyhow!("recipients read stopped: {e}")))??;
            *self = Recipients::Read(read);
        }
        match self {
            Recipients::Read(read) => Ok(read),
            Recipients::Reading(_) => unreachable!("read above"),
        }
    }
}

fn finish(outcomes: Vec<Option<Result<Outcome>>>) -> Vec<Result<Outcome>> {
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::Internal(anyhow::anyhow!("payment not booked")))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::queue_of;

    #[test]
    fn a_family_keeps_its_queue_and_the_families_spread_over_all() {
        let mut per_queue = [0usize; 4];
        for i in 0..4000 {
            let va = format!("8888800{i:010}");
            let queue = queue_of(&va, 4);
            assert_eq!(queue, queue_of(&va, 4));
            per_queue[queue] += 1;
        }
        assert!(
            per_queue.iter().all(|&n| (800..1200).contains(&n)),
            "{per_queue:?}"
        );
        assert_eq!(queue_of("88888001", 1), 0);
    }
}
