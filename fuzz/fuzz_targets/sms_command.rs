//! Any bytes a resident can send as an SMS are read as a command, never a panic, and a
//! complaint taken from them is within its length.
//!
//!     cargo +nightly fuzz run sms_command -- -max_total_time=60

#![no_main]

use libfuzzer_sys::fuzz_target;
use pintu_domain::sms::{Command, MAX_COMPLAINT_CHARS, parse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let command = parse(&text);
    if let Command::Complaint(Some(t)) = &command {
        assert!(t.chars().count() <= MAX_COMPLAINT_CHARS);
        assert!(!t.chars().any(char::is_control));
    }
    let _ = command.code();
});
