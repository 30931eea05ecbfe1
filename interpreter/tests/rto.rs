//! The RTO follows measured round trips (RFC 6298; Linux's estimator under `--profile
//! linux`): Karn's algorithm, timestamp samples (RFC 7323 §4, with packetdrill's mapping
//! of an injected TSecr to the TSval sent), and what the handshake leaves (§5.7).
//! `tests/scripts/rto-from-rtt.pkt` and `tests/scripts/linux/rto-from-rtt.pkt` show the
//! plain cases.

mod common;

use common::assert_passes;

/// Asserts the script fails (strict).
#[track_caller]
fn assert_fails(script: &str) {
    common::assert_fails(script, true);
}

const LISTEN: &str =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n";

#[test]
fn under_rfc9293_a_short_round_trip_leaves_the_rto_at_its_1_s_minimum() {
    // 3 x 100 ms is under RFC 6298 (2.4)'s 1 s.
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 1\n+.1 < . 1:1(0) ack 1 win 65535\n\
         +0 accept(3, ..., ...) = 4\n+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +1 > P. 1:11(10) ack 1\n"
    );
    assert_passes(&s);
}

#[test]
fn under_linux_a_short_round_trip_gives_srtt_plus_the_200_ms_minimum() {
    // 10 ms: rttvar is TCP_RTO_MIN, so RTO = 10 + 200 ms, in 4 ms jiffies: 212 ms.
    let s = format!(
        "--profile=linux\n{LISTEN}+0 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1\n\
         +.01 < . 1:1(0) ack 1 win 65535\n+0 accept(3, ..., ...) = 4\n\
         +0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n+.212 > P. 1:11(10) ack 1\n\
         +.424 > P. 1:11(10) ack 1\n"
    );
    assert_passes(&s);
}

/// A passive open whose SYN,ACK is sent twice; the ACK comes 100 ms after the second,
/// echoing `ecr` when `Some` (the script's TSval of the second SYN,ACK is 2000).
fn syn_ack_sent_twice(profile: &str, ecr: Option<u32>) -> String {
    let (syn_opts, synack_1, synack_2, ack_opts, data_opts) = match ecr {
        Some(e) => (
            " <mss 1460,TS val 1 ecr 0>",
            " <mss 1460,TS val 1000 ecr 1>",
            " <mss 1460,TS val 2000 ecr 1>",
            format!(" <nop,nop,TS val 2 ecr {e}>"),
            " <nop,nop,TS val 3000 ecr 2>",
        ),
        None => (
            " <mss 1460>",
            " <mss 1460>",
            " <mss 1460>",
            String::new(),
            "",
        ),
    };
    format!(
        "--profile={profile}\n{LISTEN}+0 < S 0:0(0) win 65535{syn_opts}\n\
         +0 > S. 0:0(0) ack 1{synack_1}\n+1 > S. 0:0(0) ack 1{synack_2}\n\
         +.1 < . 1:1(0) ack 1 win 65535{ack_opts}\n+0 accept(3, ..., ...) = 4\n\
         +0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1{data_opts}\n"
    )
}

#[test]
fn under_linux_a_retransmitted_syn_ack_without_timestamps_leaves_a_3_s_rto() {
    // Karn: no sample from the ACK of a retransmitted SYN,ACK; tcp_init_metrics() then
    // sets TCP_TIMEOUT_FALLBACK (RFC 6298 §5.7).
    let s = syn_ack_sent_twice("linux", None);
    assert_passes(&format!("{s}+3 > P. 1:11(10) ack 1\n"));
    assert_fails(&format!("{s}+1 > P. 1:11(10) ack 1\n"));
}

