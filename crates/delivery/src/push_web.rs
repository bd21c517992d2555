//! The Web Push opt-in API: the deployment's VAPID public key for the browser, and the
//! signed-in person's push subscriptions (saved from `PushSubscription.toJSON()`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::webpush::{self, NewSubscription, Vapid};
use kernel::error::{AppError, AppResult, ErrorBody};
use kernel::web::AppState;
use kernel::web::api::ApiJson;
use kernel::web::ctx::Ctx;

#[derive(Serialize, ToSchema)]
pub struct PushKey {
    /// The VAPID public key (uncompressed P-256 point, base64url): the browser's
    /// `applicationServerKey`.
    public_key: String,
}

#[utoipa::path(get, path = "/api/v1/push/key", tag = "push", operation_id = "push_vapid_key",
    responses((status = 200, body = PushKey)))]
async fn push_vapid_key(State(state): State<AppState>) -> AppResult<Response> {
    // Read from the settings table (one row by key): it is the same for every process.
    let vapid = Vapid::load_or_create(&state.db).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-cache")],
        Json(PushKey {
            public_key: vapid.public_key().to_owned(),
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct PushKeys {
    /// The browser's P-256 key, base64url of the 65-byte uncompressed point.
    p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    auth: String,
}

/// As the browser's `PushSubscription.toJSON()` gives it (`expirationTime` is ignored).
#[derive(Deserialize, ToSchema)]
pub struct PushSubscriptionIn {
    /// The push service's URL for this browser; https.
    endpoint: String,
    keys: PushKeys,
}

#[derive(Serialize, ToSchema)]
pub struct PushSubscribed {
    id: i64,
}

#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "push", operation_id = "push_subscribe",
    request_body = PushSubscriptionIn, security(("bearer" = [])),
    responses((status = 201, description = "Subscribed", body = PushSubscribed),
        (status = 200, description = "Already known: refreshed (and moved to this person if another had it)", body = PushSubscribed),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn push_subscribe(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiJson(r): ApiJson<PushSubscriptionIn>,
) -> AppResult<Response> {
    let u = ctx.user()?;
    let new = NewSubscription {
        endpoint: r.endpoint.trim(),
        p256dh: &r.keys.p256dh,
        auth: &r.keys.auth,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    };
    let allow_loopback = webpush::loopback_allowed(&state.config);
    let (row, created) = webpush::subscribe(&state.db, u.id, &new, allow_loopback).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(PushSubscribed { id: row.id })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct PushUnsubscribe {
    endpoint: String,
}

#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "push", operation_id = "push_unsubscribe",
    request_body = PushUnsubscribe, security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody),
        (status = 404, description = "No subscription of yours has this endpoint", body = ErrorBody)))]
async fn push_unsubscribe(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(r): ApiJson<PushUnsubscribe>,
) -> AppResult<StatusCode> {
    let u = ctx.user()?;
    if webpush::unsubscribe(&state.db, u.id, r.endpoint.trim()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found())
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(push_vapid_key, push_subscribe, push_unsubscribe),
    components(schemas(PushKey, PushKeys, PushSubscriptionIn, PushSubscribed, PushUnsubscribe)),
    tags((name = "push", description = "Web Push: the server key and this person's devices"))
)]
pub struct PushApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/push/key", get(push_vapid_key))
        .route(
            "/api/v1/push/subscriptions",
            axum::routing::post(push_subscribe).delete(push_unsubscribe),
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_load_nothing_from_outside_and_use_the_api() {
        let button = include_str!("../../kernel/static/push.js");
        let worker = include_str!("../../kernel/static/sw-push.js");
        for js in [button, worker] {
            assert!(!js.contains("https://"), "remote URL in a push script");
            assert!(!js.contains("innerHTML"));
        }
        assert!(button.contains("navigator.serviceWorker.ready"));
        assert!(button.contains("userVisibleOnly: true"));
        assert!(button.contains("'/api/v1/push/subscriptions'"));
        assert!(button.contains("'X-CSRF-Token'"));
        assert!(
            !button.contains("serviceWorker.register"),
            "sw.js registers itself"
        );
        assert!(worker.contains("addEventListener('push'"));
        assert!(worker.contains("addEventListener('notificationclick'"));
    }
}
