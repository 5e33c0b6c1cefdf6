//! Building and running the server: shared state, middleware, routes, background workers.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App as ActixApp, HttpResponse};
use tokio::sync::Notify;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::KeyCache;
use crate::config::Config;
use crate::db::{Backend, Db};
use crate::delivery::worker::{self, Worker};
use crate::error::{ApiError, Kind};
use crate::live::LiveBus;
use crate::routes;
use crate::state::AppState;
use crate::throttle::LoginThrottle;

mod request_id;
mod request_line;

/// A built server, bound and ready to run.
pub struct App {
    server: Server,
    addr: SocketAddr,
    /// Turned true once the server has stopped: the workers finish and exit.
    stop: tokio::sync::watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    /// How long the delivery worker may take to finish the callbacks in flight.
    drain: Duration,
    /// The one-time setup link, when the database had no reviewer at start.
    setup_url: Option<String>,
}

impl App {
    /// Connects the database (applying migrations), binds the listener, starts the workers.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        // The detector's lexicons and statistical second opinion are built on first use; an
        // optimised build builds them now, beside start-up, so the first evaluation does not
        // wait for them (about 0.2 s). A debug build (the tests, which start hundreds of
        // servers that mostly never evaluate a message) leaves it to the first use, where the
        // unoptimised training costs a second or two of CPU.
        if !cfg!(debug_assertions) {
            std::thread::spawn(crate::domain::signals::prepare);
        }
        let db = {
            let url = config.database_url.clone();
            let settings = config.db_settings();
            tokio::task::spawn_blocking(move || Db::connect_with(&url, &settings)).await??
        };
        if db.backend() == Backend::Sqlite {
            // Single node: any lease in the table belongs to a process that is gone.
            db.write(crate::db::outbox::release_all_leases).await?;
        }
        // The queue's counts start folded (a bulk load or a long stop may have left many rows).
        // Like every write transaction on SQLite, it also indexes messages still noted for the
        // full-text index (`db::search::index_pending`), should anything have left some.
        db.write(crate::db::queue::fold_queue_counts).await?;
        let listener = TcpListener::bind(config.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {} (BATON_BIND): {e}", config.bind))?;
        let addr = listener.local_addr()?;
        let notify = Arc::new(Notify::new());
        let live = Arc::new(LiveBus::default());
        let router = Arc::new(Notify::new());
        let presence = Arc::new(crate::live::Presence::default());
        // Another replica's revocation empties this replica's key cache.
        let key_cache = Arc::new(KeyCache::default());
        let forget = key_cache.clone();
        live.on_revocation(move || forget.forget_all());
        // Live notices are logged in the database (shared ids across replicas, replay after a
        // reconnect); with PostgreSQL they also cross replicas.
        let postgres_url = match &config.database_url {
            crate::config::DatabaseUrl::Postgres(url) => Some(url.clone()),
            crate::config::DatabaseUrl::Sqlite(_) => None,
        };
        crate::live::start_journal(live.clone(), db.clone(), postgres_url);
        let (direct, direct_rx) = tokio::sync::mpsc::unbounded_channel();
        // A new Baton has nobody to sign in: it offers a one-time link to create the first admin.
        let setup =
            (!db.read(crate::db::accounts::any_reviewer).await?).then(crate::state::SetupLink::new);
        let public_base = config.public_base(addr);
        let setup_url = setup
            .as_ref()
            .map(|link| format!("{}{}", public_base.trim_end_matches('/'), link.path()));
        let state = web::Data::new(AppState {
            db: db.clone(),
            public_base,
            outbox: notify.clone(),
            key_cache,
            live,
            login_throttle: LoginThrottle::default(),
            visitor_limits: Default::default(),
            visitor_signals: tokio::sync::broadcast::channel(1024).0,
            signal_rules: Default::default(),
            metrics: Default::default(),
            router: router.clone(),
            presence: presence.clone(),
            config: config.clone(),
            direct,
            delivery_lease: config.delivery_timeout + Duration::from_secs(5),
            setup,
        });
        let worker = Worker {
            db,
            client: worker::client(config.delivery_timeout, config.url_policy.clone())?,
            schedule: Arc::new(config.retry_schedule.clone()),
            notify,
            poll: config.worker_poll,
            lease: state.delivery_lease,
            keep_excerpts: config.delivery_excerpts,
            metrics: state.metrics.clone(),
            mailer: match &config.smtp {
                Some(smtp) => Some(Arc::new(crate::delivery::mail::Mailer::new(
                    smtp,
                    config.delivery_timeout,
                )?)),
                None => None,
            },
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let drain = config.delivery_timeout + Duration::from_secs(1);
        let mut workers = vec![tokio::spawn(worker.run(direct_rx, stopped.clone(), drain))];
        let timers = crate::timers::Timers {
            db: state.db.clone(),
            outbox: state.outbox.clone(),
            poll: config.worker_poll,
            silence: config.reviewer_silence,
            idle: config.idle_close,
            fallback: Arc::new(crate::domain::escalation::FallbackDefaults {
                message: config.fallback_message.clone(),
                action: config.fallback_action,
            }),
            public_base: state.public_base.clone(),
            router,
            presence,
            live: state.live.clone(),
            away_grace: config.away_grace,
            queue_update_interval: config.queue_update_interval,
            metrics: state.metrics.clone(),
            mail: config.smtp.is_some(),
        };
        workers.push(crate::timers::backfill::spawn(&state.db, stopped.clone()));
        workers.extend(crate::timers::retention::Retention::spawn(
            &config,
            &state.db,
            stopped.clone(),
        ));
        workers.push(tokio::spawn(timers.run(stopped)));

        let max_body = config.max_body_bytes;
        // `auth` reads the database and the key cache on their own, not through `AppState`.
        let auth_db = web::Data::new(state.db.clone());
        let auth_keys = web::Data::from(state.key_cache.clone());
        let methods = Arc::new(KnownMethods::from_document());
        let mail = web::Data::new(routes::alerts::MailSetting {
            configured: config.smtp.is_some(),
        });
        let app = move || {
            ActixApp::new()
                .app_data(state.clone())
                .app_data(mail.clone())
                .app_data(auth_db.clone())
                .app_data(auth_keys.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| ApiError::field("query", e.to_string()).into()),
                )
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|e, _| ApiError::field("path", e.to_string()).into()),
                )
                .wrap(actix_web::middleware::from_fn(routes::widgets::cors))
                .wrap(actix_web::middleware::from_fn(refuse_nul_in_url))
                .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
                .wrap_fn(count_responses)
                .wrap(
                    actix_web::middleware::DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        // No page of Baton's may be framed by another site (clickjacking); the
                        // inbox sets its own, stricter policy, which these do not replace.
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Content-Security-Policy", "frame-ancestors 'none'")),
                )
                .wrap(actix_web::middleware::from_fn(request_id::tag))
                .configure(routes::configure)
                .configure(crate::inbox::configure)
                .configure(routes::widgets::configure_public)
                .service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}").external_url_unchecked(
                        "/openapi.json",
                        serde_json::from_str(&crate::openapi::spec_json())
                            .expect("the document is JSON"),
                    ),
                )
                .default_service(web::to({
                    let methods = methods.clone();
                    move |req: actix_web::HttpRequest| {
                        let allowed = methods.allowed(req.path());
                        async move { Err::<HttpResponse, _>(unmatched(allowed)) }
                    }
                }))
        };
        let server = serve(listener, app)?;
        Ok(App {
            server,
            addr,
            stop,
            workers,
            drain,
            setup_url,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The one-time setup link (`<public base>/setup/<token>`) while the database had no
    /// reviewer at start; `None` otherwise.
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }

    /// Serves until SIGTERM or SIGINT: the server stops taking connections and finishes the
    /// requests under way (up to 10 s), then the delivery worker finishes the callbacks in
    /// flight (up to `BATON_DELIVERY_TIMEOUT` + 1 s) and hands back what it took but did not
    /// send, and the timers finish their pass. Nothing accepted is lost either way: what a
    /// stop leaves behind is in the outbox.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        tracing::info!("server stopped; finishing background work");
        let _ = self.stop.send(true);
        let grace = self.drain + Duration::from_secs(5);
        for worker in self.workers {
            if tokio::time::timeout(grace, worker).await.is_err() {
                tracing::warn!("a background worker did not stop in time");
            }
        }
        served
    }
}