#[test]
fn under_linux_a_timestamp_echo_times_a_retransmitted_syn_ack() {
    // The ACK echoes the second SYN,ACK's TSval: an unambiguous 100 ms sample (RFC 7323
    // §4; tcp_ack_update_rtt() falls back to the TSecr), so the RTO is 300 ms.
    let s = syn_ack_sent_twice("linux", Some(2000));
    assert_passes(&format!(
        "{s}+.3 > P. 1:11(10) ack 1 <nop,nop,TS val 4000 ecr 2>\n"
    ));
    // Echoing the first SYN,ACK's TSval, the round trip is 1.1 s: RTO 3.3 s.
    let s = syn_ack_sent_twice("linux", Some(1000));
    assert_passes(&format!(
        "{s}+3.3 > P. 1:11(10) ack 1 <nop,nop,TS val 4000 ecr 2>\n"
    ));
}

#[test]
fn under_linux_a_retransmitted_syn_without_timestamps_leaves_a_3_s_rto() {
    // The SYN is retransmitted at the initial RTO (no backoff yet: tcp_syn_linear_timeouts);
    // the SYN,ACK gives no sample (Karn) and no timestamps: 3 s (tcp_init_metrics()).
    let s = "--profile=linux\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
             +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
             +0 > S 0:0(0)\n+1 > S 0:0(0)\n+1 > S 0:0(0)\n\
             +.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>\n+0 > . 1:1(0) ack 1\n\
             +0 write(3, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n+3 > P. 1:11(10) ack 1\n";
    assert_passes(s);
}

#[test]
fn under_rfc9293_a_timestamp_echo_times_a_retransmitted_segment() {
    // Timestamps on (--syn_options=linux). Handshake round trip 500 ms: RTO 1.5 s. The
    // text is retransmitted (RTO backed off to 3 s) and its ACK, 700 ms later, echoes the
    // retransmission's TSval: a sample despite Karn (RFC 7323 §4): SRTT = 7/8 500 + 1/8
    // 700 = 525 ms, RTTVAR = 3/4 250 + 1/4 200 = 237.5 ms, RTO = 525 + 950 = 1.475 s.
    let head = format!(
        "--syn_options=linux\n{LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,TS val 1 ecr 0>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,TS val 1000 ecr 1>\n\
         +.5 < . 1:1(0) ack 1 win 65535 <nop,nop,TS val 2 ecr 1000>\n\
         +0 accept(3, ..., ...) = 4\n+0 write(4, ..., 10) = 10\n\
         +0 > P. 1:11(10) ack 1 <nop,nop,TS val 2000 ecr 2>\n\
         +1.5 > P. 1:11(10) ack 1 <nop,nop,TS val 3000 ecr 2>\n"
    );
    let tail = "+0 write(4, ..., 10) = 10\n+0 > P. 11:21(10) ack 1 <nop,nop,TS val 4000 ecr 3>\n";
    let echoing = |ecr: u32| {
        format!("{head}+.7 < . 1:1(0) ack 11 win 65535 <nop,nop,TS val 3 ecr {ecr}>\n{tail}")
    };
    assert_passes(&format!(
        "{}+1.475 > P. 11:21(10) ack 1 <nop,nop,TS val 5000 ecr 3>\n",
        echoing(3000)
    ));
    // An ACK echoing the first transmission's TSval times it from there: 2.2 s.
    // SRTT = 7/8 500 + 1/8 2200 = 712.5 ms, RTTVAR = 3/4 250 + 1/4 1700 = 612.5 ms.
    assert_passes(&format!(
        "{}+3.1625 > P. 11:21(10) ack 1 <nop,nop,TS val 5000 ecr 3>\n",
        echoing(2000)
    ));
}

#[test]
fn under_rfc9293_an_ack_of_a_retransmission_without_timestamps_keeps_the_backoff() {
    // Karn (RFC 6298 §3 and §5): no sample, so the RTO stays backed off (2 s) for the
    // next segment, where a fixed RTO would have gone back to 1 s.
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 1\n+.1 < . 1:1(0) ack 1 win 65535\n\
         +0 accept(3, ..., ...) = 4\n+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +1 > P. 1:11(10) ack 1\n+.1 < . 1:1(0) ack 11 win 65535\n\
         +0 write(4, ..., 10) = 10\n+0 > P. 11:21(10) ack 1\n+2 > P. 11:21(10) ack 1\n"
    );
    assert_passes(&s);
}

