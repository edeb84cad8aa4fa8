//! Throwaway PostgreSQL for tests.
//!
//! [`available`] is the entry point: it uses `PINTU_TEST_DATABASE_URL` when set, otherwise it
//! starts a private [`Cluster`] (initdb + pg_ctl into a temp dir). Only std and `tempfile`
//! are used; everything else goes through the PostgreSQL command-line tools.

use std::fmt;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// Environment variable naming an admin URL of an external server where databases can be created.
pub const DATABASE_URL_ENV: &str = "PINTU_TEST_DATABASE_URL";

/// libpq environment variables that could redirect our tools somewhere else.
const PG_ENV_VARS: &[&str] = &[
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGPASSFILE",
    "PGSSLMODE",
];

/// How many ports to try when `pg_ctl start` fails because the chosen port got taken.
const START_ATTEMPTS: usize = 3;

/// A running throwaway cluster; stopped (`pg_ctl stop -m immediate`) and its directory removed
/// on Drop.
pub struct Cluster {
    /// Root temp dir: `data/` (PGDATA) and `run/` (socket + server log) live below it.
    root: TempDir,
    data_dir: PathBuf,
    run_dir: PathBuf,
    port: u16,
    tools: Tools,
    runner: Runner,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("root", &self.root.path())
            .field("port", &self.port)
            .field("bin_dir", &self.tools.initdb.parent())
            .finish()
    }
}

