//! A loopback TCP proxy to put between Baton and PostgreSQL, to take the database away and bring
//! it back without touching the server other tests share: [`Proxy::cut`] drops every open
//! connection and refuses new ones (accepted and closed at once, as a restarting server's port
//! answers), [`Proxy::restore`] lets connections through again.
//!
//! Plain threads and blocking sockets: it runs the same under the tests' runtime and the
//! bench's, and a few dozen pooled connections are a few dozen threads.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The proxy, listening on 127.0.0.1 until dropped.
pub struct Proxy {
    /// The port Baton connects to instead of the database's.
    pub port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: SocketAddr,
    cut: AtomicBool,
    stop: AtomicBool,
    /// Both ends of every connection passed through, to shut them at a cut.
    open: Mutex<Vec<(TcpStream, TcpStream)>>,
    /// Connections refused while cut.
    refused: AtomicU64,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`) on a free loopback port.
    pub fn start(upstream: &str) -> anyhow::Result<Proxy> {
        let upstream = upstream
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| anyhow::anyhow!("{upstream} resolves to no address"))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            upstream,
            cut: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
            refused: AtomicU64::new(0),
        });
        let accepting = shared.clone();
        std::thread::Builder::new()
            .name("testkit-proxy".into())
            .spawn(move || accept(listener, accepting))?;
        Ok(Proxy { port, shared })
    }

    /// A proxy to the PostgreSQL server of `db_url` (`postgres://user@host:port/db`), and the
    /// same URL through the proxy.
    pub fn for_postgres(db_url: &str) -> anyhow::Result<(Proxy, String)> {
        let (scheme, rest) = db_url
            .split_once("://")
            .ok_or_else(|| anyhow::anyhow!("{db_url} is not a URL"))?;
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, hp)) => (format!("{user}@"), hp),
            None => (String::new(), authority),
        };
        let host_port = if host_port.contains(':') {
            host_port.to_string()
        } else {
            format!("{host_port}:5432")
        };
        let proxy = Proxy::start(&host_port)?;
        let url = format!("{scheme}://{user}127.0.0.1:{}{tail}", proxy.port);
        Ok((proxy, url))
    }

    /// Takes the database away: every open connection is shut, new ones are refused.
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
        let open = std::mem::take(&mut *self.shared.open.lock().unwrap());
        for (client, server) in open {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }

    /// Brings the database back: new connections pass again.
    pub fn restore(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
    }

    /// Connections refused while cut (each a reconnection attempt of the client).
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.cut();
        // Wakes the accepting thread so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if shared.cut.load(Ordering::SeqCst) {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.upstream) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let pair = (client.try_clone(), server.try_clone());
        let (Ok(c2), Ok(s2)) = pair else { continue };
        {
            let mut open = shared.open.lock().unwrap();
            // A cut between the check above and here must not let this one through.
            if shared.cut.load(Ordering::SeqCst) {
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
                continue;
            }
            if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
                open.push((c, s));
            }
            // Connections that ended on their own are forgotten.
            open.retain(|(c, _)| c.peer_addr().is_ok());
        }
        pump(client, s2);
        pump(server, c2);
    }
}

/// Copies `from` into `to` on a thread of its own until either side ends.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::thread::Builder::new()
        .name("testkit-proxy-pump".into())
        .spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = to.shutdown(Shutdown::Both);
            let _ = from.shutdown(Shutdown::Both);
        });
}
