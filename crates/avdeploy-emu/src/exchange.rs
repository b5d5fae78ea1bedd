//! One HTTP exchange as the handlers see it: a decoded request and the response they build,
//! with ARM's error envelope `{"error":{"code","message"}}`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

/// A request with its path and query decoded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// `GET`, `PUT`, `PATCH`, `POST`, `DELETE`, `HEAD`.
    pub(crate) method: String,
    /// The percent-decoded path, without the query.
    pub(crate) path: String,
    /// The decoded query pairs in order.
    pub(crate) query: Vec<(String, String)>,
    /// Headers by lower-case name.
    pub(crate) headers: BTreeMap<String, String>,
    /// The raw body.
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The first query value of `key` (case-insensitive, as ARM treats them).
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The `api-version` query parameter.
    pub(crate) fn api_version(&self) -> Option<&str> {
        self.query("api-version")
    }

    /// A header by name (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON (`null` when empty), or ARM's `InvalidRequestContent` 400.
    pub(crate) fn json(&self) -> Result<Value, Response> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            Response::error(
                400,
                "InvalidRequestContent",
                &format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        })
    }

    /// The body as `application/x-www-form-urlencoded` pairs.
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        pairs(&String::from_utf8_lossy(&self.body))
    }

    /// The path split into its non-empty segments.
    pub(crate) fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// What a handler answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Response {
    /// The HTTP status.
    pub(crate) status: u16,
    /// Extra headers (content type is added for JSON bodies).
    pub(crate) headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub(crate) body: Option<Value>,
    /// How long to hold the answer back (a hung call, the latency of a read).
    pub(crate) delay: Duration,
}

impl Response {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
            delay: Duration::ZERO,
        }
    }

    /// An answer without a body.
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
            delay: Duration::ZERO,
        }
    }

    /// ARM's error envelope.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, json!({"error": {"code": code, "message": message}}))
    }

    /// The same answer with one more header.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The value of a header this answer carries.
    #[cfg(test)]
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error code of an ARM error envelope.
    #[cfg(test)]
    pub(crate) fn error_code(&self) -> Option<&str> {
        self.body.as_ref()?["error"]["code"].as_str()
    }
}

/// Splits `a=1&b=x%20y` into decoded pairs (`+` is a space, as in forms).
pub(crate) fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

/// Percent-decodes `text`; malformed escapes are kept as written.
pub(crate) fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries_and_forms() {
        assert_eq!(decode("a%20b%2Fc%zz"), "a b/c%zz");
        assert_eq!(
            pairs("grant_type=client_credentials&scope=https%3A%2F%2Fx%2F.default&n=a+b"),
            [
                ("grant_type".into(), "client_credentials".into()),
                ("scope".into(), "https://x/.default".into()),
                ("n".into(), "a b".into())
            ]
        );
    }

    #[test]
    fn bad_json_is_arms_invalid_request_content() {
        let request = Request {
            body: b"{nope".to_vec(),
            ..Request::default()
        };
        let err = request.json().unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.error_code(), Some("InvalidRequestContent"));
        assert_eq!(Request::default().json().unwrap(), Value::Null);
    }
}
