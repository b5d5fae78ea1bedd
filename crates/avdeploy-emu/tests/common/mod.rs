//! A client of the emulator over real HTTPS that trusts only the run's CA and logs in.

#![allow(dead_code, reason = "each test file uses part of the helper")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use avdeploy_emu::{Emulator, EmulatorConfig, FaultConfig};
use avdeploy_sim::faults::FaultRule;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

pub(crate) const SUB: &str = "5e1d0c0a-0000-4000-8000-00000000a2de";

pub(crate) struct Client {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) connector: tokio_rustls::TlsConnector,
    pub(crate) port: u16,
    pub(crate) token: String,
    pub(crate) command: Option<String>,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Value,
}

impl Client {
    pub(crate) fn new(emulator: &Emulator) -> Self {
        let pem = std::fs::read(emulator.ca_bundle()).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let port = emulator
            .base_url()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let mut client = Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            connector: tokio_rustls::TlsConnector::from(Arc::new(tls)),
            port,
            token: String::new(),
            command: None,
        };
        let form =
            "grant_type=client_credentials&client_id=app-1&client_secret=s3cret&scope=x%2F.default";
        let answer = client.send(
            "POST",
            &format!(
                "/{}/oauth2/v2.0/token",
                avdeploy_emu::config::DEFAULT_TENANT
            ),
            Some(form.as_bytes().to_vec()),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        client.token = answer.body["access_token"].as_str().unwrap().to_owned();
        client
    }

    pub(crate) fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.send(method, path, body.map(|b| b.to_string().into_bytes()))
    }

    pub(crate) fn send(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Answer {
        self.runtime.block_on(async {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .unwrap();
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let tls = self.connector.connect(name, tcp).await.unwrap();
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .unwrap();
            tokio::spawn(connection);
            let mut request = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("Host", format!("127.0.0.1:{}", self.port));
            if !self.token.is_empty() {
                request = request.header("Authorization", format!("Bearer {}", self.token));
            }
            if let Some(command) = &self.command {
                request = request
                    .header("CommandName", command.as_str())
                    .header("ParameterSetName", "--resource-group --name");
            }
            let request = request
                .body(Full::new(Bytes::from(body.unwrap_or_default())))
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap()
            };
            Answer {
                status,
                headers,
                body,
            }
        })
    }

    /// Follows an accepted answer's polling header until the operation ends.
    pub(crate) fn wait(&self, accepted: &Answer) -> Value {
        let url = accepted.headers["azure-asyncoperation"].to_str().unwrap();
        let path = url.split_once("127.0.0.1:").unwrap().1;
        let path = &path[path.find('/').unwrap()..];
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = self.call("GET", path, None);
            assert_eq!(status.status, 200);
            if status.body["status"] != "InProgress" {
                return status.body;
            }
            assert!(Instant::now() < deadline, "operation never ended");
            let wait: f64 = status.headers["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            std::thread::sleep(Duration::from_secs_f64(wait.min(1.0)));
        }
    }
}

pub(crate) fn config(dir: &std::path::Path, rules: &str, time_scale: f64) -> EmulatorConfig {
    let mut config = EmulatorConfig::for_dir(dir.to_owned());
    config.time_scale = time_scale;
    config.faults = FaultConfig {
        seed: 1,
        rules: FaultRule::parse_all(rules).unwrap(),
        write_burst: None,
        write_refill: 10.0,
    };
    config
}

pub(crate) fn rg(path: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg1{path}")
}
