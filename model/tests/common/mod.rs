//! Test harness: endpoints driven into each state by real steps, a search for a segment
//! that classifies as a given event, and two endpoints wired by hand.
#![allow(dead_code)]

use model::endpoint::{Env, Timers};
use model::table::Timer;
use model::{Config, Event, Flags, Input, Origin, Outcome, Segment, State, Table, Tcb, UserCall};
use std::collections::VecDeque;

/// A = the RFC figures' TCP A (ISS 100); B = TCP B (ISS 300).
pub const ISS_A: u32 = 100;
pub const ISS_B: u32 = 300;

pub fn cfg() -> Config {
    Config {
        msl: 10,
        rto: 3,
        rto_max: 24,
        max_retransmits: 3,
        rcv_buf: 1000,
        mss: 100,
        fin_timeout: 7,
        ..Config::default()
    }
}

/// The `linux` table and parameters over [`cfg`], 1 tick = 1 ms.
pub fn linux() -> (Table, Config) {
    let profiles = [model::Profile::named("linux").unwrap()];
    let cfg = model::profile::configure(cfg(), &profiles, 1);
    (Table::from_spec("linux").unwrap(), cfg)
}

/// Segment `s` arrives at `now` (ms).
pub fn arrive(t: &Table, cfg: &Config, tcb: &mut Tcb, s: Segment, now: u64) -> Outcome {
    tcb.step(t, cfg, Input::Segment(s), Env { now, iss: ISS_A })
}

pub fn step(table: &Table, tcb: &mut Tcb, input: Input) -> Outcome {
    tcb.step(table, &cfg(), input, Env { now: 0, iss: ISS_A })
}

pub fn call(table: &Table, tcb: &mut Tcb, c: UserCall) -> Outcome {
    step(table, tcb, Input::Call(c))
}

pub fn seg(flags: Flags, seq: u32, ack: u32) -> Segment {
    Segment::control(flags, seq, ack, 1000)
}

pub const S: Flags = Flags::SYN;
pub const A: Flags = Flags::ACK;
pub const F: Flags = Flags::FIN;
pub const R: Flags = Flags::RST;

/// An endpoint with ISS 100 driven into `state` by real steps against a scripted peer
/// whose ISS is 300. SYN-RECEIVED comes in both origins.
pub fn reach(table: &Table, state: State, origin: Origin) -> Tcb {
    let mut t = Tcb::new();
    let t = &mut t;
    let run = |t: &mut Tcb, i: Input| {
        step(table, t, i);
    };
    match state {
        State::Closed => {}
        State::Listen => {
            run(t, Input::Call(UserCall::PassiveOpen));
        }
        State::SynSent => {
            run(t, Input::Call(UserCall::ActiveOpen));
        }
        State::SynReceived => {
            if origin == Origin::Passive {
                run(t, Input::Call(UserCall::PassiveOpen));
            } else {
                run(t, Input::Call(UserCall::ActiveOpen));
            }
            run(t, Input::Segment(seg(S, ISS_B, 0)));
        }
        State::Established => *t = established(table),
        State::FinWait1 => {
            *t = established(table);
            run(t, Input::Call(UserCall::Close));
        }
        State::FinWait2 => {
            *t = reach(table, State::FinWait1, origin);
            run(t, Input::Segment(seg(A, ISS_B + 1, ISS_A + 2)));
        }
        State::CloseWait => {
            *t = established(table);
            run(t, Input::Segment(seg(F | A, ISS_B + 1, ISS_A + 1)));
        }
        State::Closing => {
            *t = reach(table, State::FinWait1, origin);
            run(t, Input::Segment(seg(F | A, ISS_B + 1, ISS_A + 1)));
        }
        State::LastAck => {
            *t = reach(table, State::CloseWait, origin);
            run(t, Input::Call(UserCall::Close));
        }
        State::TimeWait => {
            *t = reach(table, State::FinWait2, origin);
            run(t, Input::Segment(seg(F | A, ISS_B + 1, ISS_A + 2)));
        }
    }
    assert_eq!(t.state, state, "could not reach {state}");
    t.clone()
}

fn established(table: &Table) -> Tcb {
    let mut t = Tcb::new();
    step(table, &mut t, Input::Call(UserCall::ActiveOpen));
    step(table, &mut t, Input::Segment(seg(S | A, ISS_B, ISS_A + 1)));
    t
}

/// A segment that the TCB classifies as `event`, found by searching the sequence and
/// acknowledgment numbers around its variables with every flag combination.
pub fn segment_for(tcb: &Tcb, event: Event) -> Option<Segment> {
    let c = cfg();
    let sp = c.space;
    let around = |x: u32| [x, sp.add(x, 1), sp.sub(x, 1), sp.add(x, 5)];
    let mut seqs: Vec<u32> = around(tcb.rcv_nxt).to_vec();
    seqs.extend([sp.add(tcb.rcv_nxt, tcb.rcv_wnd + 10), tcb.irs, 7777]);
    let mut acks: Vec<u32> = around(tcb.snd_una).to_vec();
    acks.extend(around(tcb.snd_nxt));
    acks.extend([tcb.iss, 55555]);
    for len in [0, 1] {
        for bits in 0u8..32 {
            for &seq in &seqs {
                for &ack in &acks {
                    let s = Segment {
                        seq,
                        ack,
                        flags: Flags::from_bits(bits),
                        wnd: 1000,
                        len,
                        opts: model::TcpOptions::NONE,
                    };
                    let mut probe = tcb.clone();
                    if probe.classify(&c, &Input::Segment(s)) == event {
                        return Some(s);
                    }
                }
            }
        }
    }
    None
}

