//! A tiny load balancer on loopback, as an operator puts in front of several Baton replicas: it
//! hands each new TCP connection to the next backend in turn, and when a backend refuses the
//! connection (its process is gone) to the one after it. A connection stays with its backend
//! for its life; when that backend dies the connection closes, and the client's next one goes
//! to a backend that answers. It counts the connections each backend took.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// The balancer; it runs until the process ends.
pub struct Balancer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    served: Arc<Vec<AtomicUsize>>,
}

impl Balancer {
    /// Starts a balancer on 127.0.0.1 (a free port) in front of `backends`
    /// (`http://127.0.0.1:PORT` each).
    pub fn start(backends: &[&str]) -> anyhow::Result<Balancer> {
        let addrs: Vec<SocketAddr> = backends
            .iter()
            .map(|b| {
                b.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()
                    .map_err(|e| anyhow::anyhow!("backend {b}: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        anyhow::ensure!(!addrs.is_empty(), "a balancer needs a backend");
        let served: Arc<Vec<AtomicUsize>> =
            Arc::new(addrs.iter().map(|_| AtomicUsize::new(0)).collect());
        let counts = served.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("balancer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("balancer runtime");
                runtime.block_on(async move {
                    let listener = match TcpListener::bind("127.0.0.1:0").await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = tx.send(listener.local_addr().map_err(|e| e.to_string()));
                    let addrs = Arc::new(addrs);
                    let mut next = 0usize;
                    while let Ok((client, _)) = listener.accept().await {
                        let first = next % addrs.len();
                        next += 1;
                        let (addrs, counts) = (addrs.clone(), counts.clone());
                        tokio::spawn(async move {
                            let _ = client.set_nodelay(true);
                            if let Some((i, backend)) = connect(&addrs, first).await {
                                counts[i].fetch_add(1, Ordering::Relaxed);
                                pipe(client, backend).await;
                            }
                        });
                    }
                });
            })?;
        let addr = rx
            .recv_timeout(Duration::from_secs(10))?
            .map_err(|e| anyhow::anyhow!("balancer: {e}"))?;
        Ok(Balancer {
            base: format!("http://{addr}"),
            served,
        })
    }

    /// How many connections each backend took so far, in the order given.
    pub fn served(&self) -> Vec<usize> {
        self.served
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }
}

/// The first backend from `first` on that accepts a connection.
async fn connect(addrs: &[SocketAddr], first: usize) -> Option<(usize, TcpStream)> {
    for k in 0..addrs.len() {
        let i = (first + k) % addrs.len();
        let attempt = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addrs[i]));
        if let Ok(Ok(stream)) = attempt.await {
            let _ = stream.set_nodelay(true);
            return Some((i, stream));
        }
    }
    None
}

/// Copies both ways until either side closes; then closes both.
async fn pipe(mut client: TcpStream, mut backend: TcpStream) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
}