/// A passive open under Linux with SACK on (no timestamps), the handshake's round trip
/// `rtt`, then `write(4, ..., n)`.
fn linux_sack(rtt: &str, n: u32) -> String {
    format!(
        "--profile=linux\n{LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,sackOK>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>\n+{rtt} < . 1:1(0) ack 1 win 65535\n\
         +0 accept(3, ..., ...) = 4\n+0 write(4, ..., {n}) = {n}\n"
    )
}

#[test]
fn under_linux_a_tail_loss_probe_comes_2_srtt_plus_rto_min_after_a_lone_segment() {
    // RTT 400 ms: RTO 1.2 s; one segment out: PTO = 2 x 400 + 200 ms = 1 s. The probe
    // resends it; the RTO then runs from the probe, not backed off (1.2 s), then 2.4 s.
    let s = format!(
        "{}+0 > P. 1:11(10) ack 1\n+1 > P. 1:11(10) ack 1\n+1.2 > P. 1:11(10) ack 1\n\
         +2.4 > P. 1:11(10) ack 1\n",
        linux_sack(".4", 10)
    );
    assert_passes(&s);
}

#[test]
fn under_linux_a_tail_loss_probe_resends_the_last_segment_and_the_rto_the_first() {
    // RTT 100 ms: RTO 300 ms; three segments out: PTO = 2 x 100 + 2 ms, in 4 ms jiffies
    // 204 ms, and it resends the last segment; 300 ms later the RTO resends the first
    // (PSH on every segment under linux: `push_every_segment`).
    let s = format!(
        "{}+0 > P. 1:3001(3000) ack 1\n+.204 > P. 2921:3001(80) ack 1\n\
         +.3 > P. 1:1461(1460) ack 1\n+.6 > P. 1:1461(1460) ack 1\n",
        linux_sack(".1", 3000)
    );
    assert_passes(&s);
}

#[test]
fn under_linux_no_tail_loss_probe_comes_later_than_the_rto() {
    // RTT 100 ms, one segment: PTO 2 x 100 + 200 = 400 ms, but the RTO is 300 ms: the
    // probe goes at 300 ms (tcp_schedule_loss_probe()'s rto_delta), then the RTO 300 ms
    // after it, then 600 ms (as packetdrill's user_timeout/user_timeout.pkt expects).
    let s = format!(
        "{}+0 > P. 1:11(10) ack 1\n+.3 > P. 1:11(10) ack 1\n+.3 > P. 1:11(10) ack 1\n\
         +.6 > P. 1:11(10) ack 1\n",
        linux_sack(".1", 10)
    );
    assert_passes(&s);
}

#[test]
fn under_linux_a_probe_acknowledged_ends_the_episode_and_the_next_tail_gets_one() {
    // The probe (at 1 s) is acknowledged; new text then gets its own probe. RTT 400 ms:
    // the ACK of the probed segment is ambiguous (Karn), so the RTO stays 1.2 s and PTO
    // is still 1 s.
    let s = format!(
        "{}+0 > P. 1:11(10) ack 1\n+1 > P. 1:11(10) ack 1\n+.1 < . 1:1(0) ack 11 win 65535\n\
         +0 write(4, ..., 10) = 10\n+0 > P. 11:21(10) ack 1\n+1 > P. 11:21(10) ack 1\n",
        linux_sack(".4", 10)
    );
    assert_passes(&s);
}

#[test]
fn under_rfc9293_there_is_no_tail_loss_probe() {
    // SACK on, but RFC 9293's endpoint has no probe: the RTO (1.2 s from 400 ms) only.
    let s = format!(
        "--syn_options=linux\n{LISTEN}+0 < S 0:0(0) win 65535 <mss 1460,sackOK>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,sackOK>\n+.4 < . 1:1(0) ack 1 win 65535\n\
         +0 accept(3, ..., ...) = 4\n+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +1.2 > P. 1:11(10) ack 1\n"
    );
    assert_passes(&s);
}
