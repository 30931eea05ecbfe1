//! Round-trip time measurement and the retransmission timeout: RFC 6298's estimator, or
//! Linux's (`tcp_rtt_estimator()`, `tcp_set_rto()`), with Karn's algorithm (RFC 6298 §3)
//! and timestamp samples (RFC 7323 §4).
//!
//! Pure, like the endpoint: times are ticks the caller passes in. The endpoint keeps an
//! [`Rtt`] in its TCB and uses it only when [`crate::Config::rtt`] is set; the model
//! checker leaves it off (its ticks are abstract), and its RTO is then the fixed
//! [`crate::Config::rto`], backed off per retransmission.

use crate::seq::SeqSpace;
use serde::Serialize;
use std::collections::VecDeque;

/// How a round-trip sample moves the RTO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// RFC 6298 §2: SRTT and RTTVAR with gains 1/8 and 1/4, RTO = SRTT + max(G,
    /// 4·RTTVAR), then raised to the minimum (§2.4) and lowered to the maximum (§2.5).
    Rfc6298,
    /// Linux's `tcp_rtt_estimator()` and `tcp_set_rto()`: the same gains, but a sample
    /// below SRTT moves the deviation by 1/32 only, the deviation term is the largest
    /// seen in the last round trip, decaying by 1/4 a round trip, and never below the
    /// minimum (`tcp_rto_min_us()`), so RTO = SRTT + max(rttvar, RTO minimum), rounded up
    /// to a jiffy (`usecs_to_jiffies()`) and at most the maximum (`tcp_bound_rto()`).
    Linux,
}

/// What the handshake leaves the RTO at when it gave no good sample (RFC 6298 §5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynFallback {
    /// Nothing: the RTO is what the samples (or the backoff) made it.
    Off,
    /// RFC 6298 §5.7: the timer expired awaiting the ACK of our SYN (or SYN,ACK), so
    /// the RTO is re-initialized to the fallback when data transmission begins.
    SynRetransmitted,
    /// Linux's `tcp_init_metrics()`: the handshake gave no RTT sample (it was
    /// retransmitted and no timestamp told the round trip), so the RTO is the fallback
    /// (`TCP_TIMEOUT_FALLBACK`) and the deviation with it.
    NoSample,
}

/// The parameters the estimator reads, in ticks (from [`crate::Config`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Which estimator.
    pub estimator: Estimator,
    /// RFC 6298's G, the clock granularity: the least the variance term adds (RFC); the
    /// unit the RTO is rounded up to (Linux's jiffy).
    pub granularity: u64,
    /// The least RTO (RFC 6298 §2.4), or Linux's least deviation term (`TCP_RTO_MIN`).
    pub rto_min: u64,
    /// The largest RTO, backed off or not (RFC 6298 §2.5, Linux `TCP_RTO_MAX`).
    pub rto_max: u64,
}

/// A segment sent and not yet acknowledged: what a sample needs of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Sent {
    /// Its first sequence number.
    pub start: u32,
    /// The sequence number after it (SYN and FIN count one).
    pub end: u32,
    /// When it was first sent.
    pub at: u64,
    /// When it was last sent (Linux's skb timestamp, which a retransmission renews).
    pub last: u64,
    /// It was sent again: an ACK of it is ambiguous (Karn, RFC 6298 §3).
    pub retransmitted: bool,
    /// It is our SYN (or SYN,ACK).
    pub syn: bool,
}

/// The most segments kept for timing; past this a new one is merged into the last (its
/// sample then times from the earlier send, which can only overestimate).
pub const MAX_SENT: usize = 1_024;

/// What an acknowledgment that advanced SND.UNA tells the estimator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Acked {
    /// The round trip of the oldest segment it acknowledges in full, when none of those
    /// was retransmitted (Linux `tcp_clean_rtx_queue()`: `seq_rtt_us` from `first_ackt`).
    pub sample: Option<u64>,
    /// When the oldest segment it acknowledges in full was sent.
    pub oldest: Option<u64>,
    /// It acknowledges our SYN: `Some(true)` if the SYN was retransmitted.
    pub syn: Option<bool>,
}

