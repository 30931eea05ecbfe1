//! System calls as both stacks answer them: one [`Errno`] type, Linux's numbers and names.

use std::fmt;

/// An error number, as Linux numbers it (`libc::EAGAIN`, ...). The model's socket layer
/// and the kernel report the same type, so results compare and print alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub i32);

/// Names and numbers of the errors a script meets.
const NAMES: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("EBADF", libc::EBADF),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("EEXIST", libc::EEXIST),
    ("ENOTDIR", libc::ENOTDIR),
    ("EINVAL", libc::EINVAL),
    ("EMFILE", libc::EMFILE),
    ("ENOSPC", libc::ENOSPC),
    ("EPIPE", libc::EPIPE),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTSOCK", libc::ENOTSOCK),
    ("EDESTADDRREQ", libc::EDESTADDRREQ),
    ("EMSGSIZE", libc::EMSGSIZE),
    ("EPROTOTYPE", libc::EPROTOTYPE),
    ("ENOPROTOOPT", libc::ENOPROTOOPT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EADDRINUSE", libc::EADDRINUSE),
    ("EADDRNOTAVAIL", libc::EADDRNOTAVAIL),
    ("ENETDOWN", libc::ENETDOWN),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ECONNABORTED", libc::ECONNABORTED),
    ("ECONNRESET", libc::ECONNRESET),
    ("ENOBUFS", libc::ENOBUFS),
    ("EISCONN", libc::EISCONN),
    ("ENOTCONN", libc::ENOTCONN),
    ("ESHUTDOWN", libc::ESHUTDOWN),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("EHOSTDOWN", libc::EHOSTDOWN),
    ("EHOSTUNREACH", libc::EHOSTUNREACH),
    ("EALREADY", libc::EALREADY),
    ("EINPROGRESS", libc::EINPROGRESS),
];

impl Errno {
    /// `EAGAIN` (also `EWOULDBLOCK`).
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    /// `EINPROGRESS`.
    pub const EINPROGRESS: Errno = Errno(libc::EINPROGRESS);
    /// `EBADF`.
    pub const EBADF: Errno = Errno(libc::EBADF);

    /// The calling thread's `errno`.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The error a name stands for (`EWOULDBLOCK` is `EAGAIN`, as on Linux).
    pub fn from_name(name: &str) -> Option<Errno> {
        let name = if name == "EWOULDBLOCK" {
            "EAGAIN"
        } else {
            name
        };
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| Errno(*v))
    }

    /// Its name (`EAGAIN`), or `E<number>` for one not in the table.
    pub fn name(self) -> String {
        NAMES
            .iter()
            .find(|(_, v)| *v == self.0)
            .map_or_else(|| format!("E{}", self.0), |(n, _)| n.to_string())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewouldblock_is_eagain_and_names_round_trip() {
        assert_eq!(Errno::from_name("EWOULDBLOCK"), Some(Errno::EAGAIN));
        for (name, _) in NAMES {
            assert_eq!(
                Errno::from_name(name).map(Errno::name).as_deref(),
                Some(*name)
            );
        }
        assert_eq!(Errno(4000).name(), "E4000");
        assert_eq!(Errno::from_name("ENOTANERROR"), None);
    }
}
