//! Payments of JKN contributions and the double-entry ledger they are booked in (PAY-3).
//!
//! Every amount is whole rupiah. A journal entry is a list of postings, debits positive and
//! credits negative, that sum to zero; [`Entry::balanced`] refuses one that does not.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How a payment reached Pintu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A bank's virtual-account callback.
    BankVa,
    /// An e-wallet's callback.
    Ewallet,
    /// A retail outlet's (minimarket, post office) callback.
    Retail,
    /// An e-wallet debit the family authorised once, taken when each bill is issued.
    AutoDebit,
    /// Cash at a BPJS or village office counter.
    Counter,
    /// Cash collected by an agent (Kader JKN, PERISAI) in the community.
    Agent,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::BankVa,
        Channel::Ewallet,
        Channel::Retail,
        Channel::AutoDebit,
        Channel::Counter,
        Channel::Agent,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::BankVa => "bank_va",
            Channel::Ewallet => "ewallet",
            Channel::Retail => "retail",
            Channel::AutoDebit => "auto_debit",
            Channel::Counter => "counter",
            Channel::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Cash taken by an officer or agent, deposited at the bank at the end of the day.
    pub fn is_cash(self) -> bool {
        matches!(self, Channel::Counter | Channel::Agent)
    }

    /// The channels that call back with a signed webhook.
    pub fn is_callback(self) -> bool {
        !self.is_cash()
    }

    /// Where the money sits until it reaches the bank account.
    pub fn holding_account(self) -> Account {
        if self.is_cash() {
            Account::AgentCash
        } else {
            Account::Clearing(self)
        }
    }
}

/// The ledger's accounts. Assets and expenses carry debit balances, the rest credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// What families owe on their bills.
    MemberReceivable,
    /// What the state owes: the class 3 subsidy and PBI contributions.
    SubsidyReceivable,
    /// JKN contributions earned, billed.
    ContributionRevenue,
    /// BPJS Ketenagakerjaan contributions employers paid.
    TkContributionRevenue,
    /// Money a payment channel has taken and not yet settled to the bank.
    Clearing(Channel),
    /// Cash collected by agents and counters, not yet deposited.
    AgentCash,
    /// The contribution bank account.
    Bank,
    /// Over-payments kept for the family's next bills.
    MemberCredit,
    /// Fees paid to channels and agents for collecting.
    CollectionCost,
    /// Fees owed to channels and agents.
    FeesPayable,
    /// Arrears older than the 24 months that count, no longer claimed.
    ArrearsWrittenOff,
}

impl Account {
    pub fn all() -> Vec<Account> {
        let mut all = vec![
            Account::MemberReceivable,
            Account::SubsidyReceivable,
            Account::ContributionRevenue,
            Account::TkContributionRevenue,
        ];
        all.extend(
            Channel::ALL
                .into_iter()
                .filter(|c| c.is_callback())
                .map(Account::Clearing),
        );
        all.extend([
            Account::AgentCash,
            Account::Bank,
            Account::MemberCredit,
            Account::CollectionCost,
            Account::FeesPayable,
            Account::ArrearsWrittenOff,
        ]);
        all
    }

    pub fn code(self) -> String {
        match self {
            Account::MemberReceivable => "member_receivable".into(),
            Account::SubsidyReceivable => "subsidy_receivable".into(),
            Account::ContributionRevenue => "contribution_revenue".into(),
            Account::TkContributionRevenue => "tk_contribution_revenue".into(),
            Account::Clearing(c) => format!("clearing_{}", c.code()),
            Account::AgentCash => "agent_cash".into(),
            Account::Bank => "bank".into(),
            Account::MemberCredit => "member_credit".into(),
            Account::CollectionCost => "collection_cost".into(),
            Account::FeesPayable => "fees_payable".into(),
            Account::ArrearsWrittenOff => "arrears_written_off".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Account> {
        Account::all().into_iter().find(|a| a.code() == s)
    }

    /// Assets and expenses: their balance is debits less credits.
    pub fn is_debit_normal(self) -> bool {
        matches!(
            self,
            Account::MemberReceivable
                | Account::SubsidyReceivable
                | Account::Clearing(_)
                | Account::AgentCash
                | Account::Bank
                | Account::CollectionCost
                | Account::ArrearsWrittenOff
        )
    }
}

/// One line of an entry: a debit (positive) or credit (negative) to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub amount: i64,
}

/// Why an entry cannot be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerError {
    /// Debits and credits differ.
    Unbalanced,
    /// Nothing to book.
    Empty,
}

/// A journal entry being built.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    postings: Vec<Posting>,
}

