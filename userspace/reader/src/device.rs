//! Access to `/dev/oom_guard`: open, read, poll integration and the ioctls.
//!
//! The path is a parameter everywhere, so tests and offline tools can open fixture files and
//! FIFOs with the same code; the ioctls then fail with `ENOTTY`, which is reported as such.

use crate::sys::{self, Plain};
use oom_guard_core::abi::{self, Config, Stats, Zones};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the module's misc device appears.
pub const DEFAULT_DEVICE: &str = "/dev/oom_guard";

/// A read buffer of this size always holds at least one record; the reader uses a larger one.
pub const READ_BUFFER: usize = 64 * 1024;

/// An error opening or using the device, with the path it happened on.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The device node does not exist.
    #[error("{}: no such device; is the module loaded? (insmod rust_oom_guard.ko)", .path.display())]
    Missing {
        /// The device path.
        path: PathBuf,
        /// The `open()` error.
        #[source]
        source: io::Error,
    },
    /// The caller may not open the device.
    #[error(
        "{}: permission denied; oom-guard needs root (the device node is mode 0600, owner root)",
        .path.display()
    )]
    PermissionDenied {
        /// The device path.
        path: PathBuf,
        /// The `open()` error.
        #[source]
        source: io::Error,
    },
    /// Any other `open()` failure.
    #[error("cannot open {}", .path.display())]
    Open {
        /// The device path.
        path: PathBuf,
        /// The `open()` error.
        #[source]
        source: io::Error,
    },
    /// An ioctl failed.
    #[error("{}: ioctl {name} failed{}", .path.display(), ioctl_hint(.name, .source))]
    Ioctl {
        /// The device path.
        path: PathBuf,
        /// The ioctl's name (`OOM_GUARD_GET_STATS`, …).
        name: &'static str,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The module speaks another major ABI version.
    #[error(
        "{}: the module speaks ABI {major}.{minor}, this reader {reader_major}.{reader_minor}; \
         the major versions differ, use an oom-guard built for that module",
        .path.display(),
        reader_major = abi::ABI_MAJOR,
        reader_minor = abi::ABI_MINOR
    )]
    Incompatible {
        /// The device path.
        path: PathBuf,
        /// The module's major version.
        major: u8,
        /// The module's minor version.
        minor: u8,
    },
}

/// Whether ioctl `name` sets something (the configuration), so that `EINVAL` means a value
/// was refused; from a request that only reads, `EINVAL` means the request itself was not
/// understood.
fn is_set(name: &str) -> bool {
    name.starts_with("OOM_GUARD_SET_")
}

fn ioctl_hint(name: &str, e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::ENOTTY) => " (not the oom_guard device?)",
        Some(libc::EPERM) => " (changing the configuration needs CAP_SYS_ADMIN: run as root)",
        Some(libc::EINVAL) if is_set(name) => " (the module rejected a value out of range)",
        Some(libc::EINVAL) => {
            " (the request was not understood: not the oom_guard device, or a module of another ABI?)"
        }
        _ => "",
    }
}

impl DeviceError {
    /// Whether the error means the device is not there (yet): `ENOENT`, `ENODEV`, `ENXIO`.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing { .. })
    }

    /// Whether this is the module refusing a configuration value (`EINVAL` from a set ioctl),
    /// a usage error, as opposed to `EINVAL` from a request it does not understand.
    pub fn is_rejected_value(&self) -> bool {
        matches!(self, Self::Ioctl { name, source, .. }
            if is_set(name) && source.raw_os_error() == Some(libc::EINVAL))
    }

    /// Classifies an `open()` error on `path`.
    pub fn from_open(path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.raw_os_error() {
            Some(libc::ENOENT | libc::ENODEV | libc::ENXIO) => Self::Missing { path, source },
            Some(libc::EACCES | libc::EPERM) => Self::PermissionDenied { path, source },
            _ => Self::Open { path, source },
        }
    }
}

/// How to open the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open with `O_NONBLOCK`: reads fail with `EAGAIN` instead of blocking.
    pub nonblock: bool,
}

/// An open reader of `/dev/oom_guard` (or of a capture file or FIFO standing in for it).
///
/// Every open file is an independent reader starting at the oldest event in the ring.
#[derive(Debug)]
pub struct Device {
    file: File,
    path: PathBuf,
}

