//! E-wallet auto-debit of JKN family contributions: a family authorises one e-wallet
//! account (a mandate), and each bill is then debited from it when it is issued, retried on
//! later days when the wallet refuses, a few times at most.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::complaints::codes;

codes! {
    /// The e-wallets a family may authorise.
    Wallet {
        Gopay = "gopay",
        Ovo = "ovo",
        Dana = "dana",
        Shopeepay = "shopeepay",
        Linkaja = "linkaja",
    }
}

impl Wallet {
    /// The wallet's name as its users know it.
    pub fn name(self) -> &'static str {
        match self {
            Wallet::Gopay => "GoPay",
            Wallet::Ovo => "OVO",
            Wallet::Dana => "DANA",
            Wallet::Shopeepay => "ShopeePay",
            Wallet::Linkaja => "LinkAja",
        }
    }
}

codes! {
    /// Where a mandate stands.
    MandateStatus {
        Active = "active",
        Cancelled = "cancelled",
    }
}

codes! {
    /// Where a debit request stands.
    DebitStatus {
        /// Recorded, not yet answered by the gateway (sent again until it answers).
        Pending = "pending",
        /// The gateway took it; its callback with the money is awaited.
        Accepted = "accepted",
        /// The money came and was booked.
        Paid = "paid",
        /// The wallet refused it (no balance, mandate unknown ...), or the debit failed.
        Failed = "failed",
        /// Not sent after all: the bill was paid, or the mandate cancelled, before it went.
        Cancelled = "cancelled",
    }
}

/// Debits tried for one bill, each on its own day, before Pintu stops trying.
pub const MAX_DEBIT_ATTEMPTS: i32 = 3;

/// An e-wallet account's phone number, normalised to `+62...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletPhone(String);

impl WalletPhone {
    /// An Indonesian mobile number (`08...`, `628...` or `+628...`, spaces and dashes
    /// allowed); `phone_invalid` otherwise.
    pub fn parse(s: &str) -> Result<WalletPhone, &'static str> {
        let mut invalid = Invalid::default();
        match crate::household::phone(&Some(s.to_string()), "phone", &mut invalid) {
            Some(p) => Ok(WalletPhone(p)),
            None if invalid.is_empty() => Err("required"),
            None => Err("phone_invalid"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as shown: the national form with all but its first four and last three
/// digits hidden (`0812*****890`).
pub fn masked_phone(phone: &str) -> String {
    let local = match phone.strip_prefix("+62") {
        Some(rest) => format!("0{rest}"),
        None => phone.to_string(),
    };
    let n = local.chars().count();
    if n <= 7 {
        return "*".repeat(n);
    }
    local
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= n - 3 { c } else { '*' })
        .collect()
}

/// A refusal reason as a gateway reports it, kept to a short snake_case code; anything else
/// becomes `refused`.
pub fn refusal_code(s: &str) -> String {
    let s = s.trim();
    if (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        s.to_string()
    } else {
        "refused".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_phones_are_normalised_and_shown_masked() {
        let p = WalletPhone::parse("0812-3456-7890").expect("valid");
        assert_eq!(p.as_str(), "+6281234567890");
        assert_eq!(masked_phone(p.as_str()), "0812*****890");
        assert_eq!(WalletPhone::parse("12345"), Err("phone_invalid"));
        assert_eq!(WalletPhone::parse(" "), Err("required"));
        assert_eq!(masked_phone("+62812"), "****");
    }

    #[test]
    fn wallets_and_reasons_have_stable_codes() {
        for w in Wallet::ALL {
            assert_eq!(Wallet::parse(w.code()), Some(*w));
        }
        assert_eq!(Wallet::parse("paypal"), None);
        assert_eq!(refusal_code("insufficient_balance"), "insufficient_balance");
        assert_eq!(refusal_code("<script>"), "refused");
    }
}
