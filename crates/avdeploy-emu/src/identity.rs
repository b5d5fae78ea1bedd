//! Microsoft Entra ID as MSAL sees it: instance discovery, the tenant's OpenID configuration
//! and the v2.0 token endpoint (client credentials and refresh tokens). Any client id and
//! secret are accepted for the emulated tenant; access tokens are JWT-shaped and unsigned.

use avdeploy_sim::clock;
use serde_json::{Value, json};

use crate::exchange::{Request, Response};

/// Access token lifetime in real seconds, as Entra issues them.
const TOKEN_SECONDS: i64 = 3599;

/// Answers an identity request, or `None` when the path is not one.
pub(crate) fn respond(request: &Request, base_url: &str, tenant: &str) -> Option<Response> {
    let segs = request.segments();
    match segs.as_slice() {
        ["common", "discovery", "instance"] => Some(discovery(base_url, tenant)),
        [t, "v2.0", ".well-known", "openid-configuration"]
        | [t, ".well-known", "openid-configuration"] => {
            Some(known_tenant(t, tenant).unwrap_or_else(|| openid(base_url, tenant)))
        }
        [t, "oauth2", "v2.0", "token"] | [t, "oauth2", "token"] => {
            Some(known_tenant(t, tenant).unwrap_or_else(|| token(request, base_url, tenant)))
        }
        _ => None,
    }
}

/// The object id of the service principal of `client_id` in the emulated tenant.
pub(crate) fn principal_id(client_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in client_id.to_ascii_lowercase().bytes() {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let hex = format!("{h:016x}{:016x}", h.rotate_left(29) ^ 0x5a5a_a5a5_0f0f_f0f0);
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The claims of a bearer token, when it is one of ours.
pub(crate) fn claims(authorization: &str) -> Option<Value> {
    let token = authorization.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

fn known_tenant(asked: &str, tenant: &str) -> Option<Response> {
    let known = asked.eq_ignore_ascii_case(tenant)
        || ["organizations", "common"]
            .iter()
            .any(|t| asked.eq_ignore_ascii_case(t));
    (!known).then(|| {
        aad_error(
            400,
            "invalid_tenant",
            90002,
            &format!(
                "Tenant '{asked}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        )
    })
}

fn discovery(base_url: &str, tenant: &str) -> Response {
    let host = base_url.trim_start_matches("https://");
    Response::json(
        200,
        json!({
            "tenant_discovery_endpoint": format!("{base_url}/{tenant}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }),
    )
}

fn openid(base_url: &str, tenant: &str) -> Response {
    let root = format!("{base_url}/{tenant}");
    Response::json(
        200,
        json!({
            "token_endpoint": format!("{root}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{root}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("{root}/v2.0"),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": format!("{base_url}/oidc/userinfo"),
            "authorization_endpoint": format!("{root}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{root}/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{root}/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "oid", "tid", "ver"],
            "kerberos_endpoint": format!("{root}/kerberos"),
            "tenant_region_scope": "NA",
            "cloud_instance_name": "avdeploy.emulator",
            "cloud_graph_host_name": "graph.avdeploy.emulator",
            "msgraph_host": "graph.avdeploy.emulator",
        }),
    )
}

fn token(request: &Request, base_url: &str, tenant: &str) -> Response {
    let form = request.form();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let grant = field("grant_type").unwrap_or_default();
    let client = match grant {
        "client_credentials" => {
            let Some(client) = field("client_id") else {
                return aad_error(
                    400,
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: 'client_id'.",
                );
            };
            if field("client_secret").is_none() && field("client_assertion").is_none() {
                return aad_error(
                    401,
                    "invalid_client",
                    7000216,
                    "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                );
            }
            client
        }
        "refresh_token" if field("refresh_token").is_some() => {
            field("client_id").unwrap_or("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
        }
        _ => {
            return aad_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            );
        }
    };
    let scope = field("scope").unwrap_or_default();
    let audience = scope
        .split_whitespace()
        .find(|s| s.ends_with("/.default"))
        .map_or(base_url.to_owned(), |s| {
            s.trim_end_matches("/.default").to_owned()
        });
    let now = clock::now_ms() / 1000;
    let oid = principal_id(client);
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now, "nbf": now, "exp": now + TOKEN_SECONDS,
        "appid": client, "appidacr": "1", "idtyp": "app",
        "oid": oid, "sub": oid, "tid": tenant, "ver": "1.0",
    });
    let header = json!({"typ": "JWT", "alg": "none"});
    let access = format!(
        "{}.{}.",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "ext_expires_in": TOKEN_SECONDS,
        "access_token": access,
    });
    if !scope.is_empty() {
        body["scope"] = json!(scope);
    }
    Response::json(200, body)
}

fn aad_error(status: u16, error: &str, code: u32, text: &str) -> Response {
    Response::json(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text}"),
            "error_codes": [code],
            "timestamp": clock::iso_now(),
            "trace_id": crate::ids::guid(),
            "correlation_id": crate::ids::guid(),
        }),
    )
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding, as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|a| *a == c)?;
        acc = acc << 6 | u32::try_from(value).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from(acc >> bits & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://127.0.0.1:1";
    const TENANT: &str = "t1";

    fn post(path: &str, form: &str) -> Request {
        Request {
            method: "POST".into(),
            path: path.into(),
            body: form.as_bytes().to_vec(),
            ..Request::default()
        }
    }

    #[test]
    fn base64url_round_trips() {
        for text in ["", "a", "ab", "abc", "{\"oid\":\"é\"}"] {
            assert_eq!(
                base64url_decode(&base64url(text.as_bytes())).unwrap(),
                text.as_bytes()
            );
        }
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
    }

    #[test]
    fn client_credentials_give_a_jwt_with_the_principals_claims() {
        let request = post(
            "/t1/oauth2/v2.0/token",
            "grant_type=client_credentials&client_id=app1&client_secret=s&scope=https%3A%2F%2F127.0.0.1%3A1%2F.default",
        );
        let response = respond(&request, BASE, TENANT).unwrap();
        assert_eq!(response.status, 200);
        let body = response.body.unwrap();
        let claims = claims(&format!(
            "Bearer {}",
            body["access_token"].as_str().unwrap()
        ))
        .unwrap();
        assert_eq!(claims["appid"], "app1");
        assert_eq!(claims["tid"], TENANT);
        assert_eq!(claims["aud"], "https://127.0.0.1:1");
        assert_eq!(claims["oid"], principal_id("APP1"));
    }

    #[test]
    fn refuses_missing_secrets_and_unknown_tenants() {
        let no_secret = post(
            "/t1/oauth2/v2.0/token",
            "grant_type=client_credentials&client_id=a",
        );
        let response = respond(&no_secret, BASE, TENANT).unwrap();
        assert_eq!(response.status, 401);
        assert_eq!(response.body.unwrap()["error"], "invalid_client");
        let other = Request {
            method: "GET".into(),
            path: "/t2/v2.0/.well-known/openid-configuration".into(),
            ..Request::default()
        };
        assert_eq!(respond(&other, BASE, TENANT).unwrap().status, 400);
        let ours = Request {
            path: "/organizations/v2.0/.well-known/openid-configuration".into(),
            ..other
        };
        let config = respond(&ours, BASE, TENANT).unwrap().body.unwrap();
        assert_eq!(
            config["token_endpoint"],
            "https://127.0.0.1:1/t1/oauth2/v2.0/token"
        );
    }
}
