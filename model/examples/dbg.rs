use model::check::explore::{explore, Limits, Verdict};
use model::check::{Options, System};
fn main() {
    let m = System::new(Options::default()).unwrap();
    let r = explore(&m, Limits { max_states: Some(13_000_000), ..Limits::default() }, false);
    for p in &r.properties {
        if let Verdict::Fails { path } = &p.verdict {
            let mut s = m.init();
            for st in path {
                let (n, fx) = m.next(&s, st.act).unwrap();
                println!("{:?} stale={} orphan={} zero={}", st.act, fx.stale, fx.orphan, fx.seq_zero);
                println!("   chan {:?}", n.chan);
                s = n;
            }
        }
    }
}
