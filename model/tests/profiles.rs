//! The `linux` and `freebsd` profiles: every change cites its source, and the endpoint
//! parameters they set behave as their kernels do.

mod common;

use common::*;
use model::profile::{Param, configure, settings};
use model::{Config, Event, Flags, Input, PROFILES, Profile, State, Table, Tcb, UserCall};

fn os(name: &str) -> &'static Profile {
    Profile::named(name).unwrap()
}

#[test]
fn every_row_and_parameter_of_linux_and_freebsd_names_its_source() {
    for name in ["linux", "freebsd"] {
        let p = os(name);
        assert!(!p.broken);
        let t = Table::from_spec(name).unwrap();
        let k = PROFILES.iter().position(|q| q.name == name).unwrap() as u16;
        for (id, row) in t.numbered().filter(|(id, _)| id.0 >= 1000) {
            assert_eq!(id.0 / 1000, k, "{name}: row {id} in its own block");
            assert!(
                row.rfc.starts_with(if name == "linux" {
                    "Linux "
                } else {
                    "FreeBSD "
                }),
                "{name} row {id}: {}",
                row.rfc
            );
        }
        assert!(!p.params.is_empty());
        for s in p.params {
            assert!(!s.source.is_empty(), "{name}: {}", s.param.name());
        }
    }
}

#[test]
fn a_later_profile_parameter_wins() {
    let both = settings(&[os("linux"), os("freebsd")]);
    let tw = |n: &str| {
        both.iter()
            .find(|(_, s)| s.param.name() == n)
            .map(|(p, _)| *p)
    };
    assert_eq!(tw("msl"), Some("freebsd"));
    // Linux's TIME-WAIT length stays: FreeBSD sets the MSL, not TIME-WAIT.
    assert_eq!(tw("time_wait"), Some("linux"));
    let cfg = configure(Config::default(), &[os("freebsd")], 1);
    assert_eq!(cfg.msl, 30_000);
    assert_eq!(cfg.time_wait, None);
    assert_eq!(cfg.max_retransmits, 12);
    assert_eq!(Param::describe("time_wait", &cfg, 1), "2 MSL (60 s)");
}

/// B in LAST-ACK (peer's FIN at 1, our FIN at ISS_B+1 outstanding), under `cfg`.
fn last_ack(table: &Table, cfg: &Config) -> Tcb {
    let mut b = Tcb::new();
    let env = |iss| model::endpoint::Env { now: 0, iss };
    let go = |b: &mut Tcb, i: Input| b.step(table, cfg, i, env(ISS_B));
    go(&mut b, Input::Call(UserCall::PassiveOpen));
    go(&mut b, Input::Segment(seg(Flags::SYN, ISS_A, 0)));
    go(
        &mut b,
        Input::Segment(seg(Flags::ACK, ISS_A + 1, ISS_B + 1)),
    );
    go(
        &mut b,
        Input::Segment(seg(Flags::FIN | Flags::ACK, ISS_A + 1, ISS_B + 1)),
    );
    go(&mut b, Input::Call(UserCall::Close));
    assert_eq!(b.state, State::LastAck);
    b
}

#[test]
fn a_retransmitted_fin_that_acks_our_fin_closes_last_ack_under_linux_and_freebsd() {
    // The peer's FIN again (SEG.SEQ = RCV.NXT - 1), now acknowledging our FIN.
    let refin = seg(Flags::FIN | Flags::ACK, ISS_A + 1, ISS_B + 2);
    for name in ["linux", "freebsd"] {
        let t = Table::from_spec(name).unwrap();
        let cfg = configure(cfg(), &[os(name)], 1);
        let mut b = last_ack(&t, &cfg);
        let out = b.step(&t, &cfg, Input::Segment(refin), Default::default());
        assert_eq!(out.event, Event::AckOfFin, "{name}");
        assert_eq!(b.state, State::Closed, "{name}");
        assert!(out.segments.is_empty(), "{name}: tcp_done() sends nothing");
    }
    // RFC 9293: the first step drops it after an ACK, unread.
    let t = Table::rfc9293();
    let mut b = last_ack(&t, &cfg());
    let out = b.step(&t, &cfg(), Input::Segment(refin), Default::default());
    assert_eq!(out.event, Event::FinRetransmit);
    assert_eq!(b.state, State::LastAck);
    assert_eq!(out.segments.len(), 1);
}

#[test]
fn linux_gives_up_a_syn_after_its_own_retry_count() {
    let t = Table::from_spec("linux").unwrap();
    let cfg = Config {
        syn_retries: Some(1),
        max_retransmits: 5,
        ..cfg()
    };
    let mut a = Tcb::new();
    let env = model::endpoint::Env { now: 0, iss: ISS_A };
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env);
    let timeout = Input::Timeout(model::table::Timer::Retransmit);
    assert_eq!(
        a.step(&t, &cfg, timeout, env).event,
        Event::RetransmitTimeout
    );
    assert_eq!(a.step(&t, &cfg, timeout, env).event, Event::UserTimeout);
    assert_eq!(a.state, State::Closed);
}