/// The estimator's state (RFC 6298 §2, Linux's `tcp_sock`), in ticks, scaled as Linux
/// scales it so that small gains lose nothing: `srtt8` is 8·SRTT, `mdev4` and `rttvar4`
/// 4·RTTVAR.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Rtt {
    /// 8·SRTT; 0 until the first sample (Linux `srtt_us`).
    pub srtt8: u64,
    /// 4·RTTVAR (RFC); the smoothed mean deviation (Linux `mdev_us`).
    pub mdev4: u64,
    /// Linux `mdev_max_us`: the largest `mdev4` in the current round trip.
    pub mdev_max4: u64,
    /// Linux `rttvar_us`: the deviation term of the RTO (never below the RTO minimum).
    pub rttvar4: u64,
    /// Linux `rtt_seq`: SND.NXT when the current round trip began.
    pub rtt_seq: u32,
    /// The RTO in force, backed off or not (Linux `icsk_rto`); 0 until set, meaning the
    /// initial RTO ([`crate::Config::rto`], RFC 6298 §2.1).
    pub rto: u64,
    /// Segments sent and not yet acknowledged, oldest first.
    pub sent: VecDeque<Sent>,
    /// The retransmission timer is a tail loss probe's (Linux `ICSK_TIME_LOSS_PROBE`,
    /// which shares the timer with the RTO).
    pub probe: bool,
    /// SND.NXT when the last probe went, until it is acknowledged: one probe per tail
    /// loss episode (Linux `tlp_high_seq`, RFC 8985 §7.3).
    pub probe_high: Option<u32>,
    /// SND.NXT at the last RTO, until it is acknowledged: loss recovery, where no probe
    /// is scheduled (Linux `high_seq` in `TCP_CA_Loss`).
    pub recovery: Option<u32>,
}

/// Leaves nothing to hash: the model checker never measures, and keeps its states as
/// they were (see [`crate::Tcb::rtt`]).
impl std::hash::Hash for Rtt {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Rtt {
    /// The RTO in force, `initial` before any was set.
    pub fn rto(&self, initial: u64) -> u64 {
        if self.rto == 0 { initial } else { self.rto }
    }

    /// SRTT, once there is a sample.
    pub fn srtt(&self) -> Option<u64> {
        (self.srtt8 != 0).then_some(self.srtt8 / 8)
    }

    /// A new segment `[start, end)` goes out at `now`.
    pub fn sent(&mut self, start: u32, end: u32, now: u64, syn: bool) {
        if self.sent.len() >= MAX_SENT
            && let Some(last) = self.sent.back_mut()
        {
            last.end = end;
            return;
        }
        self.sent.push_back(Sent {
            start,
            end,
            at: now,
            last: now,
            retransmitted: false,
            syn,
        });
    }

    /// Our SYN is sent again as the SYN,ACK of a simultaneous open: Linux's
    /// `tcp_send_synack()` transmits the SYN's own buffer again, which restarts its
    /// timing rather than marking it retransmitted.
    pub fn syn_resent_as_syn_ack(&mut self, now: u64) {
        if let Some(s) = self.sent.iter_mut().find(|s| s.syn) {
            s.at = now;
            s.last = now;
        }
    }

    /// `[start, start + len)` is retransmitted at `now`: every segment it overlaps is
    /// ambiguous (Karn, RFC 6298 §3; Linux `TCPCB_RETRANS`).
    pub fn retransmitted(&mut self, sp: SeqSpace, start: u32, len: u32, now: u64) {
        let end = sp.add(start, len.max(1));
        for s in &mut self.sent {
            if sp.lt(s.start, end) && sp.lt(start, s.end) {
                s.retransmitted = true;
                s.last = now;
            }
        }
    }

    /// SND.UNA moved to `una` at `now`: drop what it acknowledges in full, and say what
    /// that tells (Linux `tcp_clean_rtx_queue()`: a segment acknowledged in part stays,
    /// and gives no sample).
    pub fn acked(&mut self, sp: SeqSpace, una: u32, now: u64) -> Acked {
        let mut out = Acked::default();
        let mut ambiguous = false;
        while let Some(s) = self.sent.front().copied() {
            if sp.lt(una, s.end) {
                break;
            }
            self.sent.pop_front();
            if out.oldest.is_none() {
                out.oldest = Some(s.at);
            }
            ambiguous |= s.retransmitted;
            if s.syn {
                out.syn = Some(s.retransmitted);
            }
        }
        if !ambiguous {
            out.sample = out.oldest.map(|at| now.saturating_sub(at));
        }
        out
    }

    /// A round-trip sample `r`: update the estimate and set the RTO from it (which ends
    /// any backoff: RFC 6298 §5, after (5.7); Linux `tcp_ack_update_rtt()`).
    pub fn sample(&mut self, p: &Params, r: u64, snd_una: u32, snd_nxt: u32, sp: SeqSpace) {
        match p.estimator {
            Estimator::Rfc6298 => self.sample_rfc6298(p, r),
            Estimator::Linux => self.sample_linux(p, r, snd_una, snd_nxt, sp),
        }
    }

