//! dgram-listen: binds a unix datagram socket and appends every datagram it receives to a
//! file, each followed by an empty line; a stand-in for journald (or syslogd) in guests that
//! have neither.
//!
//! usage: dgram-listen SOCKET FILE
//! Removes a stale SOCKET first, prints `dgram-listen: listening on SOCKET` on stderr once it
//! is bound, and runs until killed. Exits 2 on bad usage, 1 if the socket or file cannot be
//! set up or receiving fails.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::process::ExitCode;

/// Larger than any datagram a unix socket carries by default.
const MAX_DATAGRAM: usize = 256 * 1024;

fn run(socket: &str, file: &str) -> io::Result<()> {
    let mut out = OpenOptions::new().create(true).append(true).open(file)?;
    match std::fs::remove_file(socket) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let sock = UnixDatagram::bind(socket)?;
    eprintln!("dgram-listen: listening on {socket}");
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let data = buf.get(..n).unwrap_or_default();
        // One write per datagram, so a reader of FILE never sees half of one.
        let mut rec = Vec::with_capacity(n + 1);
        rec.extend_from_slice(data);
        rec.push(b'\n');
        out.write_all(&rec)?;
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [socket, file] = args.as_slice() else {
        eprintln!("usage: dgram-listen SOCKET FILE");
        return ExitCode::from(2);
    };
    match run(socket, file) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dgram-listen: {socket} -> {file}: {e}");
            ExitCode::from(1)
        }
    }
}