/// Serves `app` on `listener` over HTTP/1.1, as actix-web's `HttpServer::listen` does (same
/// timeouts, workers and signals, 10 s to finish on shutdown), with each connection's first
/// request line checked by [`request_line::check`] before actix-http reads it.
fn serve<F, I, S, B>(listener: TcpListener, app: F) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: actix_service::IntoServiceFactory<S, actix_http::Request>,
    S: actix_web::dev::ServiceFactory<
            actix_http::Request,
            Config = actix_web::dev::AppConfig,
            InitError = (),
        > + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::Response: Into<actix_http::Response<B>> + 'static,
    <S::Service as actix_web::dev::Service<actix_http::Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    use actix_http::{HttpService, KeepAlive, Protocol};
    use actix_service::{fn_service, map_config, ServiceFactoryExt};
    use actix_web::rt::net::TcpStream;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    Ok(Server::build()
        .shutdown_timeout(10)
        .listen("baton", listener, move || {
            let app = app().into_factory().map_err(|e| {
                let e: actix_web::Error = e.into();
                e.error_response()
            });
            let checked = fn_service(|io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                match request_line::check(io).await {
                    Ok(Some(io)) => Ok((io, Protocol::Http1, peer)),
                    Ok(None) => Err(actix_http::error::DispatchError::InternalError),
                    Err(e) => Err(actix_http::error::DispatchError::Io(e)),
                }
            });
            checked.and_then(
                HttpService::build()
                    .keep_alive(KeepAlive::Timeout(Duration::from_secs(5)))
                    .client_request_timeout(Duration::from_secs(5))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .local_addr(addr)
                    .finish(map_config(app, move |_| {
                        actix_web::dev::AppConfig::default()
                    })),
            )
        })?
        .run())
}

