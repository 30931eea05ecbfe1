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

/// Reading a call's arguments as both stacks read them.
pub mod args {
    use crate::script::{Arg, Call, Span, Value};

    /// The items of `[a, b]`, or the one value given.
    pub fn list_items(v: Option<&Value>) -> Vec<&Value> {
        match v {
            Some(Value::List(items)) => items.iter().map(|a| &a.value).collect(),
            Some(Value::Ellipsis) | None => Vec::new(),
            Some(v) => vec![v],
        }
    }

    /// The total length of an iovec list (`[{iov_base=..., iov_len=100}]`) or of a
    /// msghdr's `msg_iov`; `None` when a length is not written.
    pub fn iov_total(v: &Value) -> Option<i64> {
        if let Some(iov) = v.field("msg_iov") {
            return iov_total(iov);
        }
        match v {
            Value::List(items) => items
                .iter()
                .try_fold(0i64, |n, a| iov_len(&a.value).map(|l| n.saturating_add(l))),
            Value::Struct(_) => iov_len(v),
            _ => None,
        }
    }

    /// One iovec's length: `{iov_base=..., iov_len=N}`, or `{..., N}` as packetdrill
    /// writes it.
    pub fn iov_len(v: &Value) -> Option<i64> {
        v.field("iov_len")
            .or_else(|| v.field("1"))
            .and_then(Value::int)
    }

    /// A read or write whose buffer is `NULL` (or 0): the copy fails with EFAULT.
    pub fn null_buffer(call: &Call) -> bool {
        matches!(
            call.name.as_str(),
            "read" | "recv" | "recvfrom" | "write" | "send" | "sendto"
        ) && call
            .args
            .get(1)
            .is_some_and(|a| a.value.has_name("NULL") || a.value == Value::Int(0))
    }

    /// A read with `MSG_PEEK` among its flags (`recv`/`recvfrom`'s fourth argument,
    /// `recvmsg`'s third): the text is copied and stays queued (POSIX `recv()`; Linux
    /// `tcp_recvmsg_locked()`, FreeBSD `soreceive_generic()` leave the receive queue as it
    /// is, so the window does not reopen).
    pub fn peek(call: &Call) -> bool {
        // MSG_PEEK is 2 on Linux and FreeBSD.
        const MSG_PEEK: i64 = 2;
        let at = match call.name.as_str() {
            "recv" | "recvfrom" => 3,
            "recvmsg" => 2,
            _ => return false,
        };
        call.args.get(at).is_some_and(|a| match &a.value {
            Value::Int(n) => n & MSG_PEEK != 0,
            v => v.has_name("MSG_PEEK"),
        })
    }

    /// `SO_LINGER`'s `struct linger`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Linger {
        /// `l_onoff` is not zero.
        pub on: bool,
        /// `l_linger`, in seconds.
        pub secs: i64,
    }

    /// Reads a `struct linger` as both stacks take it: packetdrill writes
    /// `{onoff=1, linger=0}` (its grammar's only form), C `{l_onoff=1, l_linger=0}`.
    /// Both fields are needed; any other field is an error, pointed at by its span.
    pub fn linger(v: &Arg) -> Result<Linger, (Span, String)> {
        const FORM: &str = "{onoff=1, linger=0}";
        let Value::Struct(fields) = &v.value else {
            return Err((
                v.span.clone(),
                format!("SO_LINGER takes a struct linger, written {FORM}"),
            ));
        };
        let (mut on, mut secs) = (None, None);
        for (name, a) in fields {
            let slot = match name.as_str() {
                "onoff" | "l_onoff" => &mut on,
                "linger" | "l_linger" => &mut secs,
                _ => {
                    return Err((
                        a.span.clone(),
                        format!("`{name}` is not a field of struct linger: write {FORM}"),
                    ));
                }
            };
            if slot.is_some() {
                return Err((a.span.clone(), format!("`{name}` is given twice")));
            }
            let Some(n) = a.value.int() else {
                return Err((a.span.clone(), format!("`{name}` takes an integer")));
            };
            *slot = Some(n);
        }
        match (on, secs) {
            (Some(on), Some(secs)) => Ok(Linger { on: on != 0, secs }),
            _ => Err((
                v.span.clone(),
                format!("struct linger needs both fields: {FORM}"),
            )),
        }
    }

    /// Checks the arguments a stack reads as typed structures, before either stack runs
    /// the call, so a malformed one is a bad script at its own line and column.
    pub fn check(call: &Call) -> Result<(), (Span, String)> {
        if call.name == "setsockopt"
            && call
                .args
                .get(2)
                .is_some_and(|a| a.value.has_name("SO_LINGER"))
        {
            let Some(v) = call.args.get(3) else {
                return Err((
                    call.name_span.clone(),
                    "setsockopt SO_LINGER needs its struct linger".to_string(),
                ));
            };
            linger(v)?;
        }
        Ok(())
    }

    /// An int argument, also written `[n]`.
    pub fn int_or_boxed(v: Option<&Arg>) -> Option<i64> {
        let v = &v?.value;
        v.int().or_else(|| match v {
            Value::List(items) if items.len() == 1 => items[0].value.int(),
            _ => None,
        })
    }

    /// The name an argument is written as (`SO_LINGER`), if it is a name.
    pub fn name(v: Option<&Arg>) -> Option<&str> {
        match &v?.value {
            Value::Name(n) => Some(n),
            _ => None,
        }
    }

    /// The length a read-like call asks (`read(fd, ..., n)`, `recvmsg`'s iovecs; a
    /// length not written reads whatever there is).
    pub fn read_len(name: &str, args: &[Arg]) -> u32 {
        let n = match name {
            "recvmsg" | "readv" => args
                .get(1)
                .map_or(Some(0), |a| iov_total(&a.value))
                .unwrap_or(i64::from(u32::MAX)),
            _ => args.get(2).and_then(|a| a.value.int()).unwrap_or(0),
        };
        n.clamp(0, i64::from(u32::MAX)) as u32
    }

    /// The length a write-like call sends, if written (`sendfile`'s count).
    pub fn write_len(name: &str, args: &[Arg]) -> Option<i64> {
        match name {
            "sendmsg" | "writev" => args.get(1).and_then(|a| iov_total(&a.value)),
            "sendfile" => args.get(3).and_then(|a| a.value.int()),
            _ => args.get(2).and_then(|a| a.value.int()),
        }
    }
}

