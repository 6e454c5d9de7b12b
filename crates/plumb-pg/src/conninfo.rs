//! libpq-compatible connection settings.
//!
//! tokio-postgres understands only part of what psql accepts: it ignores the
//! `PG*` environment variables and `.pgpass`, and knows sslmode
//! disable/prefer/require only. plumb parses the settings itself, so that
//! every connection string that works with psql works here too:
//! URL (`postgres://user:pass@host:port/db?sslmode=verify-full`) and
//! key=value (`host=db user=app sslmode=require`) forms, then the environment,
//! then `.pgpass`, then libpq's defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::redact;

/// How TLS is negotiated and verified, with libpq's meaning for each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Prefer plain text, accept TLS (plumb treats it as `prefer`: both accept either).
    Allow,
    /// Try TLS, fall back to plain text; certificates are not verified.
    Prefer,
    /// TLS required; certificates are verified only when a root certificate is configured.
    Require,
    /// TLS required, the certificate chain must lead to a trusted root.
    VerifyCa,
    /// As `VerifyCa`, and the certificate must name the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, ConnInfoError> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(ConnInfoError::new(format!(
                    "invalid sslmode \"{other}\": expected disable, allow, prefer, require, verify-ca or verify-full"
                )));
            }
        })
    }

    /// The libpq spelling of this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name or IP address, reached over TCP.
    Tcp(String),
    /// A directory holding the server's Unix-domain socket.
    Socket(PathBuf),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Tcp(h) => f.write_str(h),
            Host::Socket(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A connection string that could not be understood.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConnInfoError {
    message: String,
}

impl ConnInfoError {
    fn new(message: String) -> Self {
        ConnInfoError { message: redact::redact(&message) }
    }
}

/// Fully resolved settings for one connection: what plumb will actually use.
#[derive(Clone)]
pub struct ConnInfo {
    /// Candidate servers, tried in order, each with its port.
    pub hosts: Vec<(Host, u16)>,
    /// Role name.
    pub user: String,
    /// Password, if any source provided one. Never printed: see [`ConnInfo`]'s `Display`.
    pub password: Option<String>,
    /// Database name.
    pub dbname: String,
    /// TLS negotiation.
    pub sslmode: SslMode,
    /// Trusted roots for verify-ca/verify-full; `system` means the platform's store.
    pub sslrootcert: Option<PathBuf>,
    /// Gives up on a host after this long.
    pub connect_timeout: Option<Duration>,
    /// Reported in `pg_stat_activity`.
    pub application_name: String,
    /// Server settings sent at start-up (`-c name=value ...`).
    pub options: Option<String>,
    /// Where each setting came from is not kept; things worth telling the user are.
    pub warnings: Vec<String>,
}

impl fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnInfo")
            .field("target", &self.to_string())
            .field("password", &self.password.as_ref().map(|_| redact::MASK))
            .field("sslmode", &self.sslmode)
            .finish_non_exhaustive()
    }
}

/// `postgres://user@host:port/db`: the target as it may be printed, without its password.
impl fmt::Display for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "postgres://{}@", self.user)?;
        let mut sockets = Vec::new();
        for (i, (host, port)) in self.hosts.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match host {
                Host::Tcp(h) if h.contains(':') => write!(f, "[{h}]:{port}")?,
                Host::Tcp(h) => write!(f, "{h}:{port}")?,
                Host::Socket(p) => sockets.push((p.display().to_string(), *port)),
            }
        }
        write!(f, "/{}", self.dbname)?;
        if let Some((dir, port)) = sockets.first() {
            write!(f, "?host={dir}&port={port}")?;
        }
        Ok(())
    }
}

/// Where the environment-dependent parts of resolution come from. Tests pass
/// their own; [`Environment::process`] reads the real one.
pub struct Environment<'a> {
    /// Looks up an environment variable.
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The user's home directory, for `~/.pgpass` and `~/.postgresql/root.crt`.
    pub home: Option<PathBuf>,
    /// The operating-system user name, libpq's default role.
    pub os_user: Option<String>,
}

