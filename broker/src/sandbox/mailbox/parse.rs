//! From the bytes received after `DATA` to a [`ReceivedMail`]: headers and
//! bodies decoded by `mail-parser` (quoted-printable, base64, RFC 2047
//! encoded words, charsets).

use mail_parser::{Address, MessageParser, PartType};

use super::store::ReceivedMail;

/// The SMTP envelope of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM`.
    pub from: String,
    /// Every `RCPT TO`.
    pub to: Vec<String>,
}

/// `Name <address>`, or the bare address, or the bare name.
fn format_addr(name: Option<&str>, address: Option<&str>) -> Option<String> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let address = address.map(str::trim).filter(|a| !a.is_empty());
    match (name, address) {
        (Some(n), Some(a)) => Some(format!("{n} <{a}>")),
        (None, Some(a)) => Some(a.to_owned()),
        (Some(n), None) => Some(n.to_owned()),
        (None, None) => None,
    }
}

/// Every address of a header, groups flattened.
fn addresses(header: Option<&Address<'_>>) -> Vec<String> {
    header
        .map(|a| {
            a.iter()
                .filter_map(|addr| format_addr(addr.name(), addr.address()))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads `raw` (an RFC 5322 message). A message `mail-parser` cannot read
/// at all is kept with empty headers and its bytes, lossily decoded, as
/// text. The id is left at 0 for the mailbox to assign.
#[must_use]
pub fn received_mail(envelope: Envelope, raw: &[u8], received_at: i64) -> ReceivedMail {
    let mut mail = ReceivedMail {
        id: 0,
        received_at,
        envelope_from: envelope.from,
        envelope_to: envelope.to,
        from: String::new(),
        to: Vec::new(),
        subject: String::new(),
        text: String::new(),
        html: None,
        raw_size: raw.len(),
    };
    let Some(message) = MessageParser::default().parse(raw) else {
        mail.text = String::from_utf8_lossy(raw).into_owned();
        return mail;
    };
    mail.from = addresses(message.from()).join(", ");
    mail.to = message.all_to().flat_map(|a| addresses(Some(a))).collect();
    mail.subject = message.subject().unwrap_or_default().to_owned();
    // `body_text` converts an HTML-only message to text, which is what a
    // reader wants; `body_html` would wrap a text-only message in HTML,
    // which is not an HTML part, hence the look at the part itself.
    mail.text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    mail.html = message.html_bodies().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.clone().into_owned()),
        _ => None,
    });
    mail
}

#[cfg(test)]
mod unit {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            from: "a@example.org".into(),
            to: vec!["b@example.org".into()],
        }
    }

    #[test]
    fn decodes_encoded_words_and_quoted_printable() {
        let raw = b"From: =?utf-8?q?S=C3=A9curit=C3=A9?= <securite@pivot.test>\r\n\
To: Ren\xc3\xa9e <renee@example.org>, bob@example.org\r\n\
Subject: =?utf-8?b?Q29ubmV4aW9uIMOgIHZvdHJlIGNvbXB0ZQ==?=\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Une connexion a =C3=A9t=C3=A9 faite.\r\n";
        let mail = received_mail(envelope(), raw, 42);
        assert_eq!(mail.from, "Sécurité <securite@pivot.test>");
        assert_eq!(mail.to, ["Renée <renee@example.org>", "bob@example.org"]);
        assert_eq!(mail.subject, "Connexion à votre compte");
        assert_eq!(mail.text.trim_end(), "Une connexion a été faite.");
        assert_eq!(mail.html, None);
        assert_eq!(mail.raw_size, raw.len());
        assert_eq!(mail.received_at, 42);
        assert_eq!(mail.envelope_to, ["b@example.org"]);
    }

    #[test]
    fn html_only_message_gets_a_text_version() {
        let raw = b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour <b>Ren\xc3\xa9e</b></p>\r\n";
        let mail = received_mail(envelope(), raw, 0);
        assert!(mail.html.as_deref().unwrap().contains("<b>Renée</b>"));
        assert!(mail.text.contains("Bonjour"));
        assert!(!mail.text.contains("<b>"));
    }
}
