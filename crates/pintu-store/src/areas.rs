//! The Kemendagri area hierarchy: loaded from the CSV files shipped in `data/areas/`
//! (ODbL, see that folder's README) and read by the area picker and the registry.

use pintu_domain::area::{AreaCode, AreaLevel};
use pintu_domain::names::search_key;
use sea_orm::{ConnectionTrait, TransactionTrait, Value};
use serde::Serialize;

use crate::{Result, Store, StoreError, col, execute, query_all, query_one};

const PROVINCES: &str = include_str!("../../../data/areas/provinces.csv");
const REGENCIES: &str = include_str!("../../../data/areas/regencies.csv");
const DISTRICTS: &str = include_str!("../../../data/areas/districts.csv");
const VILLAGES: &str = include_str!("../../../data/areas/villages.csv");

/// Rows per multi-row INSERT: large enough to amortise the round trip, small enough to stay
/// under SQLite's limit of 32,766 bound variables.
const AREA_BATCH: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: AreaLevel,
    pub name: String,
}

/// Parses one of the shipped CSV files: `code,parent_code,name` (provinces have no parent).
fn parse_csv(csv_text: &str, level: AreaLevel) -> Result<Vec<Area>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| StoreError::Other(format!("area data: {e}")))?;
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let (parent_code, name) = if level == AreaLevel::Province {
            (None, field(1))
        } else {
            (Some(field(1)), field(2))
        };
        out.push(Area {
            code: field(0),
            parent_code,
            level,
            name,
        });
    }
    Ok(out)
}

/// All shipped areas, parents before children.
pub fn shipped_areas() -> Result<Vec<Area>> {
    let mut all = parse_csv(PROVINCES, AreaLevel::Province)?;
    all.extend(parse_csv(REGENCIES, AreaLevel::Regency)?);
    all.extend(parse_csv(DISTRICTS, AreaLevel::District)?);
    all.extend(parse_csv(VILLAGES, AreaLevel::Village)?);
    Ok(all)
}

fn area_from_row(row: &sea_orm::QueryResult) -> Result<Area> {
    let level: i16 = col(row, "level")?;
    Ok(Area {
        code: col(row, "code")?,
        parent_code: col(row, "parent_code")?,
        level: AreaLevel::from_depth(level as u8).unwrap_or(AreaLevel::Village),
        name: col(row, "name")?,
    })
}