/// Linux's poll and epoll event bits.
pub mod events {
    use crate::script::Value;

    /// `POLLIN`.
    pub const POLLIN: u32 = 0x1;
    /// `POLLPRI`.
    pub const POLLPRI: u32 = 0x2;
    /// `POLLOUT`.
    pub const POLLOUT: u32 = 0x4;
    /// `POLLERR`.
    pub const POLLERR: u32 = 0x8;
    /// `POLLHUP`.
    pub const POLLHUP: u32 = 0x10;
    /// `POLLNVAL`.
    pub const POLLNVAL: u32 = 0x20;
    /// `POLLRDNORM`.
    pub const POLLRDNORM: u32 = 0x40;
    /// `POLLRDBAND`.
    pub const POLLRDBAND: u32 = 0x80;
    /// `POLLWRNORM`.
    pub const POLLWRNORM: u32 = 0x100;
    /// `POLLWRBAND`.
    pub const POLLWRBAND: u32 = 0x200;
    /// `POLLRDHUP`.
    pub const POLLRDHUP: u32 = 0x2000;
    /// epoll's edge-triggered flag (Linux's `EPOLLET`).
    pub const EPOLLET: u32 = 1 << 31;

    /// The bits by name without the `POLL`/`EPOLL` prefix.
    pub const EVENTS: &[(&str, u32)] = &[
        ("IN", POLLIN),
        ("PRI", POLLPRI),
        ("OUT", POLLOUT),
        ("ERR", POLLERR),
        ("HUP", POLLHUP),
        ("NVAL", POLLNVAL),
        ("RDNORM", POLLRDNORM),
        ("RDBAND", POLLRDBAND),
        ("WRNORM", POLLWRNORM),
        ("WRBAND", POLLWRBAND),
        ("RDHUP", POLLRDHUP),
    ];

    /// `POLLIN|POLLOUT`, `EPOLLIN`, a number: the event bits (`EPOLLET` is its own bit;
    /// epoll's other flags, such as `EPOLLONESHOT`, count as none).
    pub fn bits(v: &Value) -> Option<u32> {
        match v {
            Value::Int(n) => u32::try_from(*n).ok(),
            Value::Name(n) => {
                let bare = n.strip_prefix("EPOLL").or_else(|| n.strip_prefix("POLL"))?;
                match EVENTS.iter().find(|(name, _)| *name == bare) {
                    Some((_, bit)) => Some(*bit),
                    None if bare == "ET" => Some(EPOLLET),
                    None if matches!(bare, "ONESHOT" | "EXCLUSIVE" | "WAKEUP") => Some(0),
                    None => None,
                }
            }
            Value::Or(items) => items
                .iter()
                .try_fold(0, |m, a| bits(&a.value).map(|b| m | b)),
            _ => None,
        }
    }

    /// `POLLIN|POLLOUT`, or `0`.
    pub fn text(bits: u32) -> String {
        let names: Vec<String> = EVENTS
            .iter()
            .filter(|(_, b)| bits & b != 0)
            .map(|(n, _)| format!("POLL{n}"))
            .collect();
        if names.is_empty() {
            "0".to_string()
        } else {
            names.join("|")
        }
    }
}

/// `0`, `-1 EAGAIN`.
pub fn result_text(value: i64, errno: Option<Errno>) -> String {
    match errno {
        Some(e) => format!("{value} {e}"),
        None => value.to_string(),
    }
}
