//! Accounts, passwords, sessions and API tokens.
//!
//! Passwords are hashed with argon2id on the blocking pool, never on the async threads. An
//! unknown username is checked against a dummy hash, so the time a login takes does not tell
//! whether the account exists. Failed logins are throttled per username.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash};
use base64::Engine;
use chrono::Utc;
use pintu_domain::{Actor, AreaCode, Role};
use pintu_store::users::{self, UserRow};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Ctx, Error, Pintu, Result};

/// How long a browser session lasts without logging in again.
pub const SESSION_HOURS: i64 = 12;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A hash of a random password, verified when the username is unknown so that both paths
/// cost the same.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    SaltString::encode_b64(b"pintu-dummy-salt")
        .and_then(|salt| {
            Argon2::default()
                .hash_password(b"not a real password, never matches", &salt)
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
});

/// A fresh random token (256 bits), URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored and looked up by their SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A six-digit one-time code, sent by SMS.
pub(crate) fn one_time_code() -> String {
    format!(
        "{:06}",
        rand::Rng::random_range(&mut rand::rng(), 0..1_000_000u32)
    )
}

/// A one-time code is stored as its SHA-256, salted with the id it was sent for (a login
/// challenge, a mandate).
pub(crate) fn code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// Whether a code has the shape of one: six digits.
pub(crate) fn code_shaped(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Compares two hashes without stopping at the first difference.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash: {e}"))
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(Error::Internal)
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Failed-login bookkeeping: five free attempts, then a lock that doubles with each further
/// failure, up to fifteen minutes.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Option<Instant>)>>,
}

impl LoginThrottle {
    const FREE_ATTEMPTS: u32 = 5;
    const MAX_LOCK: Duration = Duration::from_secs(15 * 60);

