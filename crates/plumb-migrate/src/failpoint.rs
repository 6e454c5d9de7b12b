//! Named pauses for crash tests.
//!
//! With `PLUMB_FAILPOINT=<name>` set, plumb stops at that point, says so on
//! stderr (`plumb-failpoint: <name>`) and waits for a line on stdin. A test
//! can then `kill -9` plumb, or terminate its backend, at an exact boundary,
//! and resume it by writing a line. Unset, a failpoint costs one environment
//! lookup. This is the one place below the CLI that writes to stderr: it is a
//! test harness hook, not output.

/// Pauses at the point `name` when `PLUMB_FAILPOINT` names it (see the module documentation).
pub fn failpoint(name: &str) {
    let Some(wanted) = std::env::var_os("PLUMB_FAILPOINT") else { return };
    if wanted.to_string_lossy() != name {
        return;
    }
    eprintln!("plumb-failpoint: {name}");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}
