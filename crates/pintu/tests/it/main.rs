//! All integration tests, in one binary (one link, one template database per backend).

mod api;
mod applications;
mod authz;
mod autodebit;
mod bpjstk;
mod browser;
mod calls;
mod cases;
mod check;
mod cli;
mod complaints;
mod imports;
mod jkn_cases;
mod matching;
mod membership;
mod messages;
mod openapi;
mod pages;
mod payments;
mod payments_safety;
mod programmes;
mod registry;
mod residents;
mod review;
mod rules;

use serde_json::{Value, json};

/// A village of Kabupaten Malang (Donomulyo district) and its neighbours, for area tests.
pub const VILLAGE: &str = "35.07.01.2001";
pub const SIBLING_VILLAGE: &str = "35.07.01.2002";
pub const OTHER_DISTRICT_VILLAGE: &str = "35.07.02.2001";
pub const OTHER_PROVINCE_VILLAGE: &str = "32.01.01.1001";

/// A valid household for `village` whose head has `nik`.
pub fn household(village: &str, head_nik: &str, head_name: &str) -> Value {
    json!({
        "village_code": village,
        "address": "Jl. Melati No. 12",
        "rt": "4",
        "rw": "2",
        "members": [
            {"nik": head_nik, "full_name": head_name, "sex": "L", "birth_date": "1978-03-15", "relationship": "KEPALA KELUARGA", "phone": "0812 3456 7890"},
            {"full_name": "Siti Aminah", "sex": "P", "birth_date": "1980-07-20", "relationship": "ISTRI"},
            {"full_name": "Bayu", "sex": "L", "birth_date": "2025-01-02", "relationship": "ANAK"}
        ]
    })
}

/// A valid NIK for a man born 15 March 1978 in the district of `village`, with `serial`.
pub fn nik(village: &str, serial: u32) -> String {
    let d: String = village.split('.').take(3).collect();
    format!("{d}150378{serial:04}")
}

pub async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json body")
}
