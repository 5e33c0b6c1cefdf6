//! The reviewer inbox at `/inbox`: server-rendered pages (queue, conversation, insights, and
//! the admin pages), their script and style sheet, and the security headers that go with them;
//! and the first-run setup page at `/setup/<token>`, under the same rules.
//! The pages act through the JSON API (`/v1/...`) with the inbox's session cookie and CSRF
//! token; live updates come from `GET /v1/events`.

pub mod admin;
pub mod alerts;
pub mod canned;
pub mod charts;
pub mod insights;
pub mod pages;
pub mod routing;
pub mod search;
pub mod setup;
pub mod templates;
pub mod texts;
pub mod views;
pub mod widgets;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

/// Pages may load only Baton's own script, style and connections; nothing may frame them.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The security headers of every page: the CSP above, no framing, no referrer.
fn page_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
}

/// Registers the inbox under `/inbox`, and the first-run setup under `/setup`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/setup")
            .wrap(page_headers())
            .route("/{token}", web::get().to(setup::get_setup))
            .route("/{token}", web::post().to(setup::create_setup))
            .default_service(web::to(setup::no_setup)),
    );
    cfg.service(
        web::scope("/inbox")
            .wrap(page_headers())
            .route("", web::get().to(pages::get_queue))
            .route("/", web::get().to(pages::get_queue))
            .route("/login", web::get().to(pages::get_login))
            .route("/login", web::post().to(pages::create_login))
            .route("/logout", web::post().to(pages::create_logout))
            .route(
                "/admin/teams/{team}/routing",
                web::get().to(routing::get_team_routing_page),
            )
            .route("/search", web::get().to(search::get_search))
            .route("/insights", web::get().to(pages::get_insights))
            .route("/canned", web::get().to(pages::get_canned))
            .route("/notifications", web::get().to(alerts::get_notifications))
            .route("/admin", web::get().to(pages::get_admin))
            .route("/admin/{section}", web::get().to(pages::get_admin_section))
            .route("/assets/inbox.js", web::get().to(pages::get_script))
            .route("/assets/inbox.css", web::get().to(pages::get_stylesheet))
            .route(
                "/sessions/{tail:.*}",
                web::get().to(pages::get_conversation),
            ),
    );
}
