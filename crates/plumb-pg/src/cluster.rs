//! Local PostgreSQL clusters that plumb runs itself: throwaway ones for
//! shadows and tests, and the persistent project cluster under `.plumb/pg/`.
//!
//! A throwaway cluster lives in a private temporary folder, listens on a Unix
//! socket there (no TCP unless asked), runs with fsync off, and is stopped and
//! removed when dropped, on Ctrl-C ([`stop_all_throwaway`]) and on panic. If
//! plumb is killed outright the server follows it (Linux: parent-death signal)
//! and the next throwaway start removes the folder it left behind. Its data folder is a copy of
//! one `initdb` made once for these binaries (`template`): starting takes a few hundred
//! milliseconds instead of more than a second.
//!
//! `initdb` and `postgres` refuse to run as root; as root, plumb runs them as
//! an unprivileged user (`postgres`, else `nobody`) that owns the data folder.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use crate::binaries::PgBinaries;
use crate::conninfo::{ConnInfo, Host, SslMode};

mod template;

/// The superuser every plumb-made cluster has.
pub const SUPERUSER: &str = "postgres";

/// A cluster that could not be made, started or stopped.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ClusterError {
    message: String,
}

impl ClusterError {
    fn new(message: impl Into<String>) -> Self {
        ClusterError { message: message.into() }
    }

    fn io(what: &str, path: &Path, e: io::Error) -> Self {
        ClusterError::new(format!("{what} {}: {e}", path.display()))
    }
}

/// How to set up a throwaway cluster beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// Also listen on 127.0.0.1 (a free port), e.g. for TLS tests.
    pub tcp: bool,
    /// Extra `-c name=value` server settings.
    pub settings: Vec<(String, String)>,
    /// Files written into the data folder before start (name, contents), owned by the server user, mode 0600.
    pub data_files: Vec<(String, Vec<u8>)>,
    /// Lines appended to `pg_hba.conf` before start (they are read top to bottom after plumb's own).
    pub hba_lines: Vec<String>,
}

/// A running throwaway cluster. Dropping it stops the server and removes its files.
pub struct Cluster {
    binaries: PgBinaries,
    dir: Option<tempfile::TempDir>,
    socket_dir: PathBuf,
    port: u16,
    tcp_port: Option<u16>,
    child: Child,
    started_in: Duration,
}

