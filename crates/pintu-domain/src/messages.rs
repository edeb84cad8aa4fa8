//! Messages to residents (MSG-1): the notices Pintu sends, their texts in Bahasa Indonesia
//! and English within one SMS, and how often a failed send is retried.
//!
//! Texts use plain ASCII, so that every character counts as one in the GSM 7-bit alphabet
//! and a message fits in one SMS of [`SMS_MAX_CHARS`].

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::complaints::codes;

/// The characters of one SMS in the GSM 7-bit alphabet.
pub const SMS_MAX_CHARS: usize = 160;
/// Sends tried before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 6;

codes! {
    /// Where a message is.
    Status {
        /// Written with the change it announces; waiting for the dispatcher.
        Queued = "queued",
        /// Claimed by a dispatcher, being sent.
        Sending = "sending",
        /// Accepted by the gateway.
        Sent = "sent",
        /// Reported delivered by the gateway.
        Delivered = "delivered",
        /// Given up: refused by the gateway, or every attempt failed.
        Failed = "failed",
    }
}

codes! {
    /// What a message says.
    Template {
        ApplicationApproved = "application_approved",
        ApplicationRejected = "application_rejected",
        ApplicationEnrolled = "application_enrolled",
        /// The answer to an SMS command.
        SmsReply = "sms_reply",
        /// A person on a village's pre-identified list is invited to complete an application.
        PreIdentified = "pre_identified",
        /// A one-time code to log in to the resident portal (in `reason`).
        LoginCode = "login_code",
        /// A complaint resolved, with the answer (in `reason`; the reference in
        /// `programme`).
        ComplaintResolved = "complaint_resolved",
        /// A resident's change request confirmed (`programme` is its kind: `phone` or
        /// `address`).
        ChangeConfirmed = "change_confirmed",
        /// A resident's change request rejected, with the reason.
        ChangeRejected = "change_rejected",
        /// A family's JKN bill (`programme`: the virtual account; `reason`: amount and due
        /// date).
        BillIssued = "bill_issued",
        /// A family's JKN cover suspended for an unpaid bill (`programme`: the virtual
        /// account).
        MembershipSuspended = "membership_suspended",
        /// A payment received for a family's JKN (`programme`: the virtual account;
        /// `reason`: the amount and reference).
        PaymentReceived = "payment_received",
        /// A family's JKN bill falls due in a few days (`programme`: the virtual account;
        /// `reason`: what is owed and the due date).
        BillDueSoon = "bill_due_soon",
        /// A family's JKN bill is overdue (`programme`: the virtual account; `reason`: what
        /// is owed).
        BillOverdue = "bill_overdue",
        /// An e-wallet auto-debit of a family's JKN bill failed (`programme`: the virtual
        /// account; `reason`: the wallet, amount and why).
        DebitFailed = "debit_failed",
        /// A one-time code that confirms an e-wallet auto-debit mandate, sent to the
        /// wallet's number (`programme`: the wallet's name; `reason`: the code).
        DebitMandateCode = "debit_mandate_code",
    }
}

impl Template {
    /// Whether the message carries a one-time code (in `reason`) that only its recipient
    /// may read: a login code, or the code that confirms an auto-debit mandate.
    pub fn carries_code(self) -> bool {
        matches!(self, Template::LoginCode | Template::DebitMandateCode)
    }
}