impl Entry {
    pub fn new() -> Entry {
        Entry::default()
    }

    pub fn debit(mut self, account: Account, amount: i64) -> Entry {
        self.postings.push(Posting { account, amount });
        self
    }

    pub fn credit(mut self, account: Account, amount: i64) -> Entry {
        self.postings.push(Posting {
            account,
            amount: -amount,
        });
        self
    }

    /// The postings, zero lines dropped, if they sum to zero.
    pub fn balanced(self) -> Result<Vec<Posting>, LedgerError> {
        let postings: Vec<Posting> = self
            .postings
            .into_iter()
            .filter(|p| p.amount != 0)
            .collect();
        if postings.is_empty() {
            return Err(LedgerError::Empty);
        }
        let sum = postings
            .iter()
            .try_fold(0i64, |s, p| s.checked_add(p.amount))
            .ok_or(LedgerError::Unbalanced)?;
        if sum != 0 {
            return Err(LedgerError::Unbalanced);
        }
        Ok(postings)
    }
}

/// What is left to pay on a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBill {
    pub id: String,
    /// `YYYY-MM`: bills are paid oldest first.
    pub period: String,
    pub outstanding: i64,
}

/// Part of a payment put on a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub bill_id: String,
    pub amount: i64,
    /// The bill is paid in full with this.
    pub settles: bool,
}

/// Puts `amount` on the open bills, oldest period first, each paid in full before the next;
/// the last may be paid in part. What is left over is the family's credit.
pub fn allocate(bills: &[OpenBill], amount: i64) -> (Vec<Allocation>, i64) {
    let mut order: Vec<&OpenBill> = bills.iter().filter(|b| b.outstanding > 0).collect();
    order.sort_by(|a, b| a.period.cmp(&b.period).then_with(|| a.id.cmp(&b.id)));
    let mut left = amount.max(0);
    let mut out = Vec::new();
    for bill in order {
        if left == 0 {
            break;
        }
        let put = left.min(bill.outstanding);
        left -= put;
        out.push(Allocation {
            bill_id: bill.id.clone(),
            amount: put,
            settles: put == bill.outstanding,
        });
    }
    (out, left)
}

/// What a channel charges for each payment it collects, from a date on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChannelFee {
    pub channel: Channel,
    pub effective_from: NaiveDate,
    /// Rupiah per payment.
    #[serde(default)]
    pub flat: i64,
    /// Thousandths of the amount.
    #[serde(default)]
    pub per_mille: i64,
}

impl ChannelFee {
    /// The fee on `amount`, rounded half up.
    pub fn fee(&self, amount: i64) -> i64 {
        self.flat + (amount * self.per_mille + 500) / 1000
    }
}

/// The fee in force for `channel` on `on`, if any.
pub fn fee_in_force(fees: &[ChannelFee], channel: Channel, on: NaiveDate) -> Option<&ChannelFee> {
    fees.iter()
        .filter(|f| f.channel == channel && f.effective_from <= on)
        .max_by_key(|f| f.effective_from)
}

/// How many months of arrears count: older open bills are written off.
pub const ARREARS_MONTHS: u32 = 24;

/// The oldest period whose bill still counts as arrears in `period` (`YYYY-MM`).
pub fn oldest_counted_period(period_start: NaiveDate) -> String {
    period_start
        .checked_sub_months(chrono::Months::new(ARREARS_MONTHS - 1))
        .unwrap_or(period_start)
        .format("%Y-%m")
        .to_string()
}

