//! IPv4 and TCP segments on the wire, built and parsed with etherparse: the model's
//! [`Segment`] (sequence numbers, flags, window, text length, options) plus addresses and
//! ports. Pure: no I/O, no panics on any input.

use etherparse::{IpNumber, Ipv4Header, TcpHeader, TcpOptionElement};
use model::{Flags, SackBlocks, Segment, TcpOptions};
use std::net::Ipv4Addr;

/// One end of a connection: address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Addr {
    /// IPv4 address.
    pub ip: Ipv4Addr,
    /// TCP port.
    pub port: u16,
}

/// A TCP option, in the order it goes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    /// No-operation (padding).
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift count.
    WScale(u8),
    /// SACK permitted.
    SackOk,
    /// Timestamps: TSval, TSecr.
    Ts(u32, u32),
    /// SACK blocks (RFC 2018 §3).
    Sack(SackBlocks),
}

/// The options of `tcp` in the order a script wrote them (`names`: `mss`, `nop`,
/// `sackOK`, `TS`, `wscale`, `sack`; others are skipped), or, when the script wrote none of
/// them, in Linux's order (mss, sackOK, TS, nop, wscale).
pub fn options_in_order(names: &[String], tcp: &TcpOptions) -> Vec<Opt> {
    let mut out = Vec::new();
    for name in names {
        let o = match name.as_str() {
            "nop" => Some(Opt::Nop),
            "mss" => tcp.mss.map(Opt::Mss),
            "wscale" => tcp.wscale.map(Opt::WScale),
            "sackOK" => tcp.sack_permitted.then_some(Opt::SackOk),
            "TS" => tcp.timestamps.map(|(v, e)| Opt::Ts(v, e)),
            "sack" => (!tcp.sack.is_empty()).then_some(Opt::Sack(tcp.sack)),
            _ => None,
        };
        out.extend(o);
    }
    if out.iter().all(|o| *o == Opt::Nop) {
        out.clear();
        out.extend(tcp.mss.map(Opt::Mss));
        if tcp.sack_permitted {
            out.push(Opt::SackOk);
        }
        out.extend(tcp.timestamps.map(|(v, e)| Opt::Ts(v, e)));
        if let Some(w) = tcp.wscale {
            out.extend([Opt::Nop, Opt::WScale(w)]);
        }
    }
    out
}

/// Why a packet read from the tun is not a TCP segment we can read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// Not an IPv4 packet (IPv6 neighbour discovery and the like): other traffic.
    #[error("IP version {0}, not IPv4")]
    NotIpv4(u8),
    /// An IPv4 header that is malformed.
    #[error("malformed IPv4 header: {0}")]
    BadIpv4(String),
    /// IPv4, another protocol (ICMP, UDP, ...).
    #[error("IPv4 protocol {0}, not TCP")]
    NotTcp(u8),
    /// The TCP header is malformed.
    #[error("malformed TCP header: {0}")]
    Malformed(String),
    /// A checksum does not match.
    #[error("bad {0} checksum")]
    Checksum(&'static str),
    /// Options that do not fit in a TCP header.
    #[error("the TCP options do not fit in a header: {0}")]
    Options(String),
}

impl PacketError {
    /// Whether the packet is other traffic (IPv6, ICMP, ...) rather than a broken one.
    pub fn is_other_traffic(&self) -> bool {
        matches!(self, PacketError::NotIpv4(_) | PacketError::NotTcp(_))
    }
}

/// A TCP segment read off the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Source address and port.
    pub from: Addr,
    /// Destination address and port.
    pub to: Addr,
    /// The segment (window as the raw 16-bit field).
    pub seg: Segment,
    /// The options in wire order.
    pub options: Vec<Opt>,
    /// Flags the model does not have (`U`, `E`, `W`), as packetdrill writes them.
    pub other_flags: String,
}

