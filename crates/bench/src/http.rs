//! Hand-written HTTP/1.1 client over one keep-alive TCP connection: just enough to time
//! GETs, and JSON and form POSTs.
//!
//! No HTTP library on purpose: the load generator should cost as little CPU as
//! possible on the machine it shares with the server, and we never send
//! `Accept-Encoding`, so bodies arrive uncompressed, as most clients see them.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One request to send: method, path with query, extra headers and body.
///
/// `Host` is added when encoding, and `Content-Length` whenever there is a body or the
/// method is not `GET`/`HEAD`, so keep-alive framing stays right.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: &'static str,
    pub path: String,
    /// Header names and values, written as given (no CR or LF inside).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RequestSpec {
    pub fn get(path: impl Into<String>) -> Self {
        RequestSpec {
            method: "GET",
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` with a JSON body.
    pub fn post_json(path: impl Into<String>, json: &str) -> Self {
        RequestSpec {
            method: "POST",
            path: path.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: json.as_bytes().to_vec(),
        }
    }

    /// A `POST` with an HTML-form (`application/x-www-form-urlencoded`) body, as Open311
    /// clients send it.
    pub fn post_form(path: impl Into<String>, fields: &[(&str, &str)]) -> Self {
        RequestSpec {
            method: "POST",
            path: path.into(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: form_urlencode(fields).into_bytes(),
        }
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The request's bytes, for a server reached under `host`.
    pub fn encode(&self, host: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.body.len());
        self.encode_into(host, &mut out);
        out
    }

    /// Replaces the contents of `out` with the request's bytes (reuses its allocation).
    pub fn encode_into(&self, host: &str, out: &mut Vec<u8>) {
        out.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "{} {} HTTP/1.1\r\nHost: {host}\r\n",
            self.method, self.path
        );
        for (name, value) in &self.headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        if !self.body.is_empty() || !matches!(self.method, "GET" | "HEAD") {
            let _ = write!(out, "Content-Length: {}\r\n", self.body.len());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

/// `a=1&b=x+y%C3%AA`: fields encoded as browsers encode a form (WHATWG URL standard,
/// application/x-www-form-urlencoded): ASCII letters, digits and `*-._` as they are, space
/// as `+`, every other byte of the UTF-8 text as `%XX`.
pub fn form_urlencode(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        form_escape_into(&mut out, name);
        out.push('=');
        form_escape_into(&mut out, value);
    }
    out
}

fn form_escape_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
    }
}

/// The bytes of a plain `GET` request, built once and written for every request.
pub fn get_request(host: &str, path: &str) -> Vec<u8> {
    RequestSpec::get(path).encode(host)
}

/// What the load generator needs to know about one response.
#[derive(Debug, Clone, Copy)]
pub struct Response {
    pub status: u16,
    pub body_len: usize,
    /// False when the server asked to close or the body ran to end of stream.
    pub keep_alive: bool,
}

/// How the body of a response is delimited (RFC 9112 §6.3).
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// One keep-alive connection; buffers are reused across requests.
pub struct Conn {
    stream: BufReader<TcpStream>,
    line: Vec<u8>,
    body: Vec<u8>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        // Each request is one small write; Nagle would hold it back waiting for an ACK.
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream: BufReader::with_capacity(64 * 1024, stream),
            line: Vec::with_capacity(256),
            body: Vec::with_capacity(32 * 1024),
        })
    }

    /// Writes a prepared request and reads the whole response.
    pub async fn send(&mut self, request: &[u8]) -> Result<Response> {
        self.stream.get_mut().write_all(request).await?;
        let status = self.read_status().await?;
        let (framing, mut keep_alive) = self.read_headers().await?;
        let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
            Framing::Length(0)
        } else {
            framing
        };
        self.body.clear();
        match framing {
            Framing::Length(n) => self.read_exact_body(n).await?,
            Framing::Chunked => self.read_chunked_body().await?,
            Framing::UntilClose => {
                self.stream.read_to_end(&mut self.body).await?;
                keep_alive = false;
            }
        }
        Ok(Response {
            status,
            body_len: self.body.len(),
            keep_alive,
        })
    }

    /// The body of the last response.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Reads one CRLF-terminated line into `self.line`, without the line ending.
    async fn read_line(&mut self) -> Result<()> {
        self.line.clear();
        if self.stream.read_until(b'\n', &mut self.line).await? == 0 {
            bail!("connection closed by the server");
        }
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        Ok(())
    }

    /// Parses `HTTP/1.1 200 OK` into 200.
    async fn read_status(&mut self) -> Result<u16> {
        self.read_line().await?;
        let line = std::str::from_utf8(&self.line).context("status line is not UTF-8")?;
        let mut parts = line.split(' ');
        let version = parts.next().unwrap_or("");
        let code = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            bail!("not an HTTP/1.x status line: {line:?}");
        }
        code.parse()
            .with_context(|| format!("bad status line: {line:?}"))
    }

    /// Reads header lines up to the blank line; returns body framing and keep-alive.
    async fn read_headers(&mut self) -> Result<(Framing, bool)> {
        let mut framing = Framing::UntilClose;
        let mut keep_alive = true;
        loop {
            self.read_line().await?;
            if self.line.is_empty() {
                return Ok((framing, keep_alive));
            }
            let Some(colon) = self.line.iter().position(|&b| b == b':') else {
                bail!("malformed header line");
            };
            let (name, value) = self.line.split_at(colon);
            let value = std::str::from_utf8(&value[1..])
                .context("header value is not UTF-8")?
                .trim();
            if name.eq_ignore_ascii_case(b"content-length") {
                // Chunked wins over Content-Length when both are present (RFC 9112 §6.3).
                if !matches!(framing, Framing::Chunked) {
                    framing = Framing::Length(value.parse().context("bad Content-Length")?);
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                if value.to_ascii_lowercase().contains("chunked") {
                    framing = Framing::Chunked;
                }
            } else if name.eq_ignore_ascii_case(b"connection") {
                keep_alive = !value.eq_ignore_ascii_case("close");
            }
        }
    }

    /// Appends exactly `n` body bytes to `self.body`.
    async fn read_exact_body(&mut self, n: usize) -> Result<()> {
        let start = self.body.len();
        self.body.resize(start + n, 0);
        self.stream
            .read_exact(&mut self.body[start..])
            .await
            .context("body cut short")?;
        Ok(())
    }

    /// Reads `size[;ext] CRLF data CRLF` chunks up to the zero chunk and its trailers.
    async fn read_chunked_body(&mut self) -> Result<()> {
        loop {
            self.read_line().await?;
            let line = std::str::from_utf8(&self.line).context("chunk size is not UTF-8")?;
            let hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16)
                .with_context(|| format!("bad chunk size: {line:?}"))?;
            if size == 0 {
                return self.skip_trailers().await;
            }
            self.read_exact_body(size).await?;
            self.read_line().await?;
            if !self.line.is_empty() {
                bail!("chunk not followed by CRLF");
            }
        }
    }

    async fn skip_trailers(&mut self) -> Result<()> {
        loop {
            self.read_line().await?;
            if self.line.is_empty() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serves `replies` one after another on a single connection, whatever is asked.
    async fn canned(replies: &'static [&'static str]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            for reply in replies {
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_length_and_chunked_bodies_on_one_connection() {
        let addr = canned(&[
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nset-cookie: a=b\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        ])
        .await;
        let mut conn = Conn::connect(addr).await.unwrap();
        let req = get_request("127.0.0.1", "/");
        let r = conn.send(&req).await.unwrap();
        assert_eq!((r.status, r.body_len, r.keep_alive), (200, 2, true));
        assert_eq!(conn.body(), b"ok");
        let r = conn.send(&req).await.unwrap();
        assert_eq!((r.status, r.body_len), (200, 11));
        assert_eq!(conn.body(), b"hello world");
        let r = conn.send(&req).await.unwrap();
        assert_eq!((r.status, r.body_len, r.keep_alive), (404, 0, false));
    }

    #[test]
    fn form_encoding_escapes_like_a_browser() {
        assert_eq!(
            form_urlencode(&[("api_key", "o311_Ab-9"), ("lat", "19.33")]),
            "api_key=o311_Ab-9&lat=19.33"
        );
        // Vietnamese in UTF-8; the form's own separators and `+` are escaped.
        assert_eq!(
            form_urlencode(&[("description", "Đèn hỏng 2 ngày"), ("q", "a&b=c+d/é")]),
            "description=%C4%90%C3%A8n+h%E1%BB%8Fng+2+ng%C3%A0y&q=a%26b%3Dc%2Bd%2F%C3%A9"
        );
        assert_eq!(form_urlencode(&[]), "");
        assert_eq!(form_urlencode(&[("e", "")]), "e=");
    }

    #[test]
    fn encodes_headers_and_body_with_length() {
        assert_eq!(
            get_request("h:1", "/x?a=1"),
            b"GET /x?a=1 HTTP/1.1\r\nHost: h:1\r\n\r\n"
        );
        let post = RequestSpec::post_json("/api", r#"{"n":"Ngư"}"#).bearer("xaso_t");
        let text = String::from_utf8(post.encode("h")).unwrap();
        assert_eq!(
            text,
            "POST /api HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
             Authorization: Bearer xaso_t\r\nContent-Length: 12\r\n\r\n{\"n\":\"Ngư\"}"
        );
        let form = RequestSpec::post_form("/f", &[("a", "1"), ("b", "x y")]);
        let text = String::from_utf8(form.encode("h")).unwrap();
        assert_eq!(
            text,
            "POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 9\r\n\r\na=1&b=x+y"
        );
        let mut buf = b"old bytes".to_vec();
        RequestSpec::get("/").encode_into("h", &mut buf);
        assert_eq!(buf, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    }
}
