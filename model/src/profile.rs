//! Profiles: named sets of row changes layered over the RFC 9293 table.
//!
//! A profile is data. It restates the rows it changes: for each (state, event) it names,
//! its rules replace every base row of that pair. Profiles layer left to right, so
//! `rfc1337,fin-wait-2-timeout` is RFC 9293 with both changes. Broken profiles (mutants)
//! exist for the model checker to refute; they are marked `broken` everywhere they appear.

use crate::rows::*;
use crate::table::{Action, Event, Guard, Span, State, Timer};
use serde::Serialize;

/// A named set of row changes.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Profile {
    /// The name users type (`--profile rfc1337`).
    pub name: &'static str,
    /// One line on what it changes and why.
    pub description: &'static str,
    /// Deliberately wrong: a mutant for the model checker to refute.
    pub broken: bool,
    #[serde(skip)]
    rules: fn() -> Vec<Rule>,
}

impl Profile {
    /// The rules this profile substitutes.
    pub(crate) fn rules(&self) -> Vec<Rule> {
        (self.rules)()
    }

    /// Looks a profile up by name.
    pub fn named(name: &str) -> Option<&'static Profile> {
        PROFILES.iter().find(|p| p.name == name)
    }

    /// Parses a comma-separated list of profile names (`rfc1337,fin-wait-2-timeout`).
    /// An empty list or an empty name (`""`, `rfc1337,,`) is an error, not the default.
    pub fn parse_list(spec: &str) -> Result<Vec<&'static Profile>, String> {
        let known = || {
            let names: Vec<_> = PROFILES.iter().map(|p| p.name).collect();
            names.join(", ")
        };
        if spec.trim().is_empty() {
            return Err(format!(
                "no profile given: name one or more, comma-separated (known: {})",
                known()
            ));
        }
        spec.split(',')
            .map(str::trim)
            .map(|name| {
                if name.is_empty() {
                    return Err(format!(
                        "empty profile name in `{spec}`: profiles are names separated by single commas (known: {})",
                        known()
                    ));
                }
                Profile::named(name)
                    .ok_or_else(|| format!("unknown profile `{name}` (known: {})", known()))
            })
            .collect()
    }
}

/// Every profile, standard ones first, mutants last.
pub static PROFILES: [Profile; 9] = [
    Profile {
        name: "rfc9293",
        description: "RFC 9293 as written, with RFC 5961's challenge ACKs (the default)",
        broken: false,
        rules: Vec::new,
    },
    Profile {
        name: "rfc793",
        description: "RFC 793: any in-window RST resets, an in-window SYN is answered by RST",
        broken: false,
        rules: rfc793,
    },
    Profile {
        name: "rfc1337",
        description: "RFC 1337: TIME-WAIT ignores RST (no TIME-WAIT assassination)",
        broken: false,
        rules: rfc1337,
    },
    Profile {
        name: "fin-wait-2-timeout",
        description: "a FIN-WAIT-2 timer, as real stacks add (Linux tcp_fin_timeout)",
        broken: false,
        rules: fin_wait_2_timeout,
    },
    Profile {
        name: "no-time-wait",
        description: "MUTANT: the active closer goes straight to CLOSED, skipping TIME-WAIT",
        broken: true,
        rules: no_time_wait,
    },
    Profile {
        name: "short-time-wait",
        description: "MUTANT: TIME-WAIT lasts one MSL instead of two",
        broken: true,
        rules: short_time_wait,
    },
    Profile {
        name: "two-way-handshake",
        description: "MUTANT: a listener takes a SYN as an open connection (no third segment)",
        broken: true,
        rules: two_way_handshake,
    },
    Profile {
        name: "no-fin-retransmit",
        description: "MUTANT: a lost FIN is never retransmitted",
        broken: true,
        rules: no_fin_retransmit,
    },
    Profile {
        name: "rst-in-time-wait",
        description: "MUTANT: TIME-WAIT accepts any RST without checking its sequence number",
        broken: true,
        rules: rst_in_time_wait,
    },
];

const RESET_SIGNALLED: [State; 4] = [ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT];
const FIN_SEEN: [State; 3] = [CLOSING, LAST_ACK, TIME_WAIT];

/// In-window RSTs reset, as in RFC 793 (before RFC 5961).
fn rst_in_window_resets(rfc: &'static str) -> Vec<Rule> {
    use Event::RstInWindow;
    vec![
        on(RstInWindow, &RESET_SIGNALLED)
            .does(&[SIG_RESET, DeleteTcb])
            .to(CLOSED)
            .rfc(rfc)
            .label("rcv RST in window / error: connection reset"),
        on(RstInWindow, &FIN_SEEN)
            .does(&[DeleteTcb])
            .to(CLOSED)
            .rfc(rfc)
            .label("rcv RST in window / delete TCB"),
    ]
}

