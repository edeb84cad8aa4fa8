//! SMS commands for residents without a smartphone (MSG-2): `CEK <NIK>`, `DAFTAR <kode
//! program>`, `ADUAN <isi>` and `BANTUAN`. Anything else is answered with the help text,
//! never with an error.

use crate::nik::Nik;

/// Longest complaint text taken from one SMS (a long SMS is several joined).
pub const MAX_COMPLAINT_CHARS: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `CEK <NIK>`: the programmes and applications of the NIK's household, if it is the
    /// sender's own. `None` when the NIK is missing or not valid.
    Check(Option<Nik>),
    /// `DAFTAR <kode>`: start an application to the programme.
    Register(Option<String>),
    /// `ADUAN <isi>`: a complaint.
    Complaint(Option<String>),
    /// `BANTUAN`, `HELP`, or anything not understood.
    Help,
}

impl Command {
    /// A stable name for the record of what was asked.
    pub fn code(&self) -> &'static str {
        match self {
            Command::Check(_) => "cek",
            Command::Register(_) => "daftar",
            Command::Complaint(_) => "aduan",
            Command::Help => "bantuan",
        }
    }
}

/// Reads an SMS: the first word is the command (any case; `CEK#...` and `CEK:` too), the
/// rest its argument.
pub fn parse(text: &str) -> Command {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_whitespace() || c == '#' || c == ':' || c == '.')
        .unwrap_or(text.len());
    let (word, rest) = text.split_at(split);
    let rest = rest
        .trim_start_matches(|c: char| c.is_whitespace() || c == '#' || c == ':' || c == '.')
        .trim();
    let arg = (!rest.is_empty()).then(|| rest.to_string());
    match word.to_uppercase().as_str() {
        "CEK" | "CHECK" => Command::Check(arg.and_then(|a| {
            let digits: String = a.chars().filter(|c| !c.is_whitespace()).collect();
            Nik::parse(&digits).ok()
        })),
        "DAFTAR" | "REGISTER" => Command::Register(arg.and_then(|a| {
            crate::programmes::parse_code(a.split_whitespace().next().unwrap_or("")).ok()
        })),
        "ADUAN" | "COMPLAINT" => Command::Complaint(arg.map(|a| {
            a.chars()
                .filter(|c| !c.is_control())
                .take(MAX_COMPLAINT_CHARS)
                .collect()
        })),
        _ => Command::Help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn commands_are_read_in_any_case_with_their_argument() {
        assert_eq!(parse("bantuan"), Command::Help);
        assert_eq!(parse("  HELP "), Command::Help);
        assert_eq!(parse("apa ini?"), Command::Help);
        assert_eq!(parse(""), Command::Help);
        assert_eq!(parse("DAFTAR pkh"), Command::Register(Some("PKH".into())));
        assert_eq!(
            parse("daftar#bpjs-tk-bpu terima kasih"),
            Command::Register(Some("BPJS-TK-BPU".into()))
        );
        assert_eq!(parse("DAFTAR"), Command::Register(None));
        assert_eq!(parse("DAFTAR !!"), Command::Register(None));
        assert_eq!(
            parse("Aduan: bantuan belum cair"),
            Command::Complaint(Some("bantuan belum cair".into()))
        );
        assert_eq!(parse("ADUAN"), Command::Complaint(None));
        assert_eq!(parse("CEK 12"), Command::Check(None));
        assert_eq!(parse("CEK"), Command::Check(None));
    }

    #[test]
    fn a_nik_may_be_spaced() {
        let nik = "3507011503780001";
        let Command::Check(Some(n)) = parse(&format!("cek {} {}", &nik[..6], &nik[6..])) else {
            panic!("a check with a NIK");
        };
        assert_eq!(n.as_str(), nik);
    }

    proptest! {
        #[test]
        fn any_text_is_a_command_and_never_a_panic(text in ".{0,400}") {
            let c = parse(&text);
            if let Command::Complaint(Some(t)) = &c {
                prop_assert!(t.chars().count() <= MAX_COMPLAINT_CHARS);
            }
            let _ = c.code();
        }
    }
}
