//! TCP_NODELAY on the PostgreSQL connections.
//!
//! sqlx 0.9.0 stopped setting TCP_NODELAY on its sockets (sqlx issue #4335; fixed upstream by
//! pull request #4336, not yet in a release). With Nagle's algorithm on, a statement sent in
//! more than one write waits for the server's delayed ACK, about 40 ms on Linux: the
//! dispatcher's batched statements stalled on every round trip (94 full birth applications per
//! second instead of 266 over a Unix socket). Until a release carries the fix, each new
//! connection turns it on for the process's TCP sockets connected to the database's port.
//! Remove this module when sqlx sets the option itself.

/// Set TCP_NODELAY on every TCP socket of this process whose peer port is `port`.
#[cfg(target_os = "linux")]
pub(super) fn set_on_sockets_to(port: u16) {
    use socket2::{SockRef, Type};
    use std::os::fd::BorrowedFd;
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(raw) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: `raw` was open when listed. Were it closed and reused meanwhile, the calls
        // below act on whatever descriptor has the number: they only read its type and peer
        // and set TCP_NODELAY on a TCP socket, which no socket of this process needs off.
        let fd = unsafe { BorrowedFd::borrow_raw(raw) };
        let socket = SockRef::from(&fd);
        let to_database = socket.r#type().is_ok_and(|t| t == Type::STREAM)
            && socket
                .peer_addr()
                .ok()
                .and_then(|a| a.as_socket())
                .is_some_and(|a| a.port() == port);
        if to_database && let Err(e) = socket.set_tcp_nodelay(true) {
            tracing::debug!(error = %e, "Failed to set TCP_NODELAY on a database socket");
        }
    }
}

/// Elsewhere the connections keep the system's default.
#[cfg(not(target_os = "linux"))]
pub(super) fn set_on_sockets_to(_port: u16) {}