impl Environment<'static> {
    /// The process's environment.
    pub fn process() -> Self {
        Environment {
            var: &|name| std::env::var(name).ok().filter(|v| !v.is_empty()),
            home: std::env::var_os("HOME").map(PathBuf::from),
            os_user: os_user_name(),
        }
    }
}

fn os_user_name() -> Option<String> {
    if let Some(name) = std::env::var("USER").ok().filter(|u| !u.is_empty()) {
        return Some(name);
    }
    #[cfg(unix)]
    {
        // SAFETY: getpwuid returns a pointer into static storage or null; we copy out at once.
        unsafe {
            let pw = libc::getpwuid(libc::geteuid());
            if !pw.is_null() {
                let name = std::ffi::CStr::from_ptr((*pw).pw_name);
                return Some(name.to_string_lossy().into_owned());
            }
        }
    }
    std::env::var("USERNAME").ok()
}

/// Settings in the order libpq reads them: the string itself wins over the environment.
const ENV_VARS: [(&str, &str); 10] = [
    ("host", "PGHOST"),
    ("port", "PGPORT"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("dbname", "PGDATABASE"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("application_name", "PGAPPNAME"),
    ("options", "PGOPTIONS"),
];

impl ConnInfo {
    /// Resolves a connection string (URL or key=value form; empty means "all from
    /// the environment") the way psql would.
    pub fn parse(conn: &str, env: &Environment<'_>) -> Result<ConnInfo, ConnInfoError> {
        let conn = conn.trim();
        let mut settings = if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
            parse_url(conn)?
        } else {
            parse_keyword_value(conn)?
        };
        if let Some(password) = settings.get("password") {
            redact::register_secret(password);
        }
        for (key, var) in ENV_VARS {
            if !settings.contains_key(key)
                && let Some(value) = (env.var)(var)
            {
                if key == "password" {
                    redact::register_secret(&value);
                }
                settings.insert(key.to_owned(), value);
            }
        }
        Self::from_settings(settings, env)
    }

    fn from_settings(mut settings: BTreeMap<String, String>, env: &Environment<'_>) -> Result<ConnInfo, ConnInfoError> {
        let mut warnings = Vec::new();
        for key in settings.keys() {
            if !KNOWN_KEYS.contains(&key.as_str()) {
                return Err(ConnInfoError::new(format!(
                    "invalid connection option \"{key}\" (known: {})",
                    KNOWN_KEYS.join(", ")
                )));
            }
        }
        let host_list =
            settings.remove("host").or_else(|| settings.remove("hostaddr")).unwrap_or_else(default_socket_dir);
        let port_list = settings.remove("port").unwrap_or_default();
        let hosts: Vec<Host> = host_list
            .split(',')
            .map(|h| {
                let h = h.trim();
                if h.is_empty() {
                    Host::Socket(PathBuf::from(default_socket_dir()))
                } else if h.starts_with('/') || h.starts_with('@') {
                    Host::Socket(PathBuf::from(h))
                } else {
                    Host::Tcp(h.to_owned())
                }
            })
            .collect();
        let ports: Vec<u16> = if port_list.is_empty() {
            vec![5432]
        } else {
            port_list
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    if p.is_empty() {
                        return Ok(5432);
                    }
                    p.parse::<u16>().map_err(|_| ConnInfoError::new(format!("invalid port number \"{p}\"")))
                })
                .collect::<Result<_, _>>()?
        };
        if ports.len() != 1 && ports.len() != hosts.len() {
            return Err(ConnInfoError::new(format!(
                "could not match {} port numbers to {} hosts",
                ports.len(),
                hosts.len()
            )));
        }
        let hosts: Vec<(Host, u16)> = hosts
            .into_iter()
            .enumerate()
            .map(|(i, h)| (h, if ports.len() == 1 { ports[0] } else { ports[i] }))
            .collect();

        let user = match settings.remove("user") {
            Some(u) => u,
            None => env.os_user.clone().ok_or_else(|| {
                ConnInfoError::new(
                    "no user name given and the operating-system user is unknown: set user= or PGUSER".into(),
                )
            })?,
        };
        let dbname = settings.remove("dbname").unwrap_or_else(|| user.clone());
        let sslmode = match settings.remove("sslmode") {
            Some(m) => SslMode::parse(&m)?,
            None => SslMode::Prefer,
        };
        let mut sslrootcert = settings.remove("sslrootcert").map(PathBuf::from);
        if sslrootcert.is_none()
            && let Some(home) = &env.home
        {
            let default = home.join(".postgresql/root.crt");
            if default.exists() {
                sslrootcert = Some(default);
            }
        }
        let connect_timeout = match settings.remove("connect_timeout") {
            Some(t) => {
                let secs: i64 = t.trim().parse().map_err(|_| {
                    ConnInfoError::new(format!("invalid connect_timeout \"{t}\": expected whole seconds"))
                })?;
                // libpq: zero or negative means wait forever; 1 is raised to 2.
                (secs > 0).then(|| Duration::from_secs(secs.max(2) as u64))
            }
            None => None,
        };
        let application_name = settings
            .remove("application_name")
            .or_else(|| settings.remove("fallback_application_name"))
            .unwrap_or_else(|| "plumb".to_owned());
        let options = settings.remove("options");

        let mut password = settings.remove("password");
        if password.is_none() {
            let passfile = settings
                .remove("passfile")
                .map(PathBuf::from)
                .or_else(|| (env.var)("PGPASSFILE").map(PathBuf::from))
                .or_else(|| env.home.as_ref().map(|h| h.join(".pgpass")));
            if let Some(passfile) = passfile {
                password = lookup_pgpass(&passfile, &hosts, &dbname, &user, &mut warnings);
                if let Some(p) = &password {
                    redact::register_secret(p);
                }
            }
        }
        Ok(ConnInfo {
            hosts,
            user,
            password,
            dbname,
            sslmode,
            sslrootcert,
            connect_timeout,
            application_name,
            options,
            warnings,
        })
    }

    /// Whether every host is a Unix-domain socket (TLS never applies there).
    pub fn is_local_socket(&self) -> bool {
        self.hosts.iter().all(|(h, _)| matches!(h, Host::Socket(_)))
    }

    /// The same settings pointed at another database on the same server.
    pub fn with_dbname(&self, dbname: &str) -> ConnInfo {
        ConnInfo { dbname: dbname.to_owned(), ..self.clone() }
    }

    /// A URL that reconnects with these settings, password included. For handing
    /// to child processes (`pg_dump`, `psql`); print it only through [`redact::redact`].
    pub fn to_url_with_password(&self) -> String {
        let mut url = format!("postgresql://{}", percent_encode(&self.user));
        if let Some(p) = &self.password {
            url.push(':');
            url.push_str(&percent_encode(p));
        }
        url.push('@');
        let mut query = vec![format!("sslmode={}", self.sslmode.as_str())];
        let (host, port) = &self.hosts[0];
        match host {
            Host::Tcp(h) if h.contains(':') => url.push_str(&format!("[{h}]:{port}")),
            Host::Tcp(h) => url.push_str(&format!("{h}:{port}")),
            Host::Socket(p) => {
                query.push(format!("host={}", percent_encode(&p.display().to_string())));
                query.push(format!("port={port}"));
            }
        }
        url.push('/');
        url.push_str(&percent_encode(&self.dbname));
        if let Some(root) = &self.sslrootcert {
            query.push(format!("sslrootcert={}", percent_encode(&root.display().to_string())));
        }
        url.push('?');
        url.push_str(&query.join("&"));
        url
    }
}