impl Cluster {
    /// A fresh data folder (a template's copy, or initdb) in a new temporary folder, and a
    /// server started on it.
    pub fn start(binaries: &PgBinaries, config: &ClusterConfig) -> Result<Cluster, ClusterError> {
        let begun = Instant::now();
        // Leftovers of killed runs can be large: remove them aside, without delaying this start.
        std::thread::spawn(sweep_stale_throwaways);
        let dir = tempfile::Builder::new()
            .prefix(THROWAWAY_PREFIX)
            .tempdir()
            .map_err(|e| ClusterError::new(format!("could not create a temporary folder for a cluster: {e}")))?;
        let owner = ServerUser::for_this_process()?;
        owner.take(dir.path())?;
        let data_dir = dir.path().join("data");
        template::fresh_data_dir(binaries, &owner, &data_dir)?;
        for (name, contents) in &config.data_files {
            let path = data_dir.join(name);
            fs::write(&path, contents).map_err(|e| ClusterError::io("could not write", &path, e))?;
            owner.take_file(&path)?;
        }
        if !config.hba_lines.is_empty() {
            let hba = data_dir.join("pg_hba.conf");
            let mut text = fs::read_to_string(&hba).map_err(|e| ClusterError::io("could not read", &hba, e))?;
            // Prepended: pg_hba.conf is matched top to bottom, first match wins.
            text = format!("{}\n{text}", config.hba_lines.join("\n"));
            fs::write(&hba, text).map_err(|e| ClusterError::io("could not write", &hba, e))?;
        }

        let port = 5432;
        let tcp_port = if config.tcp { Some(free_tcp_port()?) } else { None };
        let log_path = dir.path().join("server.log");
        let log = fs::File::create(&log_path).map_err(|e| ClusterError::io("could not create", &log_path, e))?;
        owner.take_file(&log_path)?;

        let mut cmd = Command::new(binaries.program("postgres"));
        cmd.arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(dir.path())
            .arg("-p")
            .arg(tcp_port.unwrap_or(port).to_string())
            .args(["-c", if config.tcp { "listen_addresses=127.0.0.1" } else { "listen_addresses=" }])
            .args(FAST_SETTINGS.iter().flat_map(|s| ["-c", s]));
        for (name, value) in &config.settings {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        cmd.current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| ClusterError::io("could not open", &log_path, e))?)
            .stderr(log);
        owner.apply(&mut cmd);
        let child = spawn_tied(cmd).map_err(|e| ClusterError::new(format!("could not start postgres: {e}")))?;
        let port = tcp_port.unwrap_or(port);
        register_throwaway(child.id(), dir.path());
        let mut cluster = Cluster {
            binaries: binaries.clone(),
            socket_dir: dir.path().to_path_buf(),
            dir: Some(dir),
            port,
            tcp_port,
            child,
            started_in: Duration::ZERO,
        };
        cluster.wait_ready(&data_dir, &log_path)?;
        cluster.started_in = begun.elapsed();
        Ok(cluster)
    }

    fn wait_ready(&mut self, data_dir: &Path, log_path: &Path) -> Result<(), ClusterError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ClusterError::new(format!(
                    "postgres exited during start-up ({status}); its log says:\n{}",
                    log_tail(log_path)
                )));
            }
            if postmaster_ready(data_dir) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ClusterError::new(format!(
                    "postgres did not become ready within 60 s; its log says:\n{}",
                    log_tail(log_path)
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Settings for a superuser connection to `dbname` on this cluster, over its
    /// Unix socket (trusted, whatever `pg_hba.conf` says about TCP).
    pub fn conninfo(&self, dbname: &str) -> ConnInfo {
        #[cfg(unix)]
        return local_conninfo(Host::Socket(self.socket_dir.clone()), self.port, dbname);
        #[cfg(not(unix))]
        return local_conninfo(Host::Tcp("127.0.0.1".into()), self.port, dbname);
    }

    /// The same as a URL, for handing to people and child processes.
    pub fn url(&self, dbname: &str) -> String {
        self.conninfo(dbname).to_url_with_password()
    }

    /// The TCP port, when the cluster listens on TCP.
    pub fn tcp_port(&self) -> Option<u16> {
        self.tcp_port
    }

    /// The binaries this cluster runs.
    pub fn binaries(&self) -> &PgBinaries {
        &self.binaries
    }

    /// How long initdb and start-up took.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        stop_child(&mut self.child);
        unregister_throwaway(self.child.id());
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// Settings that make a throwaway cluster fast: durability is worthless for data nobody keeps.
const FAST_SETTINGS: [&str; 4] = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"];

fn local_conninfo(host: Host, port: u16, dbname: &str) -> ConnInfo {
    ConnInfo {
        hosts: vec![(host, port)],
        user: SUPERUSER.to_owned(),
        password: None,
        dbname: dbname.to_owned(),
        sslmode: SslMode::Disable,
        sslrootcert: None,
        connect_timeout: Some(Duration::from_secs(10)),
        application_name: "plumb".to_owned(),
        options: None,
        warnings: Vec::new(),
    }
}

fn initdb(binaries: &PgBinaries, owner: &ServerUser, data_dir: &Path) -> Result<(), ClusterError> {
    let mut cmd = Command::new(binaries.program("initdb"));
    cmd.arg("-D")
        .arg(data_dir)
        .args(["-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
        .current_dir(data_dir.parent().unwrap_or(Path::new("/")))
        .stdin(Stdio::null());
    owner.apply(&mut cmd);
    let out = cmd
        .output()
        .map_err(|e| ClusterError::new(format!("could not run {}: {e}", binaries.program("initdb").display())))?;
    if !out.status.success() {
        return Err(ClusterError::new(format!(
            "initdb failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// PostgreSQL 10+ writes `ready` on the status line of postmaster.pid once it accepts connections.
fn postmaster_ready(data_dir: &Path) -> bool {
    fs::read_to_string(data_dir.join("postmaster.pid"))
        .map(|pid_file| pid_file.lines().nth(7).is_some_and(|status| status.trim() == "ready"))
        .unwrap_or(false)
}

fn free_tcp_port() -> Result<u16, ClusterError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| ClusterError::new(format!("could not find a free TCP port: {e}")))?;
    Ok(listener.local_addr().map_err(|e| ClusterError::new(e.to_string()))?.port())
}

fn log_tail(path: &Path) -> String {
    let Ok(mut file) = fs::File::open(path) else { return "(no log)".into() };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(4000)));
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    text
}

fn stop_child(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // SIGINT is PostgreSQL's "fast" shutdown: abort transactions, exit cleanly.
    signal(child.id(), Signal::Fast);
    if wait_exit(child, Duration::from_secs(10)) {
        return;
    }
    signal(child.id(), Signal::Immediate);
    if !wait_exit(child, Duration::from_secs(5)) {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

enum Signal {
    Fast,
    Immediate,
}

fn signal(pid: u32, sig: Signal) {
    #[cfg(unix)]
    {
        let sig = match sig {
            Signal::Fast => libc::SIGINT,
            Signal::Immediate => libc::SIGQUIT,
        };
        // SAFETY: kill(2) with a pid we started; at worst it fails with ESRCH.
        unsafe {
            libc::kill(pid as i32, sig);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (pid, sig);
    }
}

// ---------------------------------------------------------------------------
// Throwaway bookkeeping: Ctrl-C cleanup and leftovers of killed runs.

const THROWAWAY_PREFIX: &str = "plumb-cluster-";

fn throwaways() -> &'static Mutex<Vec<(u32, PathBuf)>> {
    static LIVE: OnceLock<Mutex<Vec<(u32, PathBuf)>>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(Vec::new()))
}

fn register_throwaway(pid: u32, dir: &Path) {
    throwaways().lock().unwrap_or_else(|e| e.into_inner()).push((pid, dir.to_path_buf()));
}

fn unregister_throwaway(pid: u32) {
    throwaways().lock().unwrap_or_else(|e| e.into_inner()).retain(|(p, _)| *p != pid);
}

/// Stops every throwaway cluster of this process at once and removes its files.
/// For a Ctrl-C handler, where destructors will not run.
pub fn stop_all_throwaway() {
    let live: Vec<(u32, PathBuf)> = std::mem::take(&mut *throwaways().lock().unwrap_or_else(|e| e.into_inner()));
    for (pid, _) in &live {
        signal(*pid, Signal::Immediate);
    }
    for (pid, dir) in live {
        let deadline = Instant::now() + Duration::from_secs(5);
        while process_alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = fs::remove_dir_all(dir);
    }
}

/// Removes the folders of throwaway clusters whose server is gone (plumb was killed).
fn sweep_stale_throwaways() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(THROWAWAY_PREFIX) {
            continue;
        }
        let path = entry.path();
        let old_enough = entry
            .metadata()
            .and_then(|m| m.modified())
            .map(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(60))
            .unwrap_or(false);
        let pid = fs::read_to_string(path.join("data/postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
        let orphaned = match pid {
            Some(pid) => !process_alive(pid),
            None => old_enough,
        };
        if orphaned && old_enough {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks for existence.
        unsafe { libc::kill(pid as i32, 0) == 0 || *libc::__errno_location() == libc::EPERM }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Spawns `cmd` from one long-lived thread, with the parent-death signal set.
///
/// Linux delivers the parent-death signal when the *thread* that forked the
/// child exits, so spawning from whichever thread happens to call (a test
/// thread, a tokio worker) would kill the server too early.
fn spawn_tied(mut cmd: Command) -> io::Result<Child> {
    type Request = (Command, mpsc::Sender<io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT as libc::c_ulong);
                if libc::getppid() == 1 {
                    return Err(io::Error::other("parent exited before postgres started"));
                }
                Ok(())
            });
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: a Ctrl-C in the terminal reaches plumb, which then stops the server in order.
        cmd.process_group(0);
    }
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("plumb-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("the spawner thread starts");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("spawner thread is gone"))?;
    reply_rx.recv().map_err(|_| io::Error::other("spawner thread is gone"))?
}

// ---------------------------------------------------------------------------
// Who runs the server.

/// The operating-system user the server runs as.
struct ServerUser {
    /// `None`: this process's own user.
    ids: Option<(u32, u32)>,
    name: String,
}

impl ServerUser {
    fn for_this_process() -> Result<ServerUser, ClusterError> {
        #[cfg(unix)]
        {
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } == 0 {
                for name in ["postgres", "nobody"] {
                    if let Some(ids) = lookup_user(name) {
                        return Ok(ServerUser { ids: Some(ids), name: name.to_owned() });
                    }
                }
                return Err(ClusterError::new(
                    "running as root, and PostgreSQL refuses to: no unprivileged user (postgres or nobody) exists to run the server as. Create one (useradd -r postgres) or run plumb as a normal user",
                ));
            }
        }
        Ok(ServerUser { ids: None, name: "current user".into() })
    }

    fn apply(&self, cmd: &mut Command) {
        #[cfg(unix)]
        if let Some((uid, gid)) = self.ids {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
        #[cfg(not(unix))]
        let _ = cmd;
    }

    fn take(&self, dir: &Path) -> Result<(), ClusterError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| ClusterError::io("could not set permissions on", dir, e))?;
        }
        self.take_file(dir)?;
        if self.ids.is_some() && !self.can_reach(dir) {
            return Err(ClusterError::new(format!(
                "the server runs as user \"{}\", who cannot reach {}: make its parent folders traversable (chmod o+x) or run plumb elsewhere",
                self.name,
                dir.display()
            )));
        }
        Ok(())
    }

    fn take_file(&self, path: &Path) -> Result<(), ClusterError> {
        #[cfg(unix)]
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(|e| ClusterError::io("could not hand to the server user", path, e))?;
            use std::os::unix::fs::PermissionsExt;
            if path.is_file() {
                let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
            }
        }
        let _ = path;
        Ok(())
    }

    /// Whether the server user may traverse every ancestor of `dir`.
    fn can_reach(&self, dir: &Path) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let Some((uid, gid)) = self.ids else { return true };
            let mut current = dir.parent();
            while let Some(p) = current {
                if let Ok(meta) = fs::metadata(p) {
                    let search_bit = if meta.uid() == uid {
                        0o100
                    } else if meta.gid() == gid {
                        0o010
                    } else {
                        0o001
                    };
                    if meta.mode() & search_bit == 0 {
                        return false;
                    }
                }
                current = p.parent();
            }
        }
        let _ = dir;
        true
    }
}

#[cfg(unix)]
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns static storage or null; the ids are copied out at once.
    unsafe {
        let pw = libc::getpwnam(cname.as_ptr());
        if pw.is_null() { None } else { Some(((*pw).pw_uid, (*pw).pw_gid)) }
    }
}

