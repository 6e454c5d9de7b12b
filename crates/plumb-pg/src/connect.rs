//! Opening connections: libpq settings → tokio-postgres, TLS, notices, clear failures.

use std::sync::Arc;

use tokio_postgres::{AsyncMessage, Client};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::conninfo::{ConnInfo, Host, SslMode};
use crate::error::{PgError, ServerError, error_chain};
use crate::redact::redact;
use crate::tls;

/// Receives the NOTICE and WARNING messages a server sends, as they arrive.
pub type NoticeSink = Arc<dyn Fn(&ServerError) + Send + Sync>;

/// An open connection and what plumb knows about the server behind it.
pub struct Connection {
    client: Client,
    target: String,
    /// The settings it was opened with, for child processes that connect on their own
    /// (a migration tool replaying its revisions); never printed.
    info: ConnInfo,
    server_version_num: u32,
    backend_pid: i32,
}

impl Connection {
    /// The tokio-postgres client, for queries.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The settings it was opened with, password included: hand them only to child
    /// processes, print them only through [`redact`].
    pub fn info(&self) -> &ConnInfo {
        &self.info
    }

    /// The target as it may be printed (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// `server_version_num`, e.g. 150004.
    pub fn server_version_num(&self) -> u32 {
        self.server_version_num
    }

    /// The server's major version, e.g. 15.
    pub fn server_major(&self) -> u32 {
        self.server_version_num / 10000
    }

    /// The process id of this connection's backend (`pg_backend_pid()`).
    pub fn backend_pid(&self) -> i32 {
        self.backend_pid
    }

    /// Runs `sql` through the simple-query protocol (any number of statements).
    pub async fn batch(&self, sql: &str) -> Result<(), PgError> {
        self.client.batch_execute(sql).await.map_err(PgError::from)
    }
}

/// Connects as psql would with these settings, trying each host in turn.
pub async fn connect(info: &ConnInfo, notices: Option<NoticeSink>) -> Result<Connection, PgError> {
    let target = info.to_string();
    let sslmode = if info.is_local_socket() { SslMode::Disable } else { info.sslmode };
    // libpq's `allow` tries plain text first; both it and `prefer` accept either, which is what matters here.
    let tls_config = tls::client_config(sslmode, info.sslrootcert.as_deref())?;
    let pg_sslmode = match sslmode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
    };
    let tls = MakeRustlsConnect::new(tls_config.unwrap_or_else(|| {
        tls::client_config(SslMode::Require, None)
            .expect("an unverified TLS config always builds")
            .expect("require gives a config")
    }));

    let mut config = tokio_postgres::Config::new();
    for (host, port) in &info.hosts {
        match host {
            Host::Tcp(h) => config.host(h),
            #[cfg(unix)]
            Host::Socket(p) => config.host_path(p),
            #[cfg(not(unix))]
            Host::Socket(p) => config.host(&p.display().to_string()),
        };
        config.port(*port);
    }
    config.user(&info.user).dbname(&info.dbname).application_name(&info.application_name).ssl_mode(pg_sslmode);
    if let Some(p) = &info.password {
        config.password(p);
    }
    if let Some(t) = info.connect_timeout {
        config.connect_timeout(t);
    }
    if let Some(o) = &info.options {
        config.options(o);
    }

    let (client, mut connection) = config.connect(tls).await.map_err(|e| describe_connect_error(info, &target, &e))?;
    tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notice(notice)) => {
                    if let Some(sink) = &notices {
                        sink(&ServerError::from_db_error(&notice));
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let row = client.query_one("SELECT current_setting('server_version_num')::int4, pg_backend_pid()", &[]).await?;
    let version: i32 = row.get(0);
    Ok(Connection { client, target, info: info.clone(), server_version_num: version as u32, backend_pid: row.get(1) })
}

fn describe_connect_error(info: &ConnInfo, target: &str, e: &tokio_postgres::Error) -> PgError {
    if let Some(db) = e.as_db_error() {
        let server = ServerError::from_db_error(db);
        let hint = match server.code.as_str() {
            "28P01" | "28000" => Some(format!(
                "check the password for role \"{}\" in the connection URL, PGPASSWORD or your .pgpass file",
                info.user
            )),
            "3D000" => {
                Some(format!("create it (CREATE DATABASE \"{}\") or name an existing database in the URL", info.dbname))
            }
            "53300" => Some("the server has no free connection slots; retry later or raise max_connections".into()),
            "57P03" => Some("the server is starting up or shutting down; retry in a moment".into()),
            _ => None,
        };
        return PgError::Connect { target: target.to_owned(), reason: server.message, hint };
    }
    let chain = redact(&error_chain(e));
    let lower = chain.to_lowercase();
    let (reason, hint) = if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        (
            format!("TLS: the server's certificate is not valid for the host name ({chain})"),
            Some(
                "connect with the host name the certificate names, or use sslmode=verify-ca to check only the chain"
                    .to_owned(),
            ),
        )
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") || lower.contains("badsignature") {
        (
            format!("TLS: the server's certificate is not signed by a trusted root ({chain})"),
            Some(match &info.sslrootcert {
                Some(p) => {
                    format!("sslrootcert={} does not hold the CA that signed the server's certificate", p.display())
                }
                None => "set sslrootcert to the CA that signed the server's certificate".to_owned(),
            }),
        )
    } else if lower.contains("server does not support tls") {
        (
            chain.clone(),
            Some(format!(
                "sslmode={} needs TLS; enable ssl on the server or use sslmode=prefer",
                info.sslmode.as_str()
            )),
        )
    } else if lower.contains("connection refused") {
        (chain.clone(), Some("is a server running there and accepting connections on that port?".to_owned()))
    } else if lower.contains("no such file or directory") && info.is_local_socket() {
        (
            format!("no server socket found ({chain})"),
            Some("is a local server running? Start one with `plumb pg start`, or pass --database-url".to_owned()),
        )
    } else if lower.contains("timed out") || lower.contains("timeout") {
        (chain.clone(), Some("the host did not answer in time; check the address, port and firewall".to_owned()))
    } else {
        (chain.clone(), None)
    };
    PgError::Connect { target: target.to_owned(), reason, hint }
}
