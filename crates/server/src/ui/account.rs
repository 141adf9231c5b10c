//! Log-in, log-out, language switch and the user's own API tokens.

use super::{lang_cookie, lang_of, render, same_origin, Chrome, Page, UiError};
use crate::app::auth::{self as app, NewTokenRequest, TokenView};
use crate::auth::middleware::SESSION_COOKIE;
use crate::auth::ClientAddr;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(switch_lang))
        .route("/tokens", get(tokens_page).post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: Tr<'a>,
    error: Option<String>,
    username: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    lang: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (jar, lang) = match q.lang {
        Some(l) => {
            let lang = Lang::parse(&l);
            (jar.add(lang_cookie(lang)), lang)
        }
        None => {
            let lang = lang_of(&jar);
            (jar, lang)
        }
    };
    (
        jar,
        render(&LoginPage {
            t: state.i18n().tr(lang),
            error: None,
            username: String::new(),
        }),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&jar);
    let t = state.i18n().tr(lang);
    if !same_origin(&headers) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            AppError::Csrf.to_string(),
        )
            .into_response();
    }
    match app::login(&state, &form.username, &form.password, addr).await {
        Ok(done) => {
            let cookie = Cookie::build((SESSION_COOKIE, done.secret))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.config().secure_cookies)
                .build();
            (jar.add(cookie), Redirect::to("/")).into_response()
        }
        Err(e) => {
            let message = match &e {
                AppError::Locked { retry_after_secs } => {
                    t.f("login.locked", &[("s", &retry_after_secs.to_string())])
                }
                AppError::BadRequest { .. } => t.t("login.failed").to_string(),
                other => other.to_string(),
            };
            let page = LoginPage {
                t,
                error: Some(message),
                username: form.username,
            };
            (e.status(), render(&page)).into_response()
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn logout(
    page: Page,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    app::logout(&page.state, &page.ctx, None)
        .await
        .map_err(|e| page.error(e))?;
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response())
}

#[derive(Deserialize)]
struct LangForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    to: String,
}

async fn switch_lang(
    page: Page,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let back = headers
        .get(axum::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| {
            r.split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
        })
        .unwrap_or_else(|| "/".into());
    Ok((
        jar.add(lang_cookie(Lang::parse(&form.to))),
        Redirect::to(&back),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    tokens: Vec<TokenView>,
    new_secret: Option<String>,
}

async fn tokens_page(page: Page) -> Result<Response, UiError> {
    let tokens = app::list_tokens(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&TokensPage {
        t: page.t(),
        chrome: page.chrome("tokens"),
        tokens,
        new_secret: None,
    }))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    expires_in_days: String,
}

async fn create_token(page: Page, Form(form): Form<TokenForm>) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    let expires_in_days = match form.expires_in_days.trim() {
        "" => None,
        d => Some(d.parse().map_err(|_| {
            page.error(AppError::invalid(
                "invalid_expiry",
                "expiry must be a number of days",
            ))
        })?),
    };
    let req = NewTokenRequest {
        name: form.name,
        expires_in_days,
    };
    let created = app::create_token(&page.state, &page.ctx, &req)
        .await
        .map_err(|e| page.error(e))?;
    let tokens = app::list_tokens(&page.state, &page.ctx)
        .await
        .map_err(|e| page.error(e))?;
    Ok(render(&TokensPage {
        t: page.t(),
        chrome: page.chrome("tokens"),
        tokens,
        new_secret: Some(created.token),
    }))
}

async fn revoke_token(
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&form.csrf)?;
    app::revoke_token(&page.state, &page.ctx, &id)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/tokens").into_response())
}