/// An input that the TCB classifies as `event`, if there is one.
pub fn input_for(tcb: &Tcb, event: Event) -> Option<(Tcb, Input)> {
    use Event::*;
    let mut t = tcb.clone();
    let call = |c| Some((tcb.clone(), Input::Call(c)));
    match event {
        PassiveOpen => call(UserCall::PassiveOpen),
        ActiveOpen => call(UserCall::ActiveOpen),
        Send => call(UserCall::Send(10)),
        Receive => call(UserCall::Receive(10)),
        Close => call(UserCall::Close),
        Shutdown => call(UserCall::Shutdown),
        Abort => call(UserCall::Abort),
        RetransmitTimeout => Some((t, Input::Timeout(Timer::Retransmit))),
        UserTimeout => {
            t.retries = cfg().max_retransmits;
            Some((t, Input::Timeout(Timer::Retransmit)))
        }
        TimeWaitTimeout => Some((t, Input::Timeout(Timer::TimeWait))),
        FinWait2Timeout => Some((t, Input::Timeout(Timer::FinWait2))),
        DelayedAckTimeout => Some((t, Input::Timeout(Timer::DelayedAck))),
        _ => segment_for(tcb, event).map(|s| (t, Input::Segment(s))),
    }
}

/// The flags of the segments an outcome sent, packetdrill-style (`S. .`).
pub fn sent(o: &Outcome) -> String {
    o.segments
        .iter()
        .map(|s| s.flags.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Two endpoints wired by hand: segments wait in a queue per direction until a test
/// delivers, drops or duplicates them.
pub struct Wire {
    pub table: Table,
    pub cfg: Config,
    pub a: Tcb,
    pub b: Tcb,
    pub to_a: VecDeque<Segment>,
    pub to_b: VecDeque<Segment>,
    pub now: u64,
    pub log: Vec<String>,
    /// The ISNs A and B choose.
    pub iss: (u32, u32),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    A,
    B,
}

impl Wire {
    pub fn new(table: Table) -> Wire {
        Wire {
            table,
            cfg: cfg(),
            a: Tcb::new(),
            b: Tcb::new(),
            to_a: VecDeque::new(),
            to_b: VecDeque::new(),
            now: 0,
            log: Vec::new(),
            iss: (ISS_A, ISS_B),
        }
    }

    fn input(&mut self, side: Side, input: Input) -> Outcome {
        let (tcb, iss, out) = match side {
            Side::A => (&mut self.a, self.iss.0, &mut self.to_b),
            Side::B => (&mut self.b, self.iss.1, &mut self.to_a),
        };
        let o = tcb.step(&self.table, &self.cfg, input, Env { now: self.now, iss });
        out.extend(o.segments.iter().copied());
        self.log.push(format!(
            "{side:?}: {} {} -> {} sent [{}]",
            o.event.id(),
            o.from,
            o.to,
            sent(&o)
        ));
        o
    }

    pub fn call(&mut self, side: Side, c: UserCall) -> Outcome {
        self.input(side, Input::Call(c))
    }

    /// Delivers the oldest segment in flight to `side`.
    pub fn deliver(&mut self, side: Side) -> Outcome {
        let q = match side {
            Side::A => &mut self.to_a,
            Side::B => &mut self.to_b,
        };
        let s = q
            .pop_front()
            .unwrap_or_else(|| panic!("nothing in flight to {side:?}"));
        self.input(side, Input::Segment(s))
    }

    /// Drops the oldest segment in flight to `side` and returns it.
    pub fn drop(&mut self, side: Side) -> Segment {
        let q = match side {
            Side::A => &mut self.to_a,
            Side::B => &mut self.to_b,
        };
        q.pop_front().expect("nothing in flight")
    }

    /// Puts a segment in flight to `side` (an old duplicate, say).
    pub fn inject(&mut self, side: Side, s: Segment) {
        match side {
            Side::A => self.to_a.push_back(s),
            Side::B => self.to_b.push_back(s),
        }
    }

    /// Advances time to `side`'s next timer and fires it.
    pub fn fire(&mut self, side: Side) -> Outcome {
        let tcb = match side {
            Side::A => &self.a,
            Side::B => &self.b,
        };
        let (timer, at) = tcb.next_timer().expect("no timer running");
        self.now = self.now.max(at);
        self.input(side, Input::Timeout(timer))
    }

    pub fn timers(&self, side: Side) -> Timers {
        match side {
            Side::A => self.a.timers,
            Side::B => self.b.timers,
        }
    }

    pub fn states(&self) -> (State, State) {
        (self.a.state, self.b.state)
    }
}