// ---------------------------------------------------------------------------
// The persistent project cluster.

/// The project's own cluster under `.plumb/pg/`, which outlives plumb: `plumb pg start|stop|status|url`.
pub struct ProjectCluster {
    root: PathBuf,
}

/// Whether the project cluster runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectClusterState {
    /// No cluster has been created yet.
    Absent,
    /// Created, not running.
    Stopped,
    /// Running with this postmaster pid.
    Running {
        /// Postmaster process id.
        pid: u32,
    },
}

impl ProjectCluster {
    /// The project cluster kept in `<project>/.plumb/pg`.
    pub fn in_project(project_dir: &Path) -> ProjectCluster {
        ProjectCluster { root: project_dir.join(".plumb").join("pg") }
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        let dir = self.root.join("run");
        // Unix socket paths are limited to ~107 bytes; deep project folders fall back to /tmp.
        if dir.as_os_str().len() + ".s.PGSQL.5432".len() + 1 < 100 {
            dir
        } else {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut h);
            std::env::temp_dir().join(format!("plumb-run-{:x}", h.finish()))
        }
    }

    /// Whether it exists and runs.
    pub fn state(&self) -> ProjectClusterState {
        if !self.data_dir().join("PG_VERSION").exists() {
            return ProjectClusterState::Absent;
        }
        let pid = fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
        match pid {
            Some(pid) if process_alive(pid) => ProjectClusterState::Running { pid },
            _ => ProjectClusterState::Stopped,
        }
    }

    /// Creates (first time) and starts the cluster; a no-op when it already runs.
    pub fn start(&self, binaries: &PgBinaries) -> Result<ProjectClusterState, ClusterError> {
        if let state @ ProjectClusterState::Running { .. } = self.state() {
            return Ok(state);
        }
        let owner = ServerUser::for_this_process()?;
        fs::create_dir_all(&self.root).map_err(|e| ClusterError::io("could not create", &self.root, e))?;
        owner.take(&self.root)?;
        if self.state() == ProjectClusterState::Absent {
            initdb(binaries, &owner, &self.data_dir())?;
        } else {
            let version = fs::read_to_string(self.data_dir().join("PG_VERSION")).unwrap_or_default();
            if version.trim() != binaries.major.to_string() {
                return Err(ClusterError::new(format!(
                    "the project cluster in {} was made by PostgreSQL {}, but the binaries found are {}: pass --pg-version {} or remove the folder",
                    self.root.display(),
                    version.trim(),
                    binaries.major,
                    version.trim()
                )));
            }
        }
        let socket_dir = self.socket_dir();
        fs::create_dir_all(&socket_dir).map_err(|e| ClusterError::io("could not create", &socket_dir, e))?;
        owner.take(&socket_dir)?;
        let log = self.root.join("server.log");
        if !log.exists() {
            fs::write(&log, "").map_err(|e| ClusterError::io("could not create", &log, e))?;
        }
        owner.take_file(&log)?;
        let options = format!(
            "-k {} -p 5432 -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            socket_dir.display()
        );
        let mut cmd = Command::new(binaries.program("pg_ctl"));
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(&log)
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .current_dir(&self.root)
            .stdin(Stdio::null());
        owner.apply(&mut cmd);
        let out = cmd.output().map_err(|e| ClusterError::new(format!("could not run pg_ctl: {e}")))?;
        if !out.status.success() {
            return Err(ClusterError::new(format!(
                "pg_ctl start failed:\n{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log_tail(&log)
            )));
        }
        Ok(self.state())
    }

    /// Stops the cluster (fast shutdown); a no-op when it is not running.
    pub fn stop(&self, binaries: &PgBinaries) -> Result<(), ClusterError> {
        if !matches!(self.state(), ProjectClusterState::Running { .. }) {
            return Ok(());
        }
        let owner = ServerUser::for_this_process()?;
        let mut cmd = Command::new(binaries.program("pg_ctl"));
        cmd.arg("-D").arg(self.data_dir()).args(["-m", "fast", "-w", "stop"]).current_dir(&self.root);
        owner.apply(&mut cmd);
        let out = cmd.output().map_err(|e| ClusterError::new(format!("could not run pg_ctl: {e}")))?;
        if !out.status.success() {
            return Err(ClusterError::new(format!("pg_ctl stop failed:\n{}", String::from_utf8_lossy(&out.stderr))));
        }
        Ok(())
    }

    /// Settings for a superuser connection to `dbname`.
    pub fn conninfo(&self, dbname: &str) -> ConnInfo {
        local_conninfo(Host::Socket(self.socket_dir()), 5432, dbname)
    }

    /// The major version it was made by (`None`: absent).
    pub fn major(&self) -> Option<u32> {
        fs::read_to_string(self.data_dir().join("PG_VERSION")).ok()?.trim().parse().ok()
    }

    /// The folder the cluster lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
