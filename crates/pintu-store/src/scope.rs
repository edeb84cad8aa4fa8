//! The area guard: every query of personal data adds this predicate, so no caller can forget
//! to keep an officer inside their area.

use pintu_domain::access::Scope;
use pintu_domain::area::AreaLevel;
use sea_orm::Value;

/// The SQL predicate (with `?` placeholders) and values restricting `column` (a village code)
/// to `scope`. An indexed range on both backends: `col >= '35.07.' AND col < '35.07/'`.
pub fn scope_filter(scope: &Scope, column: &str) -> (String, Vec<Value>) {
    match scope {
        Scope::National => ("1 = 1".to_string(), vec![]),
        Scope::Within(area) if area.level() == AreaLevel::Village => {
            (format!("{column} = ?"), vec![area.as_str().into()])
        }
        Scope::Within(area) => {
            let (low, high) = area.descendant_range();
            (
                format!("({column} >= ? AND {column} < ?)"),
                vec![low.into(), high.into()],
            )
        }
    }
}
