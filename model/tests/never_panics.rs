//! `step` is total: whatever state an endpoint is in and whatever arrives (any segment,
//! call or timer, in any order, at any time, in any sequence space), it looks a row up and
//! applies it without panicking, and the TCB stays consistent.

use model::endpoint::Env;
use model::table::{State, Timer};
use model::{Config, Flags, Input, PROFILES, Profile, Segment, SeqSpace, Table, Tcb, UserCall};
use proptest::prelude::*;

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u32>(),
            0u8..32,
            any::<u32>(),
            0u32..3000,
            (
                prop::option::of(any::<u8>()),
                any::<bool>(),
                prop::option::of((any::<u32>(), any::<u32>()))
            )
        )
            .prop_map(
                |(seq, ack, bits, wnd, len, (wscale, sack_permitted, timestamps))| Input::Segment(
                    Segment {
                        seq,
                        ack,
                        flags: Flags::from_bits(bits),
                        wnd,
                        len,
                        opts: model::TcpOptions {
                            mss: None,
                            wscale,
                            sack_permitted,
                            timestamps,
                            sack: model::SackBlocks::NONE,
                        },
                    }
                )
            ),
        prop_oneof![
            Just(UserCall::PassiveOpen),
            Just(UserCall::ActiveOpen),
            any::<u32>().prop_map(UserCall::Send),
            any::<u32>().prop_map(UserCall::Receive),
            Just(UserCall::Close),
            Just(UserCall::Shutdown),
            Just(UserCall::Abort),
        ]
        .prop_map(Input::Call),
        prop_oneof![
            Just(Timer::Retransmit),
            Just(Timer::TimeWait),
            Just(Timer::FinWait2)
        ]
        .prop_map(Input::Timeout),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_sequence_of_inputs_is_handled(
        inputs in prop::collection::vec((input(), any::<u32>(), 0u64..1_000_000), 1..60),
        modulus in prop_oneof![Just(1u64 << 32), 4u64..64],
        profile in 0..PROFILES.len(),
        window in 0u32..5000,
    ) {
        let p: &Profile = &PROFILES[profile];
        let table = Table::from_spec(p.name).unwrap();
        let cfg = Config {
            space: SeqSpace::new(modulus).unwrap(),
            rcv_buf: window,
            syn_options: if profile % 2 == 0 { model::SynOptions::LINUX } else { model::SynOptions::MSS_ONLY },
            hold_out_of_order: profile % 3 != 0,
            dsack: profile % 2 == 0,
            ..Config::default()
        };
        let mut tcb = Tcb::new();
        let mut now = 0u64;
        for (input, iss, dt) in inputs {
            now += dt;
            let iss = cfg.space.wrap(iss as u64);
            let input = match input {
                Input::Segment(mut s) => {
                    s.seq = cfg.space.wrap(s.seq as u64);
                    s.ack = cfg.space.wrap(s.ack as u64);
                    Input::Segment(s)
                }
                other => other,
            };
            let o = tcb.step(&table, &cfg, input, Env { now, iss });
            prop_assert_eq!(o.to, tcb.state);
            let row = table.row(o.row);
            prop_assert_eq!((row.from, row.event), (o.from, o.event));
            if tcb.state != State::Closed {
                // Text moves between the window and the receive queue, never out of both.
                prop_assert_eq!(tcb.recv_queue + tcb.rcv_wnd, window);
            }
            for s in &o.segments {
                prop_assert!((s.seq as u64) < modulus && (s.ack as u64) < modulus);
                prop_assert!(s.opts.sack.as_slice().len() <= 4);
            }
        }
    }
}