const KNOWN_KEYS: [&str; 17] = [
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "passfile",
    "dbname",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
    "fallback_application_name",
    "options",
    // Accepted for compatibility with psql strings; plumb has no use for them yet.
    "target_session_attrs",
    "keepalives",
    "gssencmode",
    "channel_binding",
];

fn default_socket_dir() -> String {
    for dir in ["/var/run/postgresql", "/run/postgresql"] {
        if Path::new(dir).is_dir() {
            return dir.to_owned();
        }
    }
    "/tmp".to_owned()
}

fn parse_url(url: &str) -> Result<BTreeMap<String, String>, ConnInfoError> {
    let mut settings = BTreeMap::new();
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let (userinfo, hostlist) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            settings.insert("user".into(), percent_decode(user)?);
        }
        if let Some(p) = password {
            settings.insert("password".into(), percent_decode(p)?);
        }
    }
    if !hostlist.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for part in hostlist.split(',') {
            let (host, port) = if let Some(stripped) = part.strip_prefix('[') {
                let (h, after) = stripped
                    .split_once(']')
                    .ok_or_else(|| ConnInfoError::new(format!("invalid IPv6 host in URL: \"{part}\"")))?;
                (h.to_owned(), after.strip_prefix(':').unwrap_or(""))
            } else {
                match part.split_once(':') {
                    Some((h, p)) => (h.to_owned(), p),
                    None => (part.to_owned(), ""),
                }
            };
            hosts.push(percent_decode(&host)?);
            ports.push(port.to_owned());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            settings.insert("host".into(), hosts.join(","));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            settings.insert("port".into(), ports.join(","));
        }
    }
    if let Some(path) = path
        && !path.is_empty()
    {
        settings.insert("dbname".into(), percent_decode(path)?);
    }
    if let Some(query) = query {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| ConnInfoError::new(format!("missing \"=\" after \"{pair}\" in connection URL")))?;
            let value = percent_decode(v)?;
            if k == "password" {
                redact::register_secret(&value);
            }
            settings.insert(percent_decode(k)?, value);
        }
    }
    Ok(settings)
}