impl Store {
    /// Loads the 91,599 shipped areas in one transaction when the table is empty.
    pub(crate) async fn load_areas_if_empty(&self) -> Result<usize> {
        let count: i64 =
            match query_one(self.conn(), "SELECT COUNT(*) AS n FROM areas", vec![]).await? {
                Some(row) => col(&row, "n")?,
                None => 0,
            };
        if count > 0 {
            return Ok(0);
        }
        let areas = shipped_areas()?;
        let tx = self.conn().begin().await?;
        for chunk in areas.chunks(AREA_BATCH) {
            let mut sql = String::from(
                "INSERT INTO areas (code, parent_code, level, name, name_key) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
            for (i, a) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 {
                    "(?, ?, ?, ?, ?)"
                } else {
                    ", (?, ?, ?, ?, ?)"
                });
                values.push(a.code.clone().into());
                values.push(a.parent_code.clone().into());
                values.push(i16::from(a.level.depth()).into());
                values.push(a.name.clone().into());
                values.push(search_key(&a.name).into());
            }
            execute(&tx, &sql, values).await?;
        }
        tx.commit().await?;
        Ok(areas.len())
    }

    pub async fn area(&self, code: &str) -> Result<Option<Area>> {
        let row = query_one(
            self.conn(),
            "SELECT code, parent_code, level, name FROM areas WHERE code = ?",
            vec![code.into()],
        )
        .await?;
        row.as_ref().map(area_from_row).transpose()
    }

    /// The areas directly below `parent` (or the provinces when `None`), by code.
    pub async fn child_areas(&self, parent: Option<&str>) -> Result<Vec<Area>> {
        let rows = match parent {
            Some(p) => {
                query_all(
                    self.conn(),
                    "SELECT code, parent_code, level, name FROM areas WHERE parent_code = ? ORDER BY code",
                    vec![p.into()],
                )
                .await?
            }
            None => query_all(self.conn(), "SELECT code, parent_code, level, name FROM areas WHERE level = 1 ORDER BY code", vec![]).await?,
        };
        rows.iter().map(area_from_row).collect()
    }

    /// Every area of one level, by code (the 514 regencies for the public check's question).
    pub async fn areas_at_level(&self, level: AreaLevel) -> Result<Vec<Area>> {
        let rows = query_all(
            self.conn(),
            "SELECT code, parent_code, level, name FROM areas WHERE level = ? ORDER BY code",
            vec![i16::from(level.depth()).into()],
        )
        .await?;
        rows.iter().map(area_from_row).collect()
    }

    /// The area and its ancestors, from the province down: for breadcrumbs and addresses.
    pub async fn area_path(&self, code: &AreaCode) -> Result<Vec<Area>> {
        let mut codes = vec![code.clone()];
        while let Some(parent) = codes.last().and_then(AreaCode::parent) {
            codes.push(parent);
        }
        codes.reverse();
        let placeholders = vec!["?"; codes.len()].join(", ");
        let values = codes
            .iter()
            .map(|c| Value::from(c.as_str().to_string()))
            .collect();
        let rows = query_all(
            self.conn(),
            &format!("SELECT code, parent_code, level, name FROM areas WHERE code IN ({placeholders}) ORDER BY level"),
            values,
        )
        .await?;
        rows.iter().map(area_from_row).collect()
    }

    /// The names of the areas with these codes, by code (unknown codes are left out): for
    /// lists and reports that name villages.
    pub async fn area_names(
        &self,
        codes: &[&str],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in codes.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let rows = query_all(
                self.conn(),
                &format!("SELECT code, name FROM areas WHERE code IN ({placeholders})"),
                chunk.iter().map(|c| Value::from(c.to_string())).collect(),
            )
            .await?;
            for r in &rows {
                out.insert(col(r, "code")?, col(r, "name")?);
            }
        }
        Ok(out)
    }

    pub async fn area_count(&self, level: AreaLevel) -> Result<i64> {
        let row = query_one(
            self.conn(),
            "SELECT COUNT(*) AS n FROM areas WHERE level = ?",
            vec![i16::from(level.depth()).into()],
        )
        .await?;
        row.map(|r| col::<i64>(&r, "n"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The villages inside `area` (any level), by code: for the synthetic population.
    /// Every village code, for checking many rows at once.
    pub async fn all_village_codes(&self) -> Result<std::collections::HashSet<String>> {
        let rows = query_all(
            self.conn(),
            "SELECT code FROM areas WHERE level = 4",
            vec![],
        )
        .await?;
        rows.iter().map(|r| col(r, "code")).collect()
    }

    pub async fn villages_within(&self, area: &AreaCode) -> Result<Vec<AreaCode>> {
        let (low, high) = area.descendant_range();
        let rows = query_all(
            self.conn(),
            "SELECT code FROM areas WHERE level = 4 AND code >= ? AND code < ? ORDER BY code",
            vec![low.into(), high.into()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                let code: String = col(r, "code")?;
                AreaCode::parse(&code).map_err(|e| StoreError::Other(e.to_string()))
            })
            .collect()
    }
}

/// Whether a connection-level check of one village code is needed is the caller's choice;
/// this is the query, usable inside a transaction.
pub async fn village_exists(c: &impl ConnectionTrait, code: &str) -> Result<bool> {
    Ok(query_one(
        c,
        "SELECT code FROM areas WHERE code = ? AND level = 4",
        vec![code.into()],
    )
    .await?
    .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_has_every_area_of_indonesia() {
        let all = shipped_areas().expect("parses");
        let count = |level| all.iter().filter(|a| a.level == level).count();
        assert_eq!(count(AreaLevel::Province), 38);
        assert_eq!(count(AreaLevel::Regency), 514);
        assert_eq!(count(AreaLevel::District), 7_285);
        assert_eq!(count(AreaLevel::Village), 83_762);
        assert!(all.iter().all(|a| {
            AreaCode::parse(&a.code)
                .map(|c| c.level() == a.level)
                .unwrap_or(false)
        }));
    }
}
