//! The HTTPS server: binds 127.0.0.1 on a free port, serves HTTP/1.1 over TLS from its own
//! runtime on a thread, logs every exchange, and stops on `shutdown` or drop.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use crate::cloud::CloudEndpoints;
use crate::config::EmulatorConfig;
use crate::error::EmuError;
use crate::exchange::{self, Request, Response};
use crate::requests_log::RequestsLog;
use crate::world::World;

/// The CA certificate's file name inside the state directory.
pub const CA_FILE: &str = "emulator-ca.pem";

/// Requests larger than this are refused (413): templates and scripts are far smaller.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A running emulator; it stops when dropped or shut down.
#[derive(Debug)]
pub struct Emulator {
    base_url: String,
    ca_bundle: PathBuf,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    world: Mutex<World>,
    log: Mutex<RequestsLog>,
}

impl Emulator {
    /// Starts an emulator for `config` on 127.0.0.1 and returns once it listens.
    pub fn start(config: EmulatorConfig) -> Result<Self, EmuError> {
        let dir = config.state_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| EmuError::File {
            path: dir.clone(),
            source,
        })?;
        let certificates = crate::tls::generate()?;
        let ca_bundle = dir.join(CA_FILE);
        write_private(&ca_bundle, certificates.ca_pem.as_bytes())?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|source| EmuError::Bind { source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| EmuError::Bind { source })?;
        let port = listener
            .local_addr()
            .map_err(|source| EmuError::Bind { source })?
            .port();
        let base_url = format!("https://127.0.0.1:{port}");
        let shared = Arc::new(Shared {
            world: Mutex::new(World::open(config, base_url.clone())?),
            log: Mutex::new(RequestsLog::open(&dir)?),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("avdeploy-emulator")
            .enable_all()
            .build()
            .map_err(|source| EmuError::Runtime { source })?;
        let (stop, stopped) = watch::channel(false);
        let acceptor = tokio_rustls::TlsAcceptor::from(certificates.server);
        let thread = std::thread::Builder::new()
            .name("avdeploy-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(serve(listener, acceptor, shared, stopped));
                runtime.shutdown_background();
            })
            .map_err(|source| EmuError::Runtime { source })?;
        Ok(Self {
            base_url,
            ca_bundle,
            stop,
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The PEM file of this run's certificate authority (for `REQUESTS_CA_BUNDLE`).
    pub fn ca_bundle(&self) -> &Path {
        &self.ca_bundle
    }

    /// The URLs to register the emulated cloud with.
    pub fn endpoints(&self) -> CloudEndpoints {
        CloudEndpoints::for_base(&self.base_url)
    }

    /// Stops serving and waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_now();
    }
}

async fn serve(
    listener: std::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = Arc::clone(&shared);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let service = service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, std::convert::Infallible>(answer(&shared, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

async fn answer(
    shared: &Shared,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            return encode(Response::error(
                413,
                "RequestEntityTooLarge",
                "The request is too large.",
            ));
        }
    };
    let request = decode(&parts, body);
    let response = {
        let mut world = shared
            .world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        crate::router::respond(&mut world, &request)
    };
    if !response.delay.is_zero() {
        tokio::time::sleep(response.delay).await;
    }
    if let Ok(mut log) = shared.log.lock() {
        log.record(&request, response.status, started.elapsed().as_millis());
    }
    encode(response)
}

fn decode(parts: &hyper::http::request::Parts, body: Vec<u8>) -> Request {
    let headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    Request {
        method: parts.method.as_str().to_owned(),
        path: collapse_slashes(&exchange::decode(parts.uri.path())),
        query: parts.uri.query().map(exchange::pairs).unwrap_or_default(),
        headers,
        body,
    }
}

fn encode(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder = builder
        .header("x-ms-request-id", crate::ids::guid())
        .header("x-ms-correlation-request-id", crate::ids::guid());
    let body = match &response.body {
        Some(value) => {
            builder = builder.header("Content-Type", "application/json; charset=utf-8");
            Bytes::from(value.to_string())
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(body)).unwrap_or_else(|_| {
        let mut fallback = hyper::Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// `//metadata/endpoints` as `/metadata/endpoints`: clients join a base URL that ends with a
/// slash to paths that start with one, and Azure's front door accepts that.
fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// Writes `bytes` to a new file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), EmuError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let file_error = |source| EmuError::File {
        path: path.to_owned(),
        source,
    };
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(file_error)?;
    file.write_all(bytes).map_err(file_error)
}