/// An IPv4 packet carrying `seg` (its text zero bytes), with valid IP and TCP
/// checksums. The window is the raw field (`seg.wnd`, capped at 65535).
pub fn build(from: Addr, to: Addr, seg: &Segment, options: &[Opt]) -> Result<Vec<u8>, PacketError> {
    let mut tcp = TcpHeader::new(
        from.port,
        to.port,
        seg.seq,
        seg.wnd.min(u32::from(u16::MAX)) as u16,
    );
    let f = seg.flags;
    tcp.syn = f.syn();
    tcp.fin = f.fin();
    tcp.rst = f.rst();
    tcp.psh = f.psh();
    tcp.ack = f.ack();
    tcp.acknowledgment_number = if f.ack() { seg.ack } else { 0 };
    let elements: Vec<TcpOptionElement> = options
        .iter()
        .filter_map(|o| match *o {
            Opt::Nop => Some(TcpOptionElement::Noop),
            Opt::Mss(m) => Some(TcpOptionElement::MaximumSegmentSize(m)),
            Opt::WScale(w) => Some(TcpOptionElement::WindowScale(w)),
            Opt::SackOk => Some(TcpOptionElement::SelectiveAcknowledgementPermitted),
            Opt::Ts(v, e) => Some(TcpOptionElement::Timestamp(v, e)),
            Opt::Sack(b) => {
                let (first, more) = b.as_slice().split_first()?;
                let mut rest = [None; 3];
                for (slot, blk) in rest.iter_mut().zip(more) {
                    *slot = Some(*blk);
                }
                Some(TcpOptionElement::SelectiveAcknowledgement(*first, rest))
            }
        })
        .collect();
    tcp.set_options(&elements)
        .map_err(|e| PacketError::Options(e.to_string()))?;
    let payload = vec![0u8; seg.len.min(65_000) as usize];
    let tcp_len = tcp.header_len() + payload.len();
    let mut ip = Ipv4Header::new(
        tcp_len as u16,
        64,
        IpNumber::TCP,
        from.ip.octets(),
        to.ip.octets(),
    )
    .map_err(|e| PacketError::Malformed(e.to_string()))?;
    ip.header_checksum = ip.calc_header_checksum();
    tcp.checksum = tcp
        .calc_checksum_ipv4(&ip, &payload)
        .map_err(|e| PacketError::Malformed(e.to_string()))?;
    let mut out = Vec::with_capacity(ip.header_len() + tcp_len);
    out.extend_from_slice(&ip.to_bytes());
    out.extend_from_slice(&tcp.to_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Reads an IPv4 packet as a TCP segment, checking both checksums.
pub fn parse(bytes: &[u8]) -> Result<Parsed, PacketError> {
    let version = bytes.first().map_or(0, |b| b >> 4);
    if version != 4 {
        return Err(PacketError::NotIpv4(version));
    }
    let (ip, rest) =
        Ipv4Header::from_slice(bytes).map_err(|e| PacketError::BadIpv4(e.to_string()))?;
    if ip.calc_header_checksum() != ip.header_checksum {
        return Err(PacketError::Checksum("IPv4 header"));
    }
    if ip.protocol != IpNumber::TCP {
        return Err(PacketError::NotTcp(ip.protocol.0));
    }
    let total = usize::from(ip.total_len)
        .saturating_sub(ip.header_len())
        .min(rest.len());
    let (tcp, payload) =
        TcpHeader::from_slice(&rest[..total]).map_err(|e| PacketError::Malformed(e.to_string()))?;
    let sum = tcp
        .calc_checksum_ipv4(&ip, payload)
        .map_err(|e| PacketError::Malformed(e.to_string()))?;
    if sum != tcp.checksum {
        return Err(PacketError::Checksum("TCP"));
    }
    let mut opts = TcpOptions::NONE;
    let mut options = Vec::new();
    for o in tcp.options_iterator() {
        let o = o.map_err(|e| PacketError::Malformed(format!("{e:?}")))?;
        match o {
            TcpOptionElement::Noop => options.push(Opt::Nop),
            TcpOptionElement::MaximumSegmentSize(m) => {
                opts.mss = Some(m);
                options.push(Opt::Mss(m));
            }
            TcpOptionElement::WindowScale(w) => {
                opts.wscale = Some(w);
                options.push(Opt::WScale(w));
            }
            TcpOptionElement::SelectiveAcknowledgementPermitted => {
                opts.sack_permitted = true;
                options.push(Opt::SackOk);
            }
            TcpOptionElement::Timestamp(v, e) => {
                opts.timestamps = Some((v, e));
                options.push(Opt::Ts(v, e));
            }
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                let blocks: Vec<(u32, u32)> = std::iter::once(first)
                    .chain(rest.into_iter().flatten())
                    .collect();
                opts.sack = SackBlocks::new(&blocks);
                options.push(Opt::Sack(opts.sack));
            }
        }
    }
    let mut flags = Flags::NONE;
    for (on, f) in [
        (tcp.fin, Flags::FIN),
        (tcp.syn, Flags::SYN),
        (tcp.rst, Flags::RST),
        (tcp.psh, Flags::PSH),
        (tcp.ack, Flags::ACK),
    ] {
        if on {
            flags = flags | f;
        }
    }
    let mut other_flags = String::new();
    for (on, c) in [(tcp.urg, 'U'), (tcp.ece, 'E'), (tcp.cwr, 'W')] {
        if on {
            other_flags.push(c);
        }
    }
    Ok(Parsed {
        from: Addr {
            ip: Ipv4Addr::from(ip.source),
            port: tcp.source_port,
        },
        to: Addr {
            ip: Ipv4Addr::from(ip.destination),
            port: tcp.destination_port,
        },
        seg: Segment {
            seq: tcp.sequence_number,
            ack: if tcp.ack {
                tcp.acknowledgment_number
            } else {
                0
            },
            flags,
            wnd: u32::from(tcp.window_size),
            len: payload.len() as u32,
            opts,
        },
        options,
        other_flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(ip: [u8; 4], port: u16) -> Addr {
        Addr {
            ip: Ipv4Addr::from(ip),
            port,
        }
    }

    #[test]
    fn a_built_syn_parses_back_with_its_options_and_checksums() {
        let seg = Segment {
            seq: 7,
            ack: 0,
            flags: Flags::SYN,
            wnd: 65_535,
            len: 0,
            opts: TcpOptions {
                mss: Some(1460),
                wscale: Some(7),
                sack_permitted: true,
                timestamps: Some((100, 0)),
                sack: SackBlocks::NONE,
            },
        };
        let order = options_in_order(&[], &seg.opts);
        assert_eq!(
            order,
            [
                Opt::Mss(1460),
                Opt::SackOk,
                Opt::Ts(100, 0),
                Opt::Nop,
                Opt::WScale(7)
            ]
        );
        let bytes = build(
            a([192, 0, 2, 1], 40000),
            a([192, 168, 0, 1], 8080),
            &seg,
            &order,
        )
        .expect("builds");
        // RFC 1071: the ones' complement sum of a header with its checksum is all ones.
        let sum = bytes[..20]
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let folded = (sum & 0xffff) + (sum >> 16);
        assert_eq!((folded & 0xffff) + (folded >> 16), 0xffff);
        let p = parse(&bytes).expect("parses");
        assert_eq!(p.seg, seg);
        assert_eq!(p.from, a([192, 0, 2, 1], 40000));
        assert_eq!(p.to.port, 8080);
        assert_eq!(p.options, order);
    }

    #[test]
    fn sack_blocks_are_built_and_parsed_back_in_the_scripts_order() {
        let tcp = TcpOptions {
            timestamps: Some((1, 2)),
            sack: SackBlocks::new(&[(3001, 4001), (1001, 2001)]),
            ..TcpOptions::NONE
        };
        let names: Vec<String> = ["nop", "nop", "TS", "nop", "nop", "sack"]
            .iter()
            .map(|n| n.to_string())
            .collect();
        let order = options_in_order(&names, &tcp);
        assert_eq!(order.last(), Some(&Opt::Sack(tcp.sack)));
        let seg = Segment {
            opts: tcp,
            ..Segment::control(Flags::ACK, 1, 5, 100)
        };
        let bytes =
            build(a([192, 0, 2, 1], 1), a([192, 0, 2, 2], 2), &seg, &order).expect("builds");
        let p = parse(&bytes).expect("parses");
        assert_eq!(p.seg.opts.sack.as_slice(), [(3001, 4001), (1001, 2001)]);
        assert_eq!(p.options, order);
    }

    #[test]
    fn text_is_carried_and_a_flipped_byte_fails_the_checksum() {
        let seg = Segment {
            seq: 1,
            ack: 5,
            flags: Flags::PSH | Flags::ACK,
            wnd: 1000,
            len: 100,
            opts: TcpOptions::NONE,
        };
        let mut bytes = build(a([1, 2, 3, 4], 1), a([5, 6, 7, 8], 2), &seg, &[]).expect("builds");
        assert_eq!(bytes.len(), 20 + 20 + 100);
        assert_eq!(parse(&bytes).expect("parses").seg, seg);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(parse(&bytes), Err(PacketError::Checksum("TCP")));
    }

    #[test]
    fn the_scripts_option_order_is_kept() {
        let names: Vec<String> = ["nop", "nop", "TS", "mss"].map(String::from).to_vec();
        let tcp = TcpOptions {
            mss: Some(536),
            timestamps: Some((1, 2)),
            ..TcpOptions::NONE
        };
        assert_eq!(
            options_in_order(&names, &tcp),
            [Opt::Nop, Opt::Nop, Opt::Ts(1, 2), Opt::Mss(536)]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&[][..], &[0x45][..], &[0x60; 40][..], &[0x45; 60][..]] {
            assert!(parse(bytes).is_err());
        }
    }
}
