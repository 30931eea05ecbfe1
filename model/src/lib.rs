//! TCP connection management (RFC 9293) made precise and checkable.
//!
//! - [`table`]: states, events, actions and the rows that bind them: the single source
//!   of truth that every other part reads.
//! - [`profile`]: named sets of row changes (RFC 793, RFC 1337, and mutants).
//! - [`endpoint`]: a pure, sans-IO endpoint whose `step` classifies an input, looks the
//!   row up and applies it.
//! - [`rtt`]: round-trip measurement and the retransmission timeout (RFC 6298, Linux).
//! - [`seq`], [`segment`]: sequence arithmetic and segments.

#![warn(missing_docs)]

pub mod check;
pub mod diff;
pub mod endpoint;
pub mod msc;
pub mod out_of_line;
pub mod profile;
pub mod render;
mod rows;
pub mod rtt;
pub mod segment;
pub mod seq;
pub mod table;

pub use endpoint::{AckPolicy, Config, Input, Negotiated, Outcome, SynOptions, Tcb, UserCall};
pub use profile::{PROFILES, Param, Profile, Setting};
pub use segment::{Flags, SackBlocks, Segment, TcpOptions};
pub use seq::SeqSpace;
pub use table::{Action, Emit, Event, Guard, Origin, Row, RowId, Signal, State, Table};
