//! Who is calling: a bearer API token for the API, a session cookie for pages.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use pintu_service::auth::actor_of;
use pintu_service::{Ctx, Error};
use pintu_store::users::UserRow;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Tr};

pub const SESSION_COOKIE: &str = "pintu_session";
pub const LANG_COOKIE: &str = "pintu_lang";
pub const CSRF_COOKIE: &str = "pintu_csrf";
/// The resident login form's CSRF token: a cookie of its own, so that opening the officers'
/// login page in the same browser does not spoil a resident's form, nor the other way round.
pub const RESIDENT_CSRF_COOKIE: &str = "pintu_me_csrf";

/// The caller of an API endpoint, authenticated by `Authorization: Bearer <token>`.
pub struct ApiCtx {
    pub ctx: Ctx,
    pub lang: Lang,
}

impl ApiCtx {
    /// Turns a service error into this request's API error (language, request id).
    pub fn err(&self, e: Error) -> ApiError {
        ApiError::from_service(e)
            .with_lang(self.lang)
            .with_request_id(self.ctx.request_id.clone())
    }
}

/// The token of `Authorization: Bearer <token>`, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

pub fn api_lang(parts: &Parts) -> Lang {
    headers_lang(&parts.headers)
}

/// The language an API caller reads (Accept-Language), English by default.
pub fn headers_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(|h| {
            if h.trim().is_empty() {
                Lang::En
            } else {
                Lang::from_accept_language(h)
            }
        })
        .unwrap_or(Lang::En)
}

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = api_lang(parts);
        let request_id = crate::request_id(&parts.headers);
        let unauthenticated = || {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")
                .with_lang(lang)
                .with_request_id(request_id.clone())
        };
        let token = bearer(&parts.headers).ok_or_else(unauthenticated)?;
        let user = state
            .pintu
            .api_token_user(token)
            .await
            .map_err(|e| ApiError::from_service(e).with_lang(lang))?
            .ok_or_else(unauthenticated)?;
        let actor = actor_of(&user).map_err(|e| ApiError::from_service(e).with_lang(lang))?;
        Ok(ApiCtx {
            ctx: Ctx::new(actor, request_id),
            lang,
        })
    }
}

/// The language of a page: the language cookie, else Indonesian.
pub fn page_lang(jar: &CookieJar) -> Lang {
    jar.get(LANG_COOKIE)
        .map(|c| Lang::parse(c.value()))
        .unwrap_or(Lang::Id)
}

/// A logged-in officer on a page.
pub struct PageUser {
    pub user: UserRow,
    pub ctx: Ctx,
    pub csrf: String,
    pub tr: Tr,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let to_login = || {
            if parts.headers.contains_key("hx-request") {
                // htmx follows HX-Redirect with a full page load.
                (StatusCode::UNAUTHORIZED, [("hx-redirect", "/login")]).into_response()
            } else {
                Redirect::to("/login").into_response()
            }
        };
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(to_login());
        };
        let found = state
            .pintu
            .session(&token)
            .await
            .map_err(|e| crate::pages::error_page(Tr::new(page_lang(&jar)), e, None))?;
        let Some((user, csrf)) = found else {
            return Err(to_login());
        };
        let lang = match jar.get(LANG_COOKIE) {
            Some(c) => Lang::parse(c.value()),
            None => Lang::parse(&user.language),
        };
        let actor =
            actor_of(&user).map_err(|e| crate::pages::error_page(Tr::new(lang), e, None))?;
        let ctx = Ctx::new(actor, crate::request_id(&parts.headers));
        Ok(PageUser {
            user,
            ctx,
            csrf,
            tr: Tr::new(lang),
        })
    }
}

pub const RESIDENT_COOKIE: &str = "pintu_resident";

/// A resident calling `/api/v1/me/...` with the token of their portal session as
/// `Authorization: Bearer <token>`. Officers' tokens are not residents' and are refused.
pub struct ResidentApi(pub ApiCtx);

impl FromRequestParts<AppState> for ResidentApi {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = api_lang(parts);
        let request_id = crate::request_id(&parts.headers);
        let unauthenticated = || {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")
                .with_lang(lang)
                .with_request_id(request_id.clone())
        };
        let token = bearer(&parts.headers).ok_or_else(unauthenticated)?;
        let resident = state
            .pintu
            .resident_session(token, request_id.clone())
            .await
            .map_err(|e| ApiError::from_service(e).with_lang(lang))?
            .ok_or_else(unauthenticated)?;
        Ok(ResidentApi(ApiCtx {
            ctx: resident.ctx,
            lang,
        }))
    }
}

/// A resident logged in to the portal's pages.
pub struct ResidentPage {
    pub resident: pintu_service::residents::Resident,
    pub tr: Tr,
}

impl ResidentPage {
    pub fn ctx(&self) -> &Ctx {
        &self.resident.ctx
    }
}

impl FromRequestParts<AppState> for ResidentPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let to_login = || Redirect::to("/me/login").into_response();
        let Some(token) = jar.get(RESIDENT_COOKIE).map(|c| c.value().to_string()) else {
            return Err(to_login());
        };
        let found = state
            .pintu
            .resident_session(&token, crate::request_id(&parts.headers))
            .await
            .map_err(|e| crate::pages::error_page(Tr::new(page_lang(&jar)), e, None))?;
        let Some(resident) = found else {
            return Err(to_login());
        };
        let lang = match jar.get(LANG_COOKIE) {
            Some(c) => Lang::parse(c.value()),
            None => Lang::parse(&resident.language),
        };
        Ok(ResidentPage {
            resident,
            tr: Tr::new(lang),
        })
    }
}
