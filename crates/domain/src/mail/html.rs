//! An e-mail's HTML body, cleaned twice. When the message arrives ([`sanitize`]) ammonia
//! removes scripts, styles, event handlers, Outlook's office markup and every relative
//! URL; image sources stay if they are the message's own parts (`cid:`) or remote
//! (`http(s)://`), and the remote ones are counted. Each time the body is shown
//! ([`show`]) the remote sources are removed again unless the agent asked to see them —
//! fetching one tells the sender that and when the mail was read — and `cid:` sources
//! become the URLs of the inline parts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn has_scheme(v: &str, scheme: &str) -> bool {
    let v = v.trim_start();
    v.len() > scheme.len()
        && v.as_bytes()[scheme.len()] == b':'
        && v[..scheme.len()].eq_ignore_ascii_case(scheme)
}

fn is_remote(v: &str) -> bool {
    has_scheme(v, "http") || has_scheme(v, "https")
}

/// Cleans an HTML body as it arrives; returns it with the number of remote images in it.
pub fn sanitize(html: &str) -> (String, usize) {
    let remote = Arc::new(AtomicUsize::new(0));
    let counter = remote.clone();
    let clean = ammonia::Builder::default()
        .add_url_schemes(&["cid"])
        .url_relative(ammonia::UrlRelative::Deny)
        .attribute_filter(move |element, attribute, value| {
            if element == "img" && attribute == "src" {
                if has_scheme(value, "cid") {
                    return Some(Cow::Borrowed(value));
                }
                if is_remote(value) {
                    counter.fetch_add(1, Ordering::Relaxed);
                    return Some(Cow::Borrowed(value));
                }
                return None;
            }
            Some(Cow::Borrowed(value))
        })
        .clean(html)
        .to_string();
    (clean, remote.load(Ordering::Relaxed))
}

/// Lets through only the relative URLs under one path (the message's own parts).
struct OnlyUnder(String);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for OnlyUnder {
    fn evaluate<'url>(&self, url: &'url str) -> Option<Cow<'url, str>> {
        url.starts_with(self.0.as_str())
            .then_some(Cow::Borrowed(url))
    }
}

/// What [`show`] made of a stored body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub html: String,
    /// Remote images in the body: removed unless `remote` was asked for.
    pub remote_images: usize,
}

/// Prepares a body cleaned by [`sanitize`] for showing. `inline` maps a content id (as in
/// `cid:<id>`) to the URL of that part, and every such URL must start with
/// `inline_prefix` (the only relative URLs let through); `cid:` sources without a part
/// are removed. Remote image sources stay only when `remote` is true.
pub fn show(
    stored: &str,
    remote: bool,
    inline_prefix: &str,
    inline: HashMap<String, String>,
) -> Shown {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let html = ammonia::Builder::default()
        .add_url_schemes(&["cid"])
        .url_relative(ammonia::UrlRelative::Custom(Box::new(OnlyUnder(
            inline_prefix.to_string(),
        ))))
        .attribute_filter(move |element, attribute, value| {
            if element != "img" || attribute != "src" {
                return Some(Cow::Borrowed(value));
            }
            if has_scheme(value, "cid") {
                let id = value.trim_start()[4..].trim().trim_matches(['<', '>']);
                return inline.get(id).map(|url| Cow::Owned(url.clone()));
            }
            if is_remote(value) {
                counter.fetch_add(1, Ordering::Relaxed);
                return remote.then_some(Cow::Borrowed(value));
            }
            None
        })
        .clean(stored)
        .to_string();
    Shown {
        html,
        remote_images: count.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"<p onclick="x()">您好<script>alert(1)</script></p>
<img src="https://tracker.example.net/open.gif?u=7">
<img src="cid:shot1@outlook"><img src="CID:missing@x"><img src="/api/v1/auth/logout">
<img src="data:image/png;base64,AAAA"><a href="/tickets">站内</a><a href="https://example.com/a">外链</a>"#;

    #[test]
    fn arrival_keeps_remote_and_inline_sources_and_nothing_relative() {
        let (clean, remote) = sanitize(BODY);
        assert_eq!(remote, 1, "{clean}");
        assert!(
            clean.contains("https://tracker.example.net/open.gif?u=7"),
            "{clean}"
        );
        assert!(clean.contains("cid:shot1@outlook"), "{clean}");
        for gone in [
            "<script",
            "onclick",
            "/api/v1/auth/logout",
            "data:image",
            "/tickets\"",
        ] {
            assert!(!clean.contains(gone), "{gone} survived: {clean}");
        }
        assert!(clean.contains("https://example.com/a"), "{clean}");
    }

    #[test]
    fn remote_images_load_only_when_asked() {
        let (stored, _) = sanitize(BODY);
        let parts = HashMap::from([(
            "shot1@outlook".to_string(),
            "/mail/messages/m1/parts/0".to_string(),
        )]);
        let blocked = show(&stored, false, "/mail/messages/m1/parts/", parts.clone());
        assert_eq!(blocked.remote_images, 1);
        assert!(
            !blocked.html.contains("tracker.example.net"),
            "{}",
            blocked.html
        );
        assert!(
            blocked.html.contains(r#"src="/mail/messages/m1/parts/0""#),
            "{}",
            blocked.html
        );
        assert!(
            !blocked.html.contains("cid:"),
            "an unknown part is dropped: {}",
            blocked.html
        );

        let asked = show(&stored, true, "/mail/messages/m1/parts/", parts);
        assert_eq!(asked.remote_images, 1);
        assert!(
            asked
                .html
                .contains("https://tracker.example.net/open.gif?u=7"),
            "{}",
            asked.html
        );
    }

    #[test]
    fn a_stored_body_cannot_smuggle_a_relative_url_past_show() {
        // Bodies stored before relative URLs were denied on arrival still pass `show`.
        let old = r#"<img src="/api/v1/auth/logout"><a href="/admin">x</a><img src="/mail/messages/m2/parts/0">"#;
        let shown = show(old, true, "/mail/messages/m1/parts/", HashMap::new());
        assert!(!shown.html.contains("/api/v1"), "{}", shown.html);
        assert!(!shown.html.contains("/admin"), "{}", shown.html);
        assert!(!shown.html.contains("m2"), "{}", shown.html);
    }
}