    pub(crate) fn check(&self, key: &str) -> Result<()> {
        let map = self
            .failures
            .lock()
            .map_err(|_| anyhow::anyhow!("throttle poisoned"))?;
        if let Some((_, Some(until))) = map.get(key) {
            let now = Instant::now();
            if *until > now {
                return Err(Error::TooManyAttempts {
                    retry_after_secs: (*until - now).as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn fail(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            let entry = map.entry(key.to_string()).or_insert((0, None));
            entry.0 += 1;
            if entry.0 >= Self::FREE_ATTEMPTS {
                let exp = (entry.0 - Self::FREE_ATTEMPTS).min(10);
                let lock = Duration::from_secs(1 << exp).min(Self::MAX_LOCK);
                entry.1 = Some(Instant::now() + lock);
            }
        }
    }

    pub(crate) fn succeed(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

/// API tokens recently seen, by hash: a busy partner system does not pay a database lookup
/// per request. An entry lives [`TokenCache::TTL`], so a disabled account or revoked token
/// stops working within that time.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (UserRow, Instant)>>,
}

impl TokenCache {
    pub const TTL: Duration = Duration::from_secs(30);
    const MAX_ENTRIES: usize = 10_000;

    fn get(&self, hash: &str) -> Option<UserRow> {
        let map = self.entries.lock().ok()?;
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(u, _)| u.clone())
    }

    fn put(&self, hash: String, user: UserRow) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= Self::MAX_ENTRIES {
                map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            if map.len() < Self::MAX_ENTRIES {
                map.insert(hash, (user, Instant::now()));
            }
        }
    }
}

/// A logged-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf_token: String,
    pub user: UserRow,
}

pub fn actor_of(user: &UserRow) -> Result<Actor> {
    let role =
        Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("unknown role {}", user.role))?;
    let area = user
        .area_code
        .as_deref()
        .map(AreaCode::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("bad area on user: {e}"))?;
    Ok(Actor::Officer {
        user_id: user.id.clone(),
        username: user.username.clone(),
        role,
        area,
    })
}

impl Pintu {
    /// Checks a username and password and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        request_id: Option<String>,
    ) -> Result<Session> {
        let key = username.trim().to_lowercase();
        self.throttle.check(&key)?;
        let user = users::user_by_username(self.store.conn(), &key).await?;
        let (hash, user) = match user {
            Some(u) if !u.disabled => (u.password_hash.clone(), Some(u)),
            _ => (DUMMY_HASH.clone(), None),
        };
        let ok = verify_password(password.to_string(), hash).await;
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => {
                self.throttle.fail(&key);
                return Err(Error::Unauthenticated);
            }
        };
        self.throttle.succeed(&key);
        let token = random_token();
        let csrf_token = random_token();
        let now = Utc::now();
        users::delete_expired_sessions(self.store.conn(), now).await?;
        users::insert_session(
            self.store.conn(),
            &token_hash(&token),
            &user.id,
            &csrf_token,
            now,
            now + chrono::Duration::hours(SESSION_HOURS),
        )
        .await?;
        let ctx = Ctx::new(actor_of(&user)?, request_id);
        self.audit
            .record(
                &ctx,
                "session.login",
                "user",
                Some(&user.id),
                user.area_code.as_deref(),
                None,
            )
            .await?;
        Ok(Session {
            token,
            csrf_token,
            user,
        })
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, token: &str) -> Result<Option<(UserRow, String)>> {
        let found = users::session_user(self.store.conn(), &token_hash(token), Utc::now()).await?;
        Ok(found.filter(|(u, _)| !u.disabled))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        users::delete_session(self.store.conn(), &token_hash(token)).await?;
        Ok(())
    }

    /// The user behind a bearer API token.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<UserRow>> {
        let hash = token_hash(token);
        if let Some(user) = self.tokens.get(&hash) {
            return Ok(Some(user));
        }
        let found = users::api_token_user(self.store.conn(), &hash)
            .await?
            .filter(|u| !u.disabled);
        if let Some(user) = &found {
            self.tokens.put(hash, user.clone());
        }
        Ok(found)
    }

    /// Creates an officer account. Only an administrator (or the system) may.
    pub async fn create_user(
        &self,
        ctx: &Ctx,
        username: &str,
        display_name: &str,
        role: &str,
        area: Option<&str>,
        password: &str,
    ) -> Result<UserRow> {
        self.add_user(
            ctx,
            username,
            display_name,
            role,
            area,
            None,
            None,
            password,
        )
        .await
    }

    /// Creates an agency officer's account: they decide the applications to `programme`
    /// (its code), in `area` if given; their API tokens carry the same limits.
    pub async fn create_agency_officer(
        &self,
        ctx: &Ctx,
        username: &str,
        display_name: &str,
        programme: &str,
        area: Option<&str>,
        password: &str,
    ) -> Result<UserRow> {
        self.add_user(
            ctx,
            username,
            display_name,
            Role::AgencyOfficer.code(),
            area,
            Some(programme),
            None,
            password,
        )
        .await
    }

    /// Creates an employer's account for the enterprise `npp`: it registers its workers,
    /// reports their wages and sees its bills, and nothing else. An administrator may, or a
    /// district office (and above) of the enterprise's area; the account's area is the
    /// enterprise's village.
    pub async fn create_employer_user(
        &self,
        ctx: &Ctx,
        username: &str,
        display_name: &str,
        npp: &str,
        password: &str,
    ) -> Result<UserRow> {
        if !ctx.actor.may_manage_users() && !ctx.actor.may_inspect_employers() {
            return Err(Error::Forbidden);
        }
        let scope = if ctx.actor.may_manage_users() {
            pintu_domain::access::Scope::National
        } else {
            ctx.actor.scope()
        };
        let npp =
            pintu_domain::bpjstk::parse_npp(npp).map_err(|code| Error::invalid("npp", code))?;
        let employer = pintu_store::bpjstk::employer_by_npp(self.store.conn(), &scope, &npp)
            .await?
            .ok_or_else(|| Error::invalid("npp", "employer_unknown"))?;
        self.add_user(
            ctx,
            username,
            display_name,
            Role::Employer.code(),
            Some(&employer.village_code),
            None,
            Some(&employer.npp),
            password,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_user(
        &self,
        ctx: &Ctx,
        username: &str,
        display_name: &str,
        role: &str,
        area: Option<&str>,
        programme: Option<&str>,
        employer_npp: Option<&str>,
        password: &str,
    ) -> Result<UserRow> {
        // District offices create employers' accounts (checked by the caller); only an
        // administrator creates any other.
        let may = ctx.actor.may_manage_users()
            || (employer_npp.is_some() && ctx.actor.may_inspect_employers());
        if !may {
            return Err(Error::Forbidden);
        }
        if role == Role::Employer.code() && employer_npp.is_none() {
            return Err(Error::invalid("npp", "required"));
        }
        let mut errors = pintu_domain::Invalid::default();
        let username = username.trim().to_lowercase();
        if username.len() < 3
            || username.len() > 64
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            errors.push("username", "username_invalid");
        }
        let role = Role::parse(role);
        if role.is_none() {
            errors.push("role", "role_invalid");
        }
        let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => match AreaCode::parse(a) {
                Ok(code) => Some(code),
                Err(e) => {
                    errors.push("area", e.code());
                    None
                }
            },
        };
        if let Some(role) = role
            && let Err(code) = role.check_area(area.as_ref())
        {
            errors.push("area", code);
        }
        if let Some(a) = &area
            && self.store.area(a.as_str()).await?.is_none()
        {
            errors.push("area", "area_unknown");
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            errors.push("password", "password_too_short");
        }
        let programme = match (role, programme.map(str::trim).filter(|p| !p.is_empty())) {
            (Some(Role::AgencyOfficer), None) => {
                errors.push("programme", "required");
                None
            }
            (Some(Role::AgencyOfficer), Some(code)) => {
                let code = code.to_ascii_uppercase();
                if pintu_store::programmes::by_code(self.store.conn(), &code)
                    .await?
                    .is_none()
                {
                    errors.push("programme", "programme_unknown");
                }
                Some(code)
            }
            (_, Some(_)) => {
                errors.push("programme", "programme_only_for_agency");
                None
            }
            (_, None) => None,
        };
        let role = match role {
            Some(r) if errors.is_empty() => r,
            _ => return Err(Error::Invalid(errors)),
        };
        let user = UserRow {
            id: pintu_store::new_id(),
            username: username.clone(),
            display_name: if display_name.trim().is_empty() {
                username.clone()
            } else {
                display_name.trim().to_string()
            },
            password_hash: hash_password(password.to_string()).await?,
            role: role.code().to_string(),
            area_code: area.map(|a| a.to_string()),
            language: "id".into(),
            disabled: false,
            created_at: Utc::now(),
            programme_code: programme,
            employer_npp: employer_npp.map(str::to_string),
        };
        users::insert_user(self.store.conn(), &user)
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict { code, .. } => Error::Conflict {
                    code,
                    field: Some("username".into()),
                },
                other => other,
            })?;
        self.audit
            .record(
                ctx,
                "user.create",
                "user",
                Some(&user.id),
                user.area_code.as_deref(),
                Some(match (&user.programme_code, &user.employer_npp) {
                    (Some(p), _) => format!("role={} programme={p}", user.role),
                    (None, Some(npp)) => format!("role={} npp={npp}", user.role),
                    (None, None) => format!("role={}", user.role),
                }),
            )
            .await?;
        Ok(user)
    }

    /// Issues a new API token for `username` and returns it; only its hash is kept.
    pub async fn issue_api_token(&self, ctx: &Ctx, username: &str, name: &str) -> Result<String> {
        let user = users::user_by_username(self.store.conn(), &username.trim().to_lowercase())
            .await?
            .ok_or(Error::NotFound)?;
        let own = ctx.actor.user_id() == Some(user.id.as_str());
        if !own && !ctx.actor.may_manage_users() {
            return Err(Error::Forbidden);
        }
        let token = format!("pintu_{}", random_token());
        users::insert_api_token(
            self.store.conn(),
            &token_hash(&token),
            &user.id,
            name,
            Utc::now(),
        )
        .await?;
        self.audit
            .record(
                ctx,
                "api_token.issue",
                "user",
                Some(&user.id),
                user.area_code.as_deref(),
                None,
            )
            .await?;
        Ok(token)
    }

    pub async fn set_language(&self, user_id: &str, language: &str) -> Result<()> {
        let language = if language == "en" { "en" } else { "id" };
        users::set_language(self.store.conn(), user_id, language).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_locks_after_five_failures_and_resets_on_success() {
        let t = LoginThrottle::default();
        for _ in 0..4 {
            t.fail("budi");
        }
        assert!(t.check("budi").is_ok());
        t.fail("budi");
        assert!(matches!(
            t.check("budi"),
            Err(Error::TooManyAttempts { .. })
        ));
        assert!(t.check("ani").is_ok());
        t.succeed("budi");
        assert!(t.check("budi").is_ok());
    }

    #[test]
    fn token_hashes_are_stable_and_hide_the_token() {
        let token = random_token();
        assert_eq!(token_hash(&token), token_hash(&token));
        assert!(!token_hash(&token).contains(&token));
        assert_ne!(random_token(), token);
    }
}