/// A virtual account number: the bank's 5-digit prefix and the family's 13-digit key.
pub fn valid_va(s: &str) -> bool {
    (10..=24).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A channel's payment reference or idempotency key: printable ASCII, no spaces, 1-80.
pub fn valid_reference(s: &str) -> bool {
    (1..=80).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bill(id: &str, period: &str, outstanding: i64) -> OpenBill {
        OpenBill {
            id: id.into(),
            period: period.into(),
            outstanding,
        }
    }

    #[test]
    fn payments_go_to_the_oldest_bill_first_and_the_rest_is_credit() {
        let bills = [
            bill("dec", "2026-12", 105_000),
            bill("oct", "2026-10", 105_000),
            bill("nov", "2026-11", 40_000),
        ];
        // Under: the oldest in full, the next in part.
        let (a, credit) = allocate(&bills, 120_000);
        assert_eq!(credit, 0);
        assert_eq!(
            a,
            vec![
                Allocation {
                    bill_id: "oct".into(),
                    amount: 105_000,
                    settles: true
                },
                Allocation {
                    bill_id: "nov".into(),
                    amount: 15_000,
                    settles: false
                },
            ]
        );
        // Over: everything paid, the rest kept.
        let (a, credit) = allocate(&bills, 300_000);
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|x| x.settles));
        assert_eq!(credit, 50_000);
        // No bills: all credit.
        assert_eq!(allocate(&[], 35_000), (vec![], 35_000));
    }

    #[test]
    fn an_entry_must_balance() {
        let ok = Entry::new()
            .debit(Account::Clearing(Channel::BankVa), 105_000)
            .credit(Account::MemberReceivable, 100_000)
            .credit(Account::MemberCredit, 5_000)
            .debit(Account::CollectionCost, 0)
            .balanced()
            .expect("balanced");
        assert_eq!(ok.len(), 3);
        assert_eq!(
            Entry::new()
                .debit(Account::Bank, 10)
                .credit(Account::AgentCash, 9)
                .balanced(),
            Err(LedgerError::Unbalanced)
        );
        assert_eq!(Entry::new().balanced(), Err(LedgerError::Empty));
    }

    #[test]
    fn accounts_and_channels_round_trip_their_codes() {
        for a in Account::all() {
            assert_eq!(Account::parse(&a.code()), Some(a));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
        assert_eq!(
            Channel::Agent.holding_account(),
            Account::AgentCash,
            "cash waits with the agent"
        );
    }

    #[test]
    fn fees_and_the_arrears_window() {
        let fees = [
            ChannelFee {
                channel: Channel::Agent,
                effective_from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
                flat: 0,
                per_mille: 50,
            },
            ChannelFee {
                channel: Channel::Agent,
                effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
                flat: 1_000,
                per_mille: 40,
            },
        ];
        let on = NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
        assert_eq!(
            fee_in_force(&fees, Channel::Agent, on).map(|f| f.fee(35_000)),
            Some(1_750)
        );
        let on = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        assert_eq!(
            fee_in_force(&fees, Channel::Agent, on).map(|f| f.fee(35_000)),
            Some(2_400)
        );
        assert_eq!(fee_in_force(&fees, Channel::BankVa, on), None);
        // December 2026 counts back to January 2025: 24 months.
        let dec = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(oldest_counted_period(dec), "2025-01");
    }

    proptest! {
        /// Allocation never loses or makes money, never overpays a bill, and pays the bills
        /// strictly in period order.
        #[test]
        fn allocation_conserves_the_payment(
            outstanding in proptest::collection::vec(1i64..500_000, 0..12),
            amount in 0i64..3_000_000,
        ) {
            let bills: Vec<OpenBill> = outstanding
                .iter()
                .enumerate()
                .map(|(i, o)| bill(&format!("b{i}"), &format!("2025-{:02}", 12 - i), *o))
                .collect();
            let (allocs, credit) = allocate(&bills, amount);
            let put: i64 = allocs.iter().map(|a| a.amount).sum();
            prop_assert_eq!(put + credit, amount);
            prop_assert!(credit == 0 || allocs.iter().all(|a| a.settles));
            prop_assert!(credit == 0 || allocs.len() == bills.len());
            for a in &allocs {
                let b = bills.iter().find(|b| b.id == a.bill_id).expect("bill");
                prop_assert!(a.amount > 0 && a.amount <= b.outstanding);
                prop_assert_eq!(a.settles, a.amount == b.outstanding);
            }
            // Only the last allocation may leave its bill open.
            for a in allocs.iter().rev().skip(1) {
                prop_assert!(a.settles);
            }
            let periods: Vec<&str> = allocs
                .iter()
                .map(|a| bills.iter().find(|b| b.id == a.bill_id).expect("bill").period.as_str())
                .collect();
            let mut sorted = periods.clone();
            sorted.sort();
            prop_assert_eq!(periods, sorted);
        }

        /// An entry that balances is accepted with its postings, one that does not is refused.
        #[test]
        fn only_balanced_entries_are_booked(
            debits in proptest::collection::vec(0i64..1_000_000, 1..6),
            skew in -3i64..3,
        ) {
            let total: i64 = debits.iter().sum();
            let mut e = Entry::new();
            for d in &debits {
                e = e.debit(Account::Bank, *d);
            }
            let e = e.credit(Account::MemberReceivable, total + skew);
            match e.balanced() {
                Ok(p) => {
                    prop_assert_eq!(skew, 0);
                    prop_assert_eq!(p.iter().map(|p| p.amount).sum::<i64>(), 0);
                }
                Err(err) => prop_assert!(skew != 0 || total == 0, "{err:?}"),
            }
        }
    }
}