/// The language a resident reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// `en` is English; anything else Bahasa Indonesia.
    pub fn parse(s: &str) -> Lang {
        if s.trim().eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Id
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

/// Keeps text to the characters that count as one in an SMS: printable ASCII; anything
/// else becomes its closest plain letter or a space.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c,
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            _ => ' ',
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `head` + `tail` with `middle` cut (ending in "...") so the whole fits in one SMS.
fn fit(head: &str, middle: &str, tail: &str) -> String {
    let middle = plain(middle);
    let room = SMS_MAX_CHARS.saturating_sub(head.len() + tail.len());
    let middle = if middle.len() <= room {
        middle
    } else {
        let cut: String = middle.chars().take(room.saturating_sub(3)).collect();
        format!("{}...", cut.trim_end())
    };
    format!("{head}{middle}{tail}")
}

/// A free text cut to one SMS of plain characters.
pub fn one_sms(text: &str) -> String {
    fit("", text, "")
}

/// The text of a message about `programme` (its code), with `reason` for a rejection (for
/// [`Template::SmsReply`], `reason` is the whole answer).
pub fn render(template: Template, lang: Lang, programme: &str, reason: Option<&str>) -> String {
    let programme: String = plain(programme).chars().take(24).collect();
    match (template, lang) {
        (Template::ApplicationApproved, Lang::Id) => fit(
            &format!("Pintu: Permohonan {programme} Anda DISETUJUI. "),
            "Tunggu kabar pendaftaran dari kantor desa/kelurahan.",
            "",
        ),
        (Template::ApplicationApproved, Lang::En) => fit(
            &format!("Pintu: Your {programme} application was APPROVED. "),
            "The village office will tell you about enrolment.",
            "",
        ),
        (Template::ApplicationRejected, Lang::Id) => fit(
            &format!("Pintu: Permohonan {programme} Anda DITOLAK. Alasan: "),
            reason.unwrap_or("-"),
            ". Info: kantor desa/kelurahan.",
        ),
        (Template::ApplicationRejected, Lang::En) => fit(
            &format!("Pintu: Your {programme} application was REJECTED. Reason: "),
            reason.unwrap_or("-"),
            ". Ask your village office.",
        ),
        (Template::ApplicationEnrolled, Lang::Id) => fit(
            &format!("Pintu: Anda sudah TERDAFTAR sebagai peserta {programme}. "),
            "Simpan pesan ini.",
            "",
        ),
        (Template::SmsReply, _) => one_sms(reason.unwrap_or("")),
        (Template::PreIdentified, Lang::Id) => fit(
            &format!("Pintu: Anda teridentifikasi sebagai calon peserta {programme}. "),
            "Datang ke kantor desa/kelurahan dengan KTP dan KK untuk melengkapi permohonan.",
            "",
        ),
        (Template::PreIdentified, Lang::En) => fit(
            &format!("Pintu: You may be eligible for {programme}. "),
            "Bring your KTP and KK to the village office to complete the application.",
            "",
        ),
        (Template::ChangeConfirmed, Lang::Id) => fit(
            &format!(
                "Pintu: perubahan {} Anda sudah dicatat oleh kantor desa/kelurahan.",
                if programme == "phone" {
                    "nomor HP"
                } else {
                    "alamat"
                }
            ),
            "",
            "",
        ),
        (Template::ChangeConfirmed, Lang::En) => fit(
            &format!(
                "Pintu: your new {} was recorded by the village office.",
                if programme == "phone" {
                    "phone number"
                } else {
                    "address"
                }
            ),
            "",
            "",
        ),
        (Template::ChangeRejected, Lang::Id) => fit(
            &format!(
                "Pintu: permintaan ubah {} Anda ditolak. Alasan: ",
                if programme == "phone" {
                    "nomor HP"
                } else {
                    "alamat"
                }
            ),
            reason.unwrap_or("-"),
            ". Info: kantor desa/kelurahan.",
        ),
        (Template::ChangeRejected, Lang::En) => fit(
            &format!(
                "Pintu: your {} change was rejected. Reason: ",
                if programme == "phone" {
                    "phone number"
                } else {
                    "address"
                }
            ),
            reason.unwrap_or("-"),
            ". Ask your village office.",
        ),
        (Template::BillIssued, Lang::Id) => fit(
            &format!("Pintu: tagihan JKN keluarga Anda, VA {programme}: "),
            reason.unwrap_or("-"),
            ". Bayar sebelum jatuh tempo agar tetap aktif.",
        ),
        (Template::BillIssued, Lang::En) => fit(
            &format!("Pintu: your family's JKN bill, VA {programme}: "),
            reason.unwrap_or("-"),
            ". Pay by the due date to stay covered.",
        ),
        (Template::MembershipSuspended, Lang::Id) => fit(
            &format!(
                "Pintu: JKN keluarga Anda NONAKTIF karena tagihan belum dibayar. Bayar tunggakan ke VA {programme} untuk aktif kembali."
            ),
            "",
            "",
        ),
        (Template::MembershipSuspended, Lang::En) => fit(
            &format!(
                "Pintu: your family's JKN cover is SUSPENDED for an unpaid bill. Pay the arrears to VA {programme} to reactivate."
            ),
            "",
            "",
        ),
        (Template::BillDueSoon, Lang::Id) => fit(
            &format!("Pintu: pengingat tagihan JKN, VA {programme}: "),
            reason.unwrap_or("-"),
            ". Bayar sebelum jatuh tempo agar tetap aktif.",
        ),
        (Template::BillDueSoon, Lang::En) => fit(
            &format!("Pintu: JKN bill reminder, VA {programme}: "),
            reason.unwrap_or("-"),
            ". Pay by the due date to stay covered.",
        ),
        (Template::BillOverdue, Lang::Id) => fit(
            &format!("Pintu: tagihan JKN VA {programme} LEWAT jatuh tempo: "),
            reason.unwrap_or("-"),
            ". Bayar sebelum akhir bulan agar JKN tidak nonaktif.",
        ),
        (Template::BillOverdue, Lang::En) => fit(
            &format!("Pintu: JKN bill VA {programme} is OVERDUE: "),
            reason.unwrap_or("-"),
            ". Pay before the month ends to keep your cover.",
        ),
        (Template::DebitFailed, Lang::Id) => fit(
            &format!("Pintu: debit otomatis JKN VA {programme} GAGAL: "),
            reason.unwrap_or("-"),
            ". Isi saldo e-wallet atau bayar lewat VA.",
        ),
        (Template::DebitFailed, Lang::En) => fit(
            &format!("Pintu: JKN auto-debit for VA {programme} FAILED: "),
            reason.unwrap_or("-"),
            ". Top up the e-wallet or pay to the VA.",
        ),
        (Template::PaymentReceived, Lang::Id) => fit(
            &format!("Pintu: pembayaran JKN ke VA {programme} diterima: "),
            reason.unwrap_or("-"),
            ". Terima kasih.",
        ),
        (Template::PaymentReceived, Lang::En) => fit(
            &format!("Pintu: JKN payment to VA {programme} received: "),
            reason.unwrap_or("-"),
            ". Thank you.",
        ),
        (Template::ComplaintResolved, Lang::Id) => fit(
            &format!("Pintu: aduan {programme} selesai. Jawaban: "),
            reason.unwrap_or("-"),
            ". Info: kantor desa/kelurahan.",
        ),
        (Template::ComplaintResolved, Lang::En) => fit(
            &format!("Pintu: complaint {programme} is resolved. Answer: "),
            reason.unwrap_or("-"),
            ". Ask your village office.",
        ),
        (Template::DebitMandateCode, Lang::Id) => fit(
            &format!("Pintu: kode autodebet JKN dari {programme}: "),
            reason.unwrap_or("-"),
            ". Berlaku 10 menit. Berikan hanya jika Anda setuju tagihan JKN didebet dari e-wallet ini.",
        ),
        (Template::DebitMandateCode, Lang::En) => fit(
            &format!("Pintu: JKN auto-debit code for {programme}: "),
            reason.unwrap_or("-"),
            ". Valid 10 minutes. Give it only if you agree to JKN bills being debited from this e-wallet.",
        ),
        (Template::LoginCode, Lang::Id) => fit(
            "Pintu: kode masuk Anda ",
            reason.unwrap_or("-"),
            ". Berlaku 10 menit. JANGAN berikan kode ini kepada siapa pun, termasuk petugas.",
        ),
        (Template::LoginCode, Lang::En) => fit(
            "Pintu: your login code is ",
            reason.unwrap_or("-"),
            ". Valid 10 minutes. Do NOT give this code to anyone, officers included.",
        ),
        (Template::ApplicationEnrolled, Lang::En) => fit(
            &format!("Pintu: You are now ENROLLED in {programme}. "),
            "Keep this message.",
            "",
        ),
    }
}

/// How long to wait before the attempt after `attempts` failed ones: 1, 2, 4 ... minutes,
/// at most an hour.
pub fn retry_delay(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(0, 6);
    Duration::minutes(minutes.min(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_fits_one_sms_even_with_the_longest_reason() {
        let long = "Data penghasilan keluarga tidak sesuai dengan hasil verifikasi lapangan \
                    oleh pendamping; silakan ajukan kembali setelah data diperbaiki di desa. "
            .repeat(3);
        for &t in Template::ALL {
            for lang in [Lang::Id, Lang::En] {
                for reason in [
                    None,
                    Some("Sudah menerima program serupa"),
                    Some(long.as_str()),
                ] {
                    let text = render(t, lang, "BPJS-TK-BPU-PANJANG-KODE", reason);
                    assert!(
                        text.len() <= SMS_MAX_CHARS,
                        "{t:?} {lang:?}: {} {text}",
                        text.len()
                    );
                    assert!(text.is_ascii(), "{text}");
                }
            }
        }
        let cut = render(Template::ApplicationRejected, Lang::Id, "PKH", Some(&long));
        assert!(
            cut.contains("...") && cut.ends_with("kantor desa/kelurahan."),
            "{cut}"
        );
    }

    #[test]
    fn a_mandate_code_is_never_cut() {
        for lang in [Lang::Id, Lang::En] {
            let text = render(
                Template::DebitMandateCode,
                lang,
                "BPJS-TK-BPU-PANJANG-KODE",
                Some("123456"),
            );
            assert!(text.contains(": 123456. "), "{text}");
        }
    }

    #[test]
    fn the_reason_is_told_in_plain_letters() {
        let text = render(
            Template::ApplicationRejected,
            Lang::En,
            "PKH",
            Some("Résumé\nmissing — see office"),
        );
        assert_eq!(
            text,
            "Pintu: Your PKH application was REJECTED. Reason: Resume missing see office. Ask your village office."
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(0), Duration::minutes(1));
        assert_eq!(retry_delay(1), Duration::minutes(2));
        assert_eq!(retry_delay(5), Duration::minutes(32));
        assert_eq!(retry_delay(9), Duration::minutes(60));
    }
}