impl Cluster {
    /// Starts a new cluster: finds initdb/pg_ctl (PATH first, then
    /// `/usr/lib/postgresql/*/bin`, highest version), runs initdb into a fresh temp dir and
    /// starts it with `pg_ctl start -w` on a free 127.0.0.1 port. Tuned for tests (no fsync).
    ///
    /// When running as root, the directories are chowned to `postgres` and the server tools
    /// run through `runuser -u postgres --` (or `su postgres -s /bin/sh -c`).
    pub fn start() -> Result<Cluster, String> {
        let tools = Tools::find()?;
        let runner = Runner::detect()?;

        let root = tempfile::Builder::new()
            .prefix("pintu-pg.")
            .tempdir_in(temp_base())
            .map_err(|e| format!("cannot create temp dir for PostgreSQL: {e}"))?;
        let data_dir = root.path().join("data");
        let run_dir = root.path().join("run");
        // The root must be traversable by the postgres user; data must be 0700 (initdb insists).
        set_mode(root.path(), 0o755)?;
        for dir in [&data_dir, &run_dir] {
            fs::create_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            set_mode(dir, 0o700)?;
        }
        if runner.is_wrapped() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&data_dir)
                .arg(&run_dir))?;
        }

        let mut cluster = Cluster {
            root,
            data_dir,
            run_dir,
            port: 0,
            tools,
            runner,
        };
        cluster.initdb()?;

        let mut last_err = String::new();
        for _ in 0..START_ATTEMPTS {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(e) if port_taken(&e) => last_err = e,
                Err(e) => return Err(e),
            }
        }
        Err(format!(
            "PostgreSQL did not start after {START_ATTEMPTS} ports: {last_err}"
        ))
    }

    /// `postgres://postgres@127.0.0.1:PORT/DBNAME`
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{}",
            self.port,
            encode_path_segment(db)
        )
    }

    /// Creates a database (optionally from `template`) with psql and returns its URL.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<String, String> {
        let port = self.port.to_string();
        let mut cmd = Command::new(&self.tools.psql);
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]);
        psql_exec(cmd, &create_database_sql(name, template))?;
        Ok(self.url(name))
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory (PGDATA).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The unix socket directory (also holds `postgres.log`).
    pub fn socket_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The PostgreSQL `bin` directory in use.
    pub fn bin_dir(&self) -> Option<&Path> {
        self.tools.initdb.parent()
    }

    /// PID of the postmaster, read from `postmaster.pid` (None when not running).
    pub fn pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The server log so far (useful in failing tests).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_file()).unwrap_or_default()
    }

    fn log_file(&self) -> PathBuf {
        self.run_dir.join("postgres.log")
    }

    fn initdb(&self) -> Result<(), String> {
        let data = path_str(&self.data_dir)?;
        let mut last_err = String::new();
        for locale in locale_candidates() {
            let args = [
                "-D",
                data,
                "-A",
                "trust",
                "-E",
                "UTF8",
                &format!("--locale={locale}"),
                "-U",
                "postgres",
                "--no-instructions",
            ];
            match run(&mut self
                .runner
                .command(&self.tools.initdb, &args, self.root.path()))
            {
                Ok(_) => return Ok(()),
                Err(e) => {
                    last_err = e;
                    // initdb removes what it created on failure, but be sure before retrying.
                    clear_dir(&self.data_dir)?;
                }
            }
        }
        Err(last_err)
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB",
            self.port,
            path_str(&self.run_dir)?
        );
        let data = path_str(&self.data_dir)?;
        let log = self.log_file();
        let log_path = path_str(&log)?;
        // Start each attempt with an empty log so errors refer to this attempt only.
        let _ = fs::remove_file(&log);
        let args = [
            "start", "-D", data, "-l", log_path, "-w", "-t", "60", "-o", &opts,
        ];
        run(&mut self
            .runner
            .command(&self.tools.pg_ctl, &args, self.root.path()))
        .map(|_| ())
        .map_err(|e| format!("{e}\n--- server log ---\n{}", self.log()))
    }

    fn stop(&self) -> Result<(), String> {
        let data = path_str(&self.data_dir)?;
        let args = ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"];
        run(&mut self
            .runner
            .command(&self.tools.pg_ctl, &args, self.root.path()))
        .map(|_| ())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pid = self.pid();
        if let Err(e) = self.stop() {
            eprintln!("pintu-testkit: pg_ctl stop failed: {e}");
            if let Some(pid) = pid {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
        if let Some(pid) = pid {
            wait_gone(pid);
        }
        // `root` (TempDir) is dropped after this, removing the whole directory.
    }
}

/// Waits (up to 5 s) until `pid` has exited: pg_ctl returns once `postmaster.pid` is removed,
/// which is a moment before the process itself is gone. A zombie counts as gone. Uses /proc
/// where available; elsewhere returns at once.
fn wait_gone(pid: u32) {
    let stat = PathBuf::from(format!("/proc/{pid}/stat"));
    for _ in 0..500 {
        match fs::read_to_string(&stat) {
            // Field 3 (after the parenthesised command name) is the state.
            Ok(s)
                if s.rsplit_once(')')
                    .and_then(|(_, r)| r.trim().chars().next())
                    != Some('Z') =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return,
        }
    }
}

/// A PostgreSQL server for tests: either an external one or a private [`Cluster`].
#[derive(Debug)]
pub enum Server {
    /// From `PINTU_TEST_DATABASE_URL`: an admin URL to a server where databases can be created.
    External {
        /// The admin URL as given.
        admin_url: String,
    },
    /// A throwaway cluster owned by this process.
    Cluster(Cluster),
}

impl Server {
    /// URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        match self {
            Server::External { admin_url } => replace_url_database(admin_url, db),
            Server::Cluster(c) => c.url(db),
        }
    }

    /// Creates a database (optionally from `template`) and returns its URL.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<String, String> {
        match self {
            Server::External { admin_url } => {
                let mut cmd = Command::new(find_psql(None)?);
                cmd.args(["-d", admin_url]);
                psql_exec(cmd, &create_database_sql(name, template))?;
                Ok(self.url(name))
            }
            Server::Cluster(c) => c.create_database(name, template),
        }
    }

    /// The private cluster, when this is one.
    pub fn cluster(&self) -> Option<&Cluster> {
        match self {
            Server::External { .. } => None,
            Server::Cluster(c) => Some(c),
        }
    }
}

