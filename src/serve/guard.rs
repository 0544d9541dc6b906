//! What a request must show before the explorer acts on it. The server binds 127.0.0.1 only, but
//! a page from anywhere can make the browser send requests there:
//! - **DNS rebinding** makes a foreign name resolve to 127.0.0.1: the `Host` header then names
//!   that foreign host, so only `127.0.0.1:PORT` and `localhost:PORT` are served.
//! - **Cross-site requests** carry the right `Host`: a state-changing request (every POST) must
//!   also come from the page's own origin (`Origin`, `Sec-Fetch-Site` when the browser sends
//!   them) and carry the page's token, which a foreign page cannot read.
//! - **Size**: a body is read up to [`MAX_BODY`] bytes and refused beyond it.

/// Largest request body read, bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// A refusal: HTTP status and the reason, shown to the user.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Why.
    pub reason: String,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
    }
}

/// The refusal of a body beyond [`MAX_BODY`] (declared, or found while reading it).
pub fn too_large() -> Refusal {
    refuse(
        413,
        format!("a request body of at most {MAX_BODY} bytes is accepted"),
    )
}

/// The checks of one server: its port and its page token.
pub struct Guard {
    port: u16,
    token: String,
}

/// Equality that takes the same time wherever the strings differ (the token).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Guard {
    /// The guard of a server on `port` whose page carries `token`.
    pub fn new(port: u16, token: String) -> Guard {
        Guard { port, token }
    }

    /// The page's token (written into the page it serves).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Checks a request: `header(name)` gives a header's value (names case-insensitive),
    /// `post` whether it changes state, `length` its declared body length.
    pub fn check(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        post: bool,
        length: Option<usize>,
    ) -> Result<(), Refusal> {
        let hosts = [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ];
        match header("Host") {
            Some(h) if hosts.iter().any(|x| x.eq_ignore_ascii_case(h.trim())) => {}
            Some(h) => {
                return Err(refuse(
                    403,
                    format!("Host '{h}' is not this server ({}): refused", hosts[0]),
                ));
            }
            None => return Err(refuse(403, "no Host header: refused")),
        }
        if !post {
            return Ok(());
        }
        if let Some(o) = header("Origin") {
            let ok = hosts.iter().any(|h| same(o.trim(), &format!("http://{h}")));
            if !ok {
                return Err(refuse(
                    403,
                    format!("a request from origin '{o}' is not from the explorer's page: refused"),
                ));
            }
        }
        if let Some(s) = header("Sec-Fetch-Site")
            && !matches!(s.trim(), "same-origin" | "none")
        {
            return Err(refuse(
                403,
                format!("a {s} request is not from the explorer's page: refused"),
            ));
        }
        match header("X-Negsim-Token") {
            Some(t) if same(t.trim(), &self.token) => {}
            _ => {
                return Err(refuse(
                    403,
                    "missing or wrong page token: reload the explorer's page",
                ));
            }
        }
        if length.is_some_and(|n| n > MAX_BODY) {
            return Err(too_large());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let v: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        move |n: &str| {
            v.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, x)| x.clone())
        }
    }

    #[test]
    fn only_the_page_of_this_server_may_change_state() {
        let g = Guard::new(8123, "t0ken".into());
        let ok = headers(&[
            ("Host", "127.0.0.1:8123"),
            ("Origin", "http://127.0.0.1:8123"),
            ("Sec-Fetch-Site", "same-origin"),
            ("X-Negsim-Token", "t0ken"),
        ]);
        assert_eq!(g.check(&ok, true, Some(10)), Ok(()));
        assert_eq!(
            g.check(&headers(&[("host", "localhost:8123")]), false, None),
            Ok(())
        );
        let cases: [(&[(&str, &str)], u16); 7] = [
            (&[("Host", "evil.example:8123")], 403),
            (&[], 403),
            (&[("Host", "127.0.0.1:8124")], 403),
            (
                &[("Host", "127.0.0.1:8123"), ("X-Negsim-Token", "wrong")],
                403,
            ),
            (&[("Host", "127.0.0.1:8123")], 403),
            (
                &[
                    ("Host", "127.0.0.1:8123"),
                    ("Origin", "http://evil.example"),
                    ("X-Negsim-Token", "t0ken"),
                ],
                403,
            ),
            (
                &[
                    ("Host", "127.0.0.1:8123"),
                    ("Sec-Fetch-Site", "cross-site"),
                    ("X-Negsim-Token", "t0ken"),
                ],
                403,
            ),
        ];
        for (h, status) in cases {
            let r = g.check(&headers(h), true, Some(10)).expect_err("refused");
            assert_eq!(r.status, status, "{h:?}: {}", r.reason);
        }
        let big = g
            .check(&ok, true, Some(MAX_BODY + 1))
            .expect_err("too large");
        assert_eq!(big.status, 413);
    }
}