/// The methods each documented path answers, to tell "no such endpoint" (404) from "not with
/// that method" (405 with `Allow`) for a request no route matched.
struct KnownMethods(Vec<(regex::Regex, String)>);

impl KnownMethods {
    fn from_document() -> KnownMethods {
        let doc = crate::openapi::document();
        let paths = doc
            .paths
            .paths
            .iter()
            .filter_map(|(template, item)| {
                let pattern = template
                    .split('/')
                    .map(|part| {
                        if part.starts_with('{') && part.ends_with('}') {
                            "[^/]+".to_string()
                        } else {
                            regex::escape(part)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .iter()
                .filter(|(_, has)| *has)
                .map(|(m, _)| *m)
                .collect::<Vec<_>>()
                .join(", ");
                let re = regex::Regex::new(&format!("^{pattern}$")).ok()?;
                Some((re, methods))
            })
            .collect();
        KnownMethods(paths)
    }

    fn allowed(&self, path: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(re, _)| re.is_match(path))
            .map(|(_, methods)| methods.clone())
    }
}

/// The answer to a request no route took.
fn unmatched(allowed: Option<String>) -> ApiError {
    match allowed {
        Some(methods) => ApiError::new(
            Kind::MethodNotAllowed,
            format!("this endpoint answers {methods} only"),
        )
        .with_allow(methods),
        None => ApiError::not_found(
            "no such endpoint; the API is described at /openapi.json and /docs/",
        ),
    }
}

/// Errors produced by actix itself (payload too large, method not allowed...) arrive as plain
/// text; rewrite them as problem documents so every error has the same shape. The inbox's HTML
/// error pages (a failed sign-in, a missing conversation) are meant for people and stay.
fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let content_type = res.response().headers().get(header::CONTENT_TYPE);
    let is_problem =
        content_type.is_some_and(|v| v == HeaderValue::from_static("application/problem+json"));
    let is_page = content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let kind = Kind::for_framework_status(status);
    let detail = match kind {
        Kind::PayloadTooLarge => {
            "the request body exceeds the size limit (BATON_MAX_BODY)".to_string()
        }
        Kind::MethodNotAllowed => "this endpoint does not take that method".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let (req, _) = res.into_parts();
    let response: HttpResponse<BoxBody> =
        actix_web::ResponseError::error_response(&ApiError::new(kind, detail));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// A path or query parameter holding U+0000 (`%00`) is refused with 400 naming it, on every
/// endpoint: PostgreSQL cannot store or compare such text, and SQLite must not accept what
/// PostgreSQL refuses (one rule for both backends; bodies are checked in `routes::parse_json`).
async fn refuse_nul_in_url(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // On every request (the turn gate too): a raw request line cannot hold a NUL byte, so
    // only a `%00` (digits, no case) can smuggle one in; the query is parsed only then.
    let field = if req.path().contains("%00") {
        Some("path".to_string())
    } else if !req.query_string().contains("%00") {
        None
    } else {
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, _)| k.replace('\0', "\\0"))
    };
    match field {
        Some(field) => {
            let error = ApiError::field(field, crate::domain::types::NUL_REFUSED);
            let response = actix_web::ResponseError::error_response(&error);
            Ok(req.into_response(response).map_into_right_body())
        }
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// Counts every response by status class, times the turn gate and counts its refusals.
fn count_responses<S, B>(
    req: actix_web::dev::ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + 'static
where
    S: actix_web::dev::Service<
        actix_web::dev::ServiceRequest,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    S::Future: 'static,
    B: 'static,
{
    let started = std::time::Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let turn_gate = req.method() == actix_web::http::Method::POST
        && req.path().starts_with("/v1/sessions/")
        && req.path().ends_with("/messages");
    let fut = srv.call(req);
    async move {
        let res = fut.await?;
        if let Some(state) = state {
            state.metrics.response(res.status().as_u16());
            let refused = res
                .response()
                .error()
                .and_then(|e| e.as_error::<ApiError>())
                .is_some_and(|e| e.kind == Kind::AiTurnRefused);
            if refused {
                state.metrics.refused_turn();
            }
            if turn_gate {
                state.metrics.turn_gate(started.elapsed());
            }
        }
        Ok(res)
    }
}