#[rustfmt::skip]
fn rfc793() -> Vec<Rule> {
    use Event::{RstInWindow, Syn, SynAck};
    let mut r = rst_in_window_resets("RFC 793 §3.9");
    r.extend([
        on(RstInWindow, &[SYN_RCVD]).when(Guard::OpenedPassively).does(&[ReturnToListen])
            .to(LISTEN).rfc("RFC 793 §3.9").label("rcv RST / return to LISTEN"),
        on(RstInWindow, &[SYN_RCVD]).when(Guard::OpenedActively).does(&[SIG_REFUSED, DeleteTcb])
            .to(CLOSED).rfc("RFC 793 §3.9").label("rcv RST / error: connection refused"),
    ]);
    for e in [Syn, SynAck] {
        r.push(on(e, &[SYN_RCVD, ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT])
            .does(&[RESET_REPLY, SIG_RESET, DeleteTcb]).to(CLOSED).rfc("RFC 793 §3.9")
            .label("rcv SYN in window / snd RST, error: connection reset"));
        r.push(on(e, &FIN_SEEN).does(&[RESET_REPLY, DeleteTcb]).to(CLOSED).rfc("RFC 793 §3.9")
            .label("rcv SYN in window / snd RST"));
    }
    r
}

#[rustfmt::skip]
fn rfc1337() -> Vec<Rule> {
    use Event::{RstExact, RstInWindow};
    vec![
        on(RstExact, &[TIME_WAIT]).rfc("RFC 1337 §3 (fix F1)").label("rcv RST / ignore"),
        on(RstInWindow, &[TIME_WAIT]).rfc("RFC 1337 §3 (fix F1)").label("rcv RST / ignore"),
    ]
}

const ARM_FIN_WAIT_2: Action = Action::Arm(Timer::FinWait2, Span::FinTimeout);

#[rustfmt::skip]
fn fin_wait_2_timeout() -> Vec<Rule> {
    use Event::{AckOfFin, FinWait2Timeout};
    vec![
        on(AckOfFin, &[FIN_WAIT_1]).does(&[ProcessAck, AcceptText, ACK_TEXT, ARM_FIN_WAIT_2])
            .to(FIN_WAIT_2).rfc("§3.10.7.4; Linux tcp_fin_timeout")
            .label("rcv ACK of FIN / start FIN-WAIT-2 timer").classic(),
        on(FinWait2Timeout, &[FIN_WAIT_2]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("Linux tcp_fin_timeout").label("FIN-WAIT-2 timeout / delete TCB"),
    ]
}

#[rustfmt::skip]
fn no_time_wait() -> Vec<Rule> {
    use Event::{AckOfFin, Fin, FinAckOfFin};
    vec![
        on(Fin, &[FIN_WAIT_2]).does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, DeleteTcb])
            .to(CLOSED).rfc("mutant").label("rcv FIN / snd ACK, delete TCB").classic(),
        on(FinAckOfFin, &[FIN_WAIT_1, FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, DeleteTcb])
            .to(CLOSED).rfc("mutant").label("rcv FIN,ACK of FIN / snd ACK, delete TCB"),
        on(AckOfFin, &[CLOSING]).does(&[ProcessAck, DeleteTcb]).to(CLOSED).rfc("mutant")
            .label("rcv ACK of FIN / delete TCB").classic(),
    ]
}

const ARM_1MSL: Action = Action::Arm(Timer::TimeWait, Span::OneMsl);

#[rustfmt::skip]
fn short_time_wait() -> Vec<Rule> {
    use Event::{AckOfFin, Fin, FinAckOfFin, FinRetransmit};
    vec![
        on(Fin, &[FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_1MSL])
            .to(TIME_WAIT).rfc("mutant").label("rcv FIN / snd ACK").classic(),
        on(FinAckOfFin, &[FIN_WAIT_1, FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_1MSL])
            .to(TIME_WAIT).rfc("mutant").label("rcv FIN,ACK of FIN / snd ACK"),
        on(AckOfFin, &[CLOSING]).does(&[ProcessAck, StopTimers, ARM_1MSL]).to(TIME_WAIT)
            .rfc("mutant").label("rcv ACK of FIN / x").classic(),
        on(FinRetransmit, &[TIME_WAIT]).does(&[SND_ACK, ARM_1MSL]).rfc("mutant")
            .label("rcv FIN again / snd ACK, restart MSL"),
        on(Fin, &[TIME_WAIT]).does(&[SND_ACK, ARM_1MSL]).rfc("mutant")
            .label("rcv FIN / snd ACK, restart MSL"),
        on(FinAckOfFin, &[TIME_WAIT]).does(&[SND_ACK, ARM_1MSL]).rfc("mutant")
            .label("rcv FIN / snd ACK, restart MSL"),
    ]
}

#[rustfmt::skip]
fn two_way_handshake() -> Vec<Rule> {
    vec![
        on(Event::Syn, &[LISTEN]).does(&[RecordIrs, ChooseIss, SND_SYN_ACK, SIG_OPEN]).to(ESTAB)
            .rfc("mutant").label("rcv SYN / snd SYN,ACK, open").classic(),
    ]
}

#[rustfmt::skip]
fn no_fin_retransmit() -> Vec<Rule> {
    vec![
        on(Event::RetransmitTimeout, &[FIN_WAIT_1, CLOSING, LAST_ACK]).rfc("mutant")
            .label("retransmission timeout / FIN not retransmitted"),
    ]
}

#[rustfmt::skip]
fn rst_in_time_wait() -> Vec<Rule> {
    use Event::{RstInWindow, RstOutOfWindow};
    vec![
        on(RstInWindow, &[TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED).rfc("mutant")
            .label("rcv any RST / delete TCB"),
        on(RstOutOfWindow, &[TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED).rfc("mutant")
            .label("rcv any RST / delete TCB"),
    ]
}
