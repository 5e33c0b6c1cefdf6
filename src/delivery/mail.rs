//! Alert e-mails over SMTP (lettre, rustls): the worker hands a mail delivery here instead of
//! POSTing it. One connection per mail (alerts are few; no pool to go stale), STARTTLS or TLS
//! as `BATON_SMTP_URL` says, plain text only to a loopback relay.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpConfig, SmtpTls};
use crate::domain::alerts::AlertMail;

/// The configured mail server and sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(c: &SmtpConfig, timeout: Duration) -> anyhow::Result<Mailer> {
        let tls = match c.tls {
            SmtpTls::Starttls => Tls::Required(TlsParameters::new(c.host.clone())?),
            SmtpTls::Implicit => Tls::Wrapper(TlsParameters::new(c.host.clone())?),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.clone())
            .port(c.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some((user, password)) = &c.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: c.from.parse()?,
        })
    }

    /// Sends one alert; `Ok` is the server's reply code (250), `Err` what went wrong, with the
    /// server's answer when it gave one.
    pub async fn send(&self, mail: &AlertMail, delivery_id: &str) -> Result<u16, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("bad recipient {:?}: {e}", mail.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            // The delivery id, so a retried alert that did arrive can be recognised.
            .message_id(Some(format!("<{delivery_id}@baton>")))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| format!("cannot build the mail: {e}"))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(response.code().to_string().parse().unwrap_or(250)),
            Err(e) => {
                let mut text = format!("SMTP: {e}");
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    text.push_str(&format!(": {s}"));
                    source = s.source();
                }
                Err(text.chars().take(500).collect())
            }
        }
    }
}