fn parse_keyword_value(conn: &str) -> Result<BTreeMap<String, String>, ConnInfoError> {
    let mut settings = BTreeMap::new();
    let mut chars = conn.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(ConnInfoError::new(format!(
                "missing \"=\" after \"{key}\" in connection string (expected a URL such as postgres://user@host/db or key=value pairs)"
            )));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(ConnInfoError::new(format!(
                            "unterminated quoted value for \"{key}\" in connection string"
                        )));
                    }
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    if let Some(c) = chars.next() {
                        value.push(c);
                    }
                    continue;
                }
                value.push(c);
                chars.next();
            }
        }
        settings.insert(key, value);
    }
    Ok(settings)
}

fn percent_decode(s: &str) -> Result<String, ConnInfoError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ConnInfoError::new("invalid percent-encoding in connection URL".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ConnInfoError::new("connection URL is not valid UTF-8 after decoding".into()))
}

/// `s` percent-encoded for a URL (unreserved characters kept).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Finds the password for this connection in a `.pgpass` file, as libpq does:
/// `hostname:port:database:username:password`, `*` matching anything, `\:`
/// and `\\` escaping.
fn lookup_pgpass(
    path: &Path,
    hosts: &[(Host, u16)],
    dbname: &str,
    user: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let contents = std::fs::read_to_string(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            warnings.push(format!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less. It was ignored, as psql would.",
                path.display()
            ));
            return None;
        }
    }
    let _ = &warnings;
    let (host, port) = hosts.first()?;
    let host_name = match host {
        Host::Tcp(h) => h.clone(),
        // libpq matches socket connections against "localhost".
        Host::Socket(_) => "localhost".to_owned(),
    };
    let port = port.to_string();
    for line in contents.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass_line(line);
        if fields.len() < 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&fields[0], &host_name)
            && matches(&fields[1], &port)
            && matches(&fields[2], dbname)
            && matches(&fields[3], user)
        {
            return Some(fields[4..].join(":"));
        }
    }
    None
}