/// How tests get PostgreSQL: `PINTU_TEST_DATABASE_URL` when set, otherwise a throwaway
/// [`Cluster`]. `Ok(None)` (skip) only when neither works and `CI` is not `"true"`; under
/// `CI=true` a missing PostgreSQL is an error.
pub fn available() -> Result<Option<Server>, String> {
    if let Ok(url) = std::env::var(DATABASE_URL_ENV) {
        let url = url.trim();
        if !url.is_empty() {
            return Ok(Some(Server::External {
                admin_url: url.to_string(),
            }));
        }
    }
    match Cluster::start() {
        Ok(c) => Ok(Some(Server::Cluster(c))),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                Err(format!(
                    "PostgreSQL is required under CI=true but neither {DATABASE_URL_ENV} is set \
                     nor could a throwaway cluster be started: {e}"
                ))
            } else {
                eprintln!(
                    "pintu-testkit: skipping PostgreSQL tests (set {DATABASE_URL_ENV} or install \
                     PostgreSQL): {e}"
                );
                Ok(None)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tools and command running

#[derive(Debug)]
struct Tools {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    psql: PathBuf,
}

impl Tools {
    fn find() -> Result<Tools, String> {
        let initdb = find_in_path("initdb")
            .or_else(|| newest_pg_bin_dir().map(|d| d.join("initdb")))
            .ok_or("initdb not found on PATH nor under /usr/lib/postgresql/*/bin")?;
        let bin_dir = initdb.parent().map(Path::to_path_buf);
        let sibling = |name: &str| {
            bin_dir
                .as_ref()
                .map(|d| d.join(name))
                .filter(|p| is_executable(p))
        };
        let pg_ctl = sibling("pg_ctl")
            .or_else(|| find_in_path("pg_ctl"))
            .ok_or_else(|| format!("pg_ctl not found next to {} nor on PATH", initdb.display()))?;
        let psql = find_psql(bin_dir.as_deref())?;
        Ok(Tools {
            initdb,
            pg_ctl,
            psql,
        })
    }
}

/// psql: next to `bin_dir` first, then PATH, then the newest /usr/lib/postgresql/*/bin.
fn find_psql(bin_dir: Option<&Path>) -> Result<PathBuf, String> {
    bin_dir
        .map(|d| d.join("psql"))
        .filter(|p| is_executable(p))
        .or_else(|| find_in_path("psql"))
        .or_else(|| {
            newest_pg_bin_dir()
                .map(|d| d.join("psql"))
                .filter(|p| is_executable(p))
        })
        .ok_or_else(|| "psql not found on PATH nor under /usr/lib/postgresql/*/bin".to_string())
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The `/usr/lib/postgresql/<version>/bin` with the highest version that has initdb.
fn newest_pg_bin_dir() -> Option<PathBuf> {
    let entries = fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version: Vec<u64> = name
                .split('.')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            let bin = e.path().join("bin");
            is_executable(&bin.join("initdb")).then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

/// How server tools are run: directly, or as the `postgres` user when we are root.
#[derive(Debug)]
enum Runner {
    Direct,
    Runuser(PathBuf),
    Su(PathBuf),
}

impl Runner {
    fn detect() -> Result<Runner, String> {
        let out = run(Command::new("id").arg("-u"))?;
        if String::from_utf8_lossy(&out.stdout).trim() != "0" {
            return Ok(Runner::Direct);
        }
        // Root: PostgreSQL refuses to run as root, so everything runs as `postgres`.
        run(Command::new("id").args(["-u", "postgres"])).map_err(|e| {
            format!("running as root but there is no `postgres` user to run PostgreSQL as: {e}")
        })?;
        if let Some(p) = find_in_path("runuser").or_else(|| existing("/usr/sbin/runuser")) {
            Ok(Runner::Runuser(p))
        } else if let Some(p) = find_in_path("su").or_else(|| existing("/bin/su")) {
            Ok(Runner::Su(p))
        } else {
            Err("running as root but neither runuser nor su is available".to_string())
        }
    }

    fn is_wrapped(&self) -> bool {
        !matches!(self, Runner::Direct)
    }

    fn command(&self, program: &Path, args: &[&str], cwd: &Path) -> Command {
        let mut cmd = match self {
            Runner::Direct => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            Runner::Runuser(runuser) => {
                let mut c = Command::new(runuser);
                c.args(["-u", "postgres", "--"]).arg(program).args(args);
                c
            }
            Runner::Su(su) => {
                let mut line = shell_quote(&program.to_string_lossy());
                for a in args {
                    line.push(' ');
                    line.push_str(&shell_quote(a));
                }
                let mut c = Command::new(su);
                c.args(["postgres", "-s", "/bin/sh", "-c", &line]);
                c
            }
        };
        // Run from a directory the postgres user can enter (the caller's cwd may be /root).
        cmd.current_dir(cwd);
        cmd
    }
}

fn existing(p: &str) -> Option<PathBuf> {
    let p = PathBuf::from(p);
    is_executable(&p).then_some(p)
}

/// Runs a command to completion; Err carries the command line, exit status and stderr.
fn run(cmd: &mut Command) -> Result<Output, String> {
    for var in PG_ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", describe(cmd)))?;
    if out.status.success() {
        return Ok(out);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detail = if stderr.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        stderr.into_owned()
    };
    Err(format!(
        "`{}` failed ({}): {}",
        describe(cmd),
        out.status,
        detail.trim()
    ))
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn psql_exec(mut cmd: Command, sql: &str) -> Result<(), String> {
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]);
    run(&mut cmd).map(|_| ())
}

fn create_database_sql(name: &str, template: Option<&str>) -> String {
    match template {
        Some(t) => format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(name),
            quote_ident(t)
        ),
        None => format!("CREATE DATABASE {}", quote_ident(name)),
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces the database (path) of a `postgres://` URL, keeping any `?query`.
fn replace_url_database(url: &str, db: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
    let prefix = &url[..authority_start + authority_len];
    let after = &rest[authority_len..];
    let query = after.find('?').map_or("", |i| &after[i..]);
    format!("{prefix}/{}{query}", encode_path_segment(db))
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", p.display()))
}

fn set_mode(p: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot chmod {:o} {}: {e}", mode, p.display()))
}

fn clear_dir(dir: &Path) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let p = entry.path();
        let res = if p.is_dir() {
            fs::remove_dir_all(&p)
        } else {
            fs::remove_file(&p)
        };
        res.map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
    }
    Ok(())
}

/// A short directory for the cluster: unix socket paths are limited to ~100 bytes and the
/// directory ends up inside `pg_ctl -o`, which must not contain spaces.
fn temp_base() -> PathBuf {
    let tmp = std::env::temp_dir();
    let ok = tmp
        .to_str()
        .is_some_and(|s| s.len() <= 40 && !s.contains(|c: char| c.is_whitespace() || c == '\''));
    if ok || !Path::new("/tmp").is_dir() {
        tmp
    } else {
        PathBuf::from("/tmp")
    }
}

/// `C.UTF-8` when the system has it (Unicode-aware upper/lower), then plain `C`.
fn locale_candidates() -> Vec<&'static str> {
    let has_c_utf8 = Command::new("locale")
        .arg("-a")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .is_some_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim().eq_ignore_ascii_case("C.UTF-8") || l.trim() == "C.utf8")
        });
    if has_c_utf8 {
        vec!["C.UTF-8", "C"]
    } else {
        vec!["C"]
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot bind 127.0.0.1:0 to find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read bound port: {e}"))
}

fn port_taken(err: &str) -> bool {
    let e = err.to_ascii_lowercase();
    e.contains("address already in use") || e.contains("could not bind")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_database_is_replaced() {
        assert_eq!(
            replace_url_database("postgres://u:p@h:5432/admin?sslmode=disable", "x y"),
            "postgres://u:p@h:5432/x%20y?sslmode=disable"
        );
        assert_eq!(replace_url_database("postgres://h", "d"), "postgres://h/d");
        assert_eq!(
            replace_url_database("postgresql://h:1?a=b", "d"),
            "postgresql://h:1/d?a=b"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
