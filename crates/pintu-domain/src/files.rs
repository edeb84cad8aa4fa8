//! Files residents hand in (complaint attachments, application documents): what a file is,
//! told by its first bytes rather than its name, and the name it is kept under.

/// The content type of a PDF, JPEG or PNG, recognised by its first bytes; `None` otherwise.
pub fn sniff(content: &[u8]) -> Option<&'static str> {
    if content.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// The name a file is kept under: the last part of what the browser sent (no folders),
/// without control characters, at most 120 characters; `fallback` when nothing is left.
pub fn clean_name(sent: &str, fallback: &str) -> String {
    let name: String = sent
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|ch| !ch.is_control())
        .take(120)
        .collect();
    if name.trim().is_empty() {
        fallback.to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_folders_and_control_characters() {
        assert_eq!(clean_name("../../ktp.pdf", "x"), "ktp.pdf");
        assert_eq!(clean_name("C:\\Users\\a\\kk\n.pdf", "x"), "kk.pdf");
        assert_eq!(clean_name("  ", "dokumen"), "dokumen");
        assert_eq!(clean_name(&"a".repeat(300), "x").len(), 120);
    }

    #[test]
    fn files_are_told_by_their_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nxxxx"), Some("image/png"));
        assert_eq!(sniff(b"MZ\x90"), None);
    }
}