fn split_pgpass_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("never empty").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    fn parse_with(conn: &str, vars: &'static [(&'static str, &'static str)]) -> ConnInfo {
        let var = env_with(vars);
        let env = Environment { var: &var, home: None, os_user: Some("osuser".into()) };
        ConnInfo::parse(conn, &env).unwrap()
    }

    #[test]
    fn url_form() {
        let c =
            parse_with("postgres://alice:p%40ss@db.example.com:6543/app?sslmode=verify-full&connect_timeout=7", &[]);
        assert_eq!(c.hosts, vec![(Host::Tcp("db.example.com".into()), 6543)]);
        assert_eq!(c.user, "alice");
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert_eq!(c.dbname, "app");
        assert_eq!(c.sslmode, SslMode::VerifyFull);
        assert_eq!(c.connect_timeout, Some(Duration::from_secs(7)));
        assert_eq!(c.application_name, "plumb");
        assert_eq!(c.to_string(), "postgres://alice@db.example.com:6543/app");
    }

    #[test]
    fn url_with_socket_host_and_ipv6() {
        let c = parse_with("postgresql:///mydb?host=/tmp/sock&port=5999", &[]);
        assert_eq!(c.hosts, vec![(Host::Socket("/tmp/sock".into()), 5999)]);
        assert_eq!(c.user, "osuser");
        let c = parse_with("postgresql://u@[::1]:5433,other/db", &[]);
        assert_eq!(c.hosts, vec![(Host::Tcp("::1".into()), 5433), (Host::Tcp("other".into()), 5432)]);
    }

    #[test]
    fn keyword_value_form_with_quotes() {
        let c = parse_with(r"host=h1 port = 5 dbname='my db' password='it\'s' sslmode=require", &[]);
        assert_eq!(c.hosts, vec![(Host::Tcp("h1".into()), 5)]);
        assert_eq!(c.dbname, "my db");
        assert_eq!(c.password.as_deref(), Some("it's"));
        assert_eq!(c.sslmode, SslMode::Require);
    }

    #[test]
    fn environment_fills_what_the_string_leaves_out() {
        let c = parse_with(
            "dbname=fromstring",
            &[("PGHOST", "envhost"), ("PGUSER", "envuser"), ("PGDATABASE", "envdb"), ("PGSSLMODE", "disable")],
        );
        assert_eq!(c.hosts[0].0, Host::Tcp("envhost".into()));
        assert_eq!(c.user, "envuser");
        assert_eq!(c.dbname, "fromstring");
        assert_eq!(c.sslmode, SslMode::Disable);
    }

    #[test]
    fn bad_strings_say_what_is_wrong() {
        let var = env_with(&[]);
        let env = Environment { var: &var, home: None, os_user: Some("u".into()) };
        let err = ConnInfo::parse("host=x sslmode=sometimes", &env).unwrap_err();
        assert!(err.to_string().contains("invalid sslmode \"sometimes\""), "{err}");
        let err = ConnInfo::parse("hostx", &env).unwrap_err();
        assert!(err.to_string().contains("missing \"=\""), "{err}");
        let err = ConnInfo::parse("postgres://h:notaport/db", &env).unwrap_err();
        assert!(err.to_string().contains("invalid port"), "{err}");
        let err = ConnInfo::parse("postgres://u:pw1234@h/db?color=blue", &env).unwrap_err();
        assert!(err.to_string().contains("invalid connection option \"color\""), "{err}");
    }

    #[test]
    fn pgpass_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pgpass");
        std::fs::write(&pass, "# comment\nother:*:*:*:nope\ndb.example.com:5432:*:alice:pa\\:ss:word\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let c = parse_with(&format!("host=db.example.com user=alice passfile={}", pass.display()), &[]);
        assert_eq!(c.password.as_deref(), Some("pa:ss:word"));
        let c = parse_with(&format!("host=db.example.com user=bob passfile={}", pass.display()), &[]);
        assert_eq!(c.password, None);
    }

    #[test]
    fn url_round_trip_keeps_the_password_for_children_only() {
        let c = parse_with("postgres://alice:s3cret-value@h:1/d?sslmode=require", &[]);
        let url = c.to_url_with_password();
        assert!(url.contains("s3cret-value"));
        assert!(!redact::redact(&url).contains("s3cret-value"));
        assert!(!format!("{c:?}").contains("s3cret-value"));
        assert!(!c.to_string().contains("s3cret-value"));
    }
}
