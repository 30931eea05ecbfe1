//! A reference interpreter for TCP connection management: packetdrill-style scripts and
//! a REPL, driving an endpoint that follows the transition table (`model::Tcb::step`).
//!
//! - [`script`]: the script language and its parser.
//! - [`session`]: one endpoint under test, its sockets, time, and the expectations.
//! - [`engine`]: the runner (time, blocking calls, numbering, matching, transcript), for
//!   either stack.
//! - [`options`], [`transcript`], [`numbering`]: how a run is set up, what it
//!   produces, and the script's and the live sequence numbers.
//! - [`run`]: a whole script's run, its transcript and its errors.
//! - [`live`]: the kernel side of `interpreter live` (namespace, tun, packets, sockets).
//! - [`stack`]: the stacks a script runs against (the model, the kernel), one interface.
//! - [`syscall`]: system calls as both stacks answer them (one errno type).
//! - [`diff`]: a script on the model and on the kernel, and where the two part.
//! - [`fuzz`]: random connection-management scripts the model writes and the kernel runs.
//! - [`pool`]: independent runs at once (`--jobs`), reported in order.
//! - [`coverage`]: the rows a set of runs fired, and why the others were not.
//! - [`setup`]: `sysctl` set-up lines read as configuration (never executed).
//! - [`repl`], [`pair`]: the REPL, and its two-endpoint mode.

#![warn(missing_docs)]

pub mod coverage;
pub mod diff;
pub mod engine;
pub mod fuzz;
pub mod live;
pub mod numbering;
pub mod options;
pub mod pair;
pub mod pool;
pub mod repl;
pub mod run;
pub mod script;
pub mod session;
pub mod setup;
pub mod stack;
pub mod syscall;
pub mod transcript;