    /// RFC 6298 §2.2–2.5.
    fn sample_rfc6298(&mut self, p: &Params, r: u64) {
        if self.srtt8 == 0 {
            // (2.2) SRTT <- R, RTTVAR <- R/2.
            self.srtt8 = r.saturating_mul(8).max(1);
            self.mdev4 = r.saturating_mul(2);
        } else {
            // (2.3) RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R| (with the old SRTT), then
            // SRTT <- 7/8 SRTT + 1/8 R.
            let delta = self.srtt8.abs_diff(r.saturating_mul(8)) / 8;
            self.mdev4 = self.mdev4 - self.mdev4 / 4 + delta;
            self.srtt8 = (self.srtt8 - self.srtt8 / 8).saturating_add(r).max(1);
        }
        self.rttvar4 = self.mdev4;
        // RTO <- SRTT + max(G, K*RTTVAR), K = 4; (2.4) at least the minimum; (2.5) at
        // most the maximum.
        let rto = (self.srtt8 / 8).saturating_add(p.granularity.max(self.mdev4));
        self.rto = rto.max(p.rto_min).min(p.rto_max).max(1);
    }

    /// Linux `tcp_rtt_estimator()` then `tcp_set_rto()` (net/ipv4/tcp_input.c).
    fn sample_linux(&mut self, p: &Params, r: u64, snd_una: u32, snd_nxt: u32, sp: SeqSpace) {
        let r = r.min(i64::MAX as u64 / 16) as i64;
        let min = p.rto_min;
        if self.srtt8 != 0 {
            let mut m = r - (self.srtt8 >> 3) as i64; // the error in the estimate
            self.srtt8 = (self.srtt8 as i64 + m).max(1) as u64; // srtt = 7/8 srtt + 1/8 m
            let mdev = self.mdev4 as i64;
            if m < 0 {
                // A smaller round trip: the deviation grows by 1/32 of the error only.
                m = -m - (mdev >> 2);
                if m > 0 {
                    m >>= 3;
                }
            } else {
                m -= mdev >> 2;
            }
            self.mdev4 = (mdev + m).max(0) as u64; // mdev = 3/4 mdev + 1/4 |error|
            if self.mdev4 > self.mdev_max4 {
                self.mdev_max4 = self.mdev4;
                self.rttvar4 = self.rttvar4.max(self.mdev_max4);
            }
            // Once a round trip: rttvar decays by 1/4 towards the round trip's largest
            // deviation, which starts again from the minimum.
            if sp.lt(self.rtt_seq, snd_una) {
                if self.mdev_max4 < self.rttvar4 {
                    self.rttvar4 -= (self.rttvar4 - self.mdev_max4) >> 2;
                }
                self.rtt_seq = snd_nxt;
                self.mdev_max4 = min;
            }
        } else {
            // The first sample: srtt = m, mdev = 2m "to make sure rto = 3*rtt".
            self.srtt8 = ((r as u64) << 3).max(1);
            self.mdev4 = (r as u64) << 1;
            self.rttvar4 = self.mdev4.max(min);
            self.mdev_max4 = self.rttvar4;
            self.rtt_seq = snd_nxt;
        }
        // __tcp_set_rto(): srtt + rttvar, in whole jiffies; tcp_bound_rto().
        let rto = (self.srtt8 >> 3).saturating_add(self.rttvar4);
        let g = p.granularity.max(1);
        self.rto = rto.div_ceil(g).saturating_mul(g).min(p.rto_max).max(1);
    }

    /// The retransmission timer expired: RFC 6298 (5.5) RTO <- RTO * 2, at most the
    /// maximum (Linux `tcp_retransmit_timer()`: `icsk_rto << 1`, `TCP_RTO_MAX`).
    pub fn back_off(&mut self, initial: u64, max: u64) {
        self.rto = self.rto(initial).saturating_mul(2).min(max).max(1);
    }

