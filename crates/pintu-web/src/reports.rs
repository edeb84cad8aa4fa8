//! Downloadable reports.

use pintu_store::imports::ImportIssue;

use crate::i18n::{Lang, Tr};

/// An import's rejection report as CSV: the spreadsheet row (the header is row 1), the
/// column, whether the row was rejected or only the value dropped, the stable code, and the
/// reason in Bahasa Indonesia and in English.
pub fn issues_csv(issues: &[ImportIssue]) -> Vec<u8> {
    let id = Tr::new(Lang::Id);
    let en = Tr::new(Lang::En);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut rows = vec![[
        "row".to_string(),
        "column".into(),
        "outcome".into(),
        "code".into(),
        "alasan".into(),
        "reason".into(),
    ]];
    for i in issues {
        rows.push([
            i.row_number.to_string(),
            i.column_name.clone(),
            if i.rejected {
                "rejected"
            } else {
                "value_dropped"
            }
            .into(),
            i.code.clone(),
            id.error(&i.code),
            en.error(&i.code),
        ]);
    }
    for r in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(&r);
    }
    w.into_inner().unwrap_or_default()
}
