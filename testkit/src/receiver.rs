//! A real HTTP server standing in for n8n's webhook: it records every request it gets (with its
//! arrival time), can be scripted to fail, can hand each request to a channel as it arrives, and
//! its Standard Webhooks signatures can be checked the way a receiver would.

use std::net::TcpListener;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// One request a receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub webhook_id: String,
    pub timestamp: String,
    pub signature: String,
    pub raw: String,
    pub body: Value,
    /// When its body had been read, before anything else was done with it.
    pub at: Instant,
}

type Subscriber = Arc<Mutex<Option<UnboundedSender<Received>>>>;

/// The receiver. It answers each request with the next status of its script (then 200 for ever)
/// and runs until the process ends.
pub struct Receiver {
    pub port: u16,
    pub got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<u16>>>,
    subscriber: Subscriber,
    delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    /// A receiver on a port of its own that answers 200.
    pub fn start() -> Receiver {
        Receiver::start_on(0, vec![])
    }

    /// A receiver on `port` (0: any free one) answering with `script`'s statuses first.
    pub fn start_on(port: u16, script: Vec<u16>) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script));
        let subscriber: Subscriber = Arc::new(Mutex::new(None));
        let delay = Arc::new(Mutex::new(Duration::ZERO));
        let (tx, rx) = mpsc::channel();
        let (g, s, sub, d) = (
            got.clone(),
            script.clone(),
            subscriber.clone(),
            delay.clone(),
        );
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    let (g, s, sub, d) = (g.clone(), s.clone(), sub.clone(), d.clone());
                    actix_web::App::new().default_service(web::to(
                        move |req: HttpRequest, body: web::Bytes| {
                            let at = Instant::now();
                            let (g, s, sub, d) = (g.clone(), s.clone(), sub.clone(), d.clone());
                            async move {
                                let h = |n: &str| {
                                    req.headers()
                                        .get(n)
                                        .and_then(|v| v.to_str().ok())
                                        .unwrap_or("")
                                        .to_string()
                                };
                                let raw = String::from_utf8_lossy(&body).to_string();
                                let status = {
                                    let mut s = s.lock().unwrap();
                                    if s.is_empty() {
                                        200
                                    } else {
                                        s.remove(0)
                                    }
                                };
                                let received = Received {
                                    path: req.path().to_string(),
                                    webhook_id: h("webhook-id"),
                                    timestamp: h("webhook-timestamp"),
                                    signature: h("webhook-signature"),
                                    body: serde_json::from_str(&raw).unwrap_or(Value::Null),
                                    raw,
                                    at,
                                };
                                if let Some(tx) = sub.lock().unwrap().as_ref() {
                                    let _ = tx.send(received.clone());
                                }
                                g.lock().unwrap().push(received);
                                let wait = *d.lock().unwrap();
                                if !wait.is_zero() {
                                    actix_web::rt::time::sleep(wait).await;
                                }
                                HttpResponse::build(
                                    actix_web::http::StatusCode::from_u16(status).unwrap(),
                                )
                                .body("ok")
                            }
                        },
                    ))
                })
                .workers(1)
                .bind(("127.0.0.1", port))
                .expect("bind receiver");
                let _ = tx.send(server.addrs()[0].port());
                let _ = server.run().await;
            });
        });
        let port = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("receiver started");
        Receiver {
            port,
            got,
            script,
            subscriber,
            delay,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// From now on, every request as it arrives (replaces an earlier subscription).
    pub fn arrivals(&self) -> UnboundedReceiver<Received> {
        let (tx, rx) = unbounded_channel();
        *self.subscriber.lock().unwrap() = Some(tx);
        rx
    }

    /// Waits (up to 20 s, else panics) until `pred` holds for what was received.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        self.wait_for_within(what, Duration::from_secs(20), pred)
            .await
    }

    /// `wait_for` with its own deadline, for what a busy machine may take long to finish.
    pub async fn wait_for_within(
        &self,
        what: &str,
        within: Duration,
        pred: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; got {:#?}",
                    got.iter().map(|r| &r.body).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn of_type(got: &[Received], t: &str) -> Vec<Received> {
        got.iter()
            .filter(|r| r.body["type"] == t)
            .cloned()
            .collect()
    }

    /// Sets the statuses of the next answers.
    pub fn answer_next(&self, statuses: Vec<u16>) {
        *self.script.lock().unwrap() = statuses;
    }
}

/// A port that was free a moment ago (for a receiver that must start after Baton knows its URL).
impl Receiver {
    /// Answers every later request only after `wait` (a slow receiver; it is recorded on
    /// arrival).
    pub fn answer_after(&self, wait: Duration) {
        *self.delay.lock().unwrap() = wait;
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Verifies a Standard Webhooks signature the way a receiver would.
pub fn verify_signature(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.webhook_id, r.timestamp, r.raw).as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    r.signature.split(' ').any(|s| s == expected)
}