    /// The handshake is over with no sample to set the RTO from, or a retransmitted SYN
    /// (RFC 6298 §5.7; Linux `tcp_init_metrics()`): the RTO becomes `fallback`, and under
    /// Linux so does the deviation (`rttvar_us`, `mdev_us`, `mdev_max_us`).
    pub fn fall_back(&mut self, fallback: u64) {
        self.rto = fallback.max(1);
        if self.srtt8 == 0 {
            self.mdev4 = fallback;
            self.mdev_max4 = fallback;
            self.rttvar4 = fallback;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000; // ticks are microseconds here, as in the interpreter
    const SP: SeqSpace = SeqSpace::TCP;

    fn rfc() -> Params {
        Params {
            estimator: Estimator::Rfc6298,
            granularity: MS,
            rto_min: 1_000 * MS,
            rto_max: 60_000 * MS,
        }
    }

    fn linux() -> Params {
        Params {
            estimator: Estimator::Linux,
            granularity: 4 * MS,
            rto_min: 200 * MS,
            rto_max: 120_000 * MS,
        }
    }

    #[test]
    fn the_first_sample_sets_srtt_to_r_and_rttvar_to_half_of_it() {
        let mut r = Rtt::default();
        // RFC 6298 (2.2): R = 500 ms gives SRTT 500 ms, RTTVAR 250 ms, RTO 500 + 4·250.
        r.sample(&rfc(), 500 * MS, 1, 1, SP);
        assert_eq!(r.srtt(), Some(500 * MS));
        assert_eq!(r.mdev4, 4 * 250 * MS);
        assert_eq!(r.rto, 1_500 * MS);
    }

    #[test]
    fn the_rfc_rto_is_raised_to_its_one_second_minimum() {
        let mut r = Rtt::default();
        // 3·100 ms is under RFC 6298 (2.4)'s 1 s.
        r.sample(&rfc(), 100 * MS, 1, 1, SP);
        assert_eq!(r.srtt(), Some(100 * MS));
        assert_eq!(r.rto, 1_000 * MS);
    }

    #[test]
    fn the_rfc_rto_is_lowered_to_its_maximum() {
        let mut r = Rtt::default();
        r.sample(&rfc(), 50_000 * MS, 1, 1, SP);
        assert_eq!(r.rto, 60_000 * MS);
    }

    #[test]
    fn later_samples_move_srtt_by_an_eighth_and_rttvar_by_a_quarter() {
        let mut r = Rtt::default();
        r.sample(&rfc(), 800 * MS, 1, 1, SP); // SRTT 800, RTTVAR 400
        r.sample(&rfc(), 400 * MS, 1, 1, SP);
        // RTTVAR = 3/4·400 + 1/4·|800 − 400| = 400; SRTT = 7/8·800 + 1/8·400 = 750.
        assert_eq!(r.srtt(), Some(750 * MS));
        assert_eq!(r.mdev4, 4 * 400 * MS);
        assert_eq!(r.rto, (750 + 1_600) * MS);
        r.sample(&rfc(), 750 * MS, 1, 1, SP);
        // RTTVAR = 3/4·400 + 0 = 300; SRTT stays 750.
        assert_eq!(r.srtt(), Some(750 * MS));
        assert_eq!(r.mdev4, 4 * 300 * MS);
        assert_eq!(r.rto, (750 + 1_200) * MS);
    }

    #[test]
    fn the_rfc_variance_term_is_at_least_the_clock_granularity() {
        let mut r = Rtt {
            srtt8: 8 * 2_000 * MS,
            mdev4: 0,
            ..Rtt::default()
        };
        r.sample(&rfc(), 2_000 * MS, 1, 1, SP);
        assert_eq!(r.rto, 2_000 * MS + MS);
    }

    #[test]
    fn linux_first_sample_gives_rtt_plus_the_larger_of_2rtt_and_rto_min() {
        // 100 ms: srtt 100, mdev 200, rttvar max(200, 200): RTO 300 ms.
        let mut r = Rtt::default();
        r.sample(&linux(), 100 * MS, 1, 1, SP);
        assert_eq!(r.rto, 300 * MS);
        // 10 ms: rttvar is the 200 ms minimum: RTO 210 ms (tcp_rto_min_us()).
        let mut r = Rtt::default();
        r.sample(&linux(), 10 * MS, 1, 1, SP);
        assert_eq!(r.rto, 212 * MS, "210 ms rounded up to a 4 ms jiffy");
        // 1 s: 3 s.
        let mut r = Rtt::default();
        r.sample(&linux(), 1_000 * MS, 1, 1, SP);
        assert_eq!(r.rto, 3_000 * MS);
    }

    #[test]
    fn linux_a_smaller_sample_moves_the_deviation_by_a_thirty_second() {
        let mut r = Rtt::default();
        r.sample(&linux(), 400 * MS, 1, 11, SP); // srtt 400, mdev 800 (4·200)
        r.sample(&linux(), 80 * MS, 5, 11, SP);
        // error −320: srtt 360; |error| − mdev/4 = 320 − 200 = 120, /8 = 15: mdev 815.
        assert_eq!(r.srtt(), Some(360 * MS));
        assert_eq!(r.mdev4, 815 * MS);
        // A larger one moves it by a quarter: error 440 − 360 = 80; 80 − 815/4 < 0.
        r.sample(&linux(), 440 * MS, 5, 11, SP);
        assert_eq!(r.srtt(), Some(370 * MS));
        assert_eq!(r.mdev4, 815 * MS + 80 * MS - 815 * MS / 4);
    }

    #[test]
    fn linux_rttvar_keeps_the_round_trips_largest_deviation_then_decays() {
        let mut r = Rtt::default();
        r.sample(&linux(), 400 * MS, 1, 11, SP); // rttvar 800, round trip ends at 11
        // Within the round trip (SND.UNA 5 is not past 11): a steady sample lowers mdev
        // but not rttvar.
        r.sample(&linux(), 400 * MS, 5, 11, SP);
        assert_eq!(r.mdev4, 600 * MS);
        assert_eq!(r.rttvar4, 800 * MS);
        assert_eq!(r.rto, 1_200 * MS);
        // SND.UNA past 11: rttvar decays by a quarter towards the round trip's largest
        // (800: mdev_max started at the first sample's rttvar), so stays; mdev_max is
        // reset to the 200 ms minimum.
        r.sample(&linux(), 400 * MS, 12, 21, SP);
        assert_eq!(r.mdev4, 450 * MS);
        assert_eq!(r.rttvar4, 800 * MS);
        assert_eq!(r.mdev_max4, 200 * MS);
        // Next round trip: mdev_max grows to 337.5 ms, rttvar decays by a quarter of the
        // gap: 800 − (800 − 337.5)/4.
        r.sample(&linux(), 400 * MS, 22, 31, SP);
        assert_eq!(r.mdev4, 337_500);
        assert_eq!(r.rttvar4, 800 * MS - (800 * MS - 337_500) / 4);
        assert_eq!(r.rto, (400 * MS + r.rttvar4).div_ceil(4 * MS) * 4 * MS);
    }

    #[test]
    fn backoff_doubles_the_rto_up_to_the_maximum() {
        let mut r = Rtt::default();
        r.back_off(1_000, 60_000);
        assert_eq!(r.rto(1_000), 2_000);
        for _ in 0..10 {
            r.back_off(1_000, 60_000);
        }
        assert_eq!(r.rto(1_000), 60_000);
        // A sample ends the backoff.
        r.sample(&rfc(), 100 * MS, 1, 1, SP);
        assert_eq!(r.rto, 1_000 * MS);
    }

    #[test]
    fn karn_no_sample_from_an_ack_of_a_retransmitted_segment() {
        let mut r = Rtt::default();
        r.sent(1, 101, 0, false);
        r.sent(101, 201, 10, false);
        r.retransmitted(SP, 1, 100, 50);
        let a = r.acked(SP, 201, 500);
        assert_eq!(a.sample, None);
        assert_eq!(a.oldest, Some(0));
        assert!(r.sent.is_empty());
    }

    #[test]
    fn a_sample_times_the_oldest_segment_acknowledged_in_full() {
        let mut r = Rtt::default();
        r.sent(1, 101, 0, false);
        r.sent(101, 201, 10, false);
        r.sent(201, 301, 20, false);
        // In part: nothing.
        assert_eq!(r.acked(SP, 50, 90), Acked::default());
        // 1..201 in full: timed from the first, sent at 0.
        let a = r.acked(SP, 201, 100);
        assert_eq!(a.sample, Some(100));
        assert_eq!(r.sent.len(), 1);
    }

    #[test]
    fn a_syn_sent_again_is_ambiguous_and_its_ack_says_so() {
        let mut r = Rtt::default();
        r.sent(7, 8, 0, true);
        r.retransmitted(SP, 7, 1, 1_000);
        let a = r.acked(SP, 8, 1_100);
        assert_eq!(a.syn, Some(true));
        assert_eq!(a.sample, None);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut r = Rtt::default();
        r.sent(u32::MAX - 9, 10, 0, false);
        assert_eq!(r.acked(SP, 5, 10).sample, None);
        assert_eq!(r.acked(SP, 10, 40).sample, Some(40));
    }

    #[test]
    fn the_fallback_sets_the_rto_and_linux_deviation() {
        let mut r = Rtt::default();
        r.fall_back(3_000 * MS);
        assert_eq!(r.rto, 3_000 * MS);
        assert_eq!(r.rttvar4, 3_000 * MS);
        // The next sample is still the first.
        r.sample(&linux(), 100 * MS, 1, 1, SP);
        assert_eq!(r.rto, 300 * MS);
    }
}