impl Device {
    /// Opens `path` for reading.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DeviceError> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens `path` for reading with `opts`.
    ///
    /// The open itself never blocks: a FIFO without a writer is opened with `O_NONBLOCK` (which
    /// succeeds at once), and the flag is cleared afterwards unless `opts` asked for it. A
    /// blocking `open()` would be restarted after SIGTERM's handler and ignore it; now the wait
    /// for a writer is the watch loop's `poll()`, which a stop ends.
    pub fn open_with(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Self, DeviceError> {
        let path = path.as_ref();
        let mut o = std::fs::OpenOptions::new();
        o.read(true).custom_flags(libc::O_NONBLOCK);
        let file = o.open(path).map_err(|e| DeviceError::from_open(path, e))?;
        if !opts.nonblock {
            sys::clear_nonblock(file.as_fd()).map_err(|e| DeviceError::from_open(path, e))?;
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Opens `path`, retrying while it is missing (`--wait`).
    ///
    /// After each failed attempt `wait(interval)` is called; it should wait up to `interval`
    /// (for example polling a shutdown pipe) and return true to give up, in which case the
    /// last error is returned.
    pub fn open_wait(
        path: impl AsRef<Path>,
        opts: OpenOptions,
        interval: Duration,
        mut wait: impl FnMut(Duration) -> bool,
    ) -> Result<Self, DeviceError> {
        loop {
            match Self::open_with(path.as_ref(), opts) {
                Err(e) if e.is_missing() => {
                    if wait(interval) {
                        return Err(e);
                    }
                }
                other => return other,
            }
        }
    }

    /// A second handle on the same open file (a `dup`): the same reader, so it adds no reader
    /// to the module and shares this one's position; for ioctls from another thread.
    pub fn try_clone(&self) -> Result<Self, DeviceError> {
        Ok(Self {
            file: self
                .file
                .try_clone()
                .map_err(|e| DeviceError::from_open(&self.path, e))?,
            path: self.path.clone(),
        })
    }

    /// The path this was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this is a character device (the real device), not a file or FIFO.
    pub fn is_char_device(&self) -> bool {
        self.file
            .metadata()
            .map(|m| m.file_type().is_char_device())
            .unwrap_or(false)
    }

    /// The module's ABI version as `(major, minor)`.
    pub fn abi_version(&self) -> Result<(u8, u8), DeviceError> {
        let v: u32 = self.ioctl_read(abi::IOCTL_GET_VERSION, "OOM_GUARD_GET_VERSION")?;
        let [minor, major, ..] = v.to_le_bytes();
        Ok((major, minor))
    }

    /// Checks that the module speaks this reader's major ABI version. Only a character device
    /// is asked; capture files and FIFOs carry the version in every record instead.
    pub fn check_version(&self) -> Result<Option<(u8, u8)>, DeviceError> {
        if !self.is_char_device() {
            return Ok(None);
        }
        let (major, minor) = self.abi_version()?;
        if major != abi::ABI_MAJOR {
            return Err(DeviceError::Incompatible {
                path: self.path.clone(),
                major,
                minor,
            });
        }
        Ok(Some((major, minor)))
    }

    /// The module's counters.
    pub fn stats(&self) -> Result<Stats, DeviceError> {
        self.ioctl_read(abi::IOCTL_GET_STATS, "OOM_GUARD_GET_STATS")
    }

    /// The current zone snapshot.
    pub fn zones(&self) -> Result<Zones, DeviceError> {
        self.ioctl_read(abi::IOCTL_GET_ZONES, "OOM_GUARD_GET_ZONES")
    }

    /// The runtime configuration.
    pub fn config(&self) -> Result<Config, DeviceError> {
        self.ioctl_read(abi::IOCTL_GET_CONFIG, "OOM_GUARD_GET_CONFIG")
    }

    /// Sets the runtime configuration (needs `CAP_SYS_ADMIN`; all or nothing).
    pub fn set_config(&self, config: &Config) -> Result<(), DeviceError> {
        let mut c = *config;
        self.ioctl(abi::IOCTL_SET_CONFIG, "OOM_GUARD_SET_CONFIG", &mut c)
    }

    fn ioctl_read<T: Default + Plain>(
        &self,
        cmd: u32,
        name: &'static str,
    ) -> Result<T, DeviceError> {
        let mut v = T::default();
        self.ioctl(cmd, name, &mut v)?;
        Ok(v)
    }

    /// Issues `cmd` with a pointer to `arg` ([`sys::ioctl`] checks that the size the command
    /// encodes is the size of `T`); errors name the ioctl `name`.
    fn ioctl<T: Plain>(
        &self,
        cmd: u32,
        name: &'static str,
        arg: &mut T,
    ) -> Result<(), DeviceError> {
        sys::ioctl(self.file.as_fd(), cmd, arg).map_err(|source| self.ioctl_error(name, source))
    }

    /// The failure of ioctl `name` on this device.
    fn ioctl_error(&self, name: &'static str, source: io::Error) -> DeviceError {
        DeviceError::Ioctl {
            path: self.path.clone(),
            name,
            source,
        }
    }
}

impl Read for Device {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl AsFd for Device {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for Device {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn missing_device_says_how_to_load_the_module() {
        let dir = TempDir::new();
        let path = dir.path().join("oom_guard");
        let e = Device::open(&path).unwrap_err();
        assert!(e.is_missing());
        let msg = e.to_string();
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains("is the module loaded? (insmod rust_oom_guard.ko)"),
            "{msg}"
        );
    }

    #[test]
    fn open_errors_are_classified() {
        let p = Path::new("/dev/oom_guard");
        let e = |errno| DeviceError::from_open(p, io::Error::from_raw_os_error(errno));
        assert!(matches!(e(libc::ENOENT), DeviceError::Missing { .. }));
        assert!(matches!(e(libc::ENODEV), DeviceError::Missing { .. }));
        assert!(matches!(e(libc::ENXIO), DeviceError::Missing { .. }));
        let denied = e(libc::EACCES);
        assert!(matches!(denied, DeviceError::PermissionDenied { .. }));
        assert!(denied.to_string().contains("needs root"));
        assert!(denied.to_string().contains("0600"));
        assert!(matches!(e(libc::EIO), DeviceError::Open { .. }));
    }

    #[test]
    fn fixture_files_read_and_refuse_ioctls() {
        let dir = TempDir::new();
        let path = dir.path().join("capture");
        std::fs::write(&path, b"0123456789").unwrap();
        let mut d = Device::open(&path).unwrap();
        assert!(!d.is_char_device());
        assert_eq!(d.check_version().unwrap(), None);
        assert!(d.as_raw_fd() >= 0);
        assert_eq!(d.as_fd().as_raw_fd(), d.as_raw_fd());
        let mut s = String::new();
        d.read_to_string(&mut s).unwrap();
        assert_eq!(s, "0123456789");
        let e = d.stats().unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("ioctl OOM_GUARD_GET_STATS failed"), "{msg}");
        assert!(msg.contains("not the oom_guard device"), "{msg}");
        assert!(matches!(
            d.set_config(&Config::default()),
            Err(DeviceError::Ioctl {
                name: "OOM_GUARD_SET_CONFIG",
                ..
            })
        ));
    }

    #[test]
    fn ioctl_size_mismatch_is_refused_before_the_syscall() {
        let dir = TempDir::new();
        let path = dir.path().join("capture");
        std::fs::write(&path, b"").unwrap();
        let d = Device::open(&path).unwrap();
        let mut small = 0u8;
        let e = d.ioctl(abi::IOCTL_GET_STATS, "x", &mut small).unwrap_err();
        let DeviceError::Ioctl { source, .. } = e else {
            panic!("{e:?}");
        };
        assert_eq!(source.raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn a_fifo_without_a_writer_opens_at_once_and_reads_blocking() {
        let dir = TempDir::new();
        let path = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.unwrap().success());
        // Without a writer: a blocking open() would wait here.
        let mut d = Device::open(&path).unwrap();
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", d.as_raw_fd())).unwrap();
        let flags = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|f| i32::from_str_radix(f.trim(), 8).ok())
            .unwrap();
        assert_eq!(flags & libc::O_NONBLOCK, 0, "blocking reads, as before");
        let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::io::Write::write_all(&mut w, b"x").unwrap();
        let mut b = [0u8; 1];
        d.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"x");
    }

    #[test]
    fn open_wait_retries_until_the_node_appears() {
        let dir = TempDir::new();
        let path = dir.path().join("oom_guard");
        let mut tries = 0;
        let d = Device::open_wait(&path, OpenOptions::default(), Duration::ZERO, |_| {
            tries += 1;
            if tries == 3 {
                std::fs::write(&path, b"").unwrap();
            }
            false
        })
        .unwrap();
        assert_eq!(tries, 3);
        assert_eq!(d.path(), path);
        // Giving up returns the missing error.
        let gone = dir.path().join("gone");
        let e = Device::open_wait(&gone, OpenOptions::default(), Duration::ZERO, |_| true);
        assert!(e.unwrap_err().is_missing());
    }
}
