//! Reading the JSON that `model check --format json` and `interpreter run --format json`
//! write, with bounded memory.
//!
//! Both documents are read from a reader, at most [`MAX_INPUT`] bytes of it, straight into
//! typed structs: `serde_json::Value` costs about 30 bytes of memory per byte of input, so
//! a 100 MB file used to cost 3 GB before it was rejected. Fields the charts do not use are
//! skipped without being stored.

use model::{RowId, State};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny};
use std::io::Read;

/// The largest input read, in bytes (64 MiB): far above any report or transcript the tools
/// write (a default `model check` report is about 100 KiB), far below the machine's memory.
pub const MAX_INPUT: u64 = 64 << 20;

/// Reads at most [`MAX_INPUT`] bytes from `r`: an error, not a memory exhaustion, for a
/// larger input or an endless one (`/dev/zero`).
pub fn read_bounded(r: impl Read, name: &str) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("reading {name}: {e}"))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(format!(
            "{name} is larger than {} MiB: not a report or transcript from model or interpreter",
            MAX_INPUT >> 20
        ));
    }
    Ok(buf)
}

/// A state as JSON spells it (RFC spelling or id).
fn state<'de, D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    State::parse(&s).ok_or_else(|| de::Error::custom(format!("bad state `{s}`")))
}

/// A side as JSON spells it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum Side {
    /// Endpoint A.
    A,
    /// Endpoint B.
    B,
}

/// Which document: only the `format` field is looked at, the rest skipped.
#[derive(Deserialize)]
pub(crate) struct Sniff {
    #[serde(default)]
    pub format: Option<String>,
}

/// `model check --format json`: what the charts need of it.
#[derive(Deserialize)]
pub(crate) struct CheckDoc {
    pub properties: Vec<PropertyDoc>,
    /// False when a limit stopped the run (`INCOMPLETE`).
    #[serde(default = "yes")]
    pub complete: bool,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub options: Option<OptionsDoc>,
}

fn yes() -> bool {
    true
}

/// The options of a check, for the chart's title.
#[derive(Deserialize, Default)]
pub(crate) struct OptionsDoc {
    #[serde(default)]
    pub without: Vec<String>,
    #[serde(default)]
    pub msl: Option<u64>,
    #[serde(default)]
    pub seq_space: Option<u64>,
    #[serde(default)]
    pub incarnations: Option<u64>,
    #[serde(default)]
    pub drops: Option<u64>,
    #[serde(default)]
    pub dups: Option<u64>,
}

/// One property's verdict.
#[derive(Deserialize)]
pub(crate) struct PropertyDoc {
    pub name: String,
    /// `holds`, `reached`, `fails`, `lasso`, `never_reached`, `unknown`.
    #[serde(default)]
    pub verdict: Option<String>,
    #[serde(default)]
    pub path: Option<Vec<StepDoc>>,
    #[serde(default)]
    pub loop_from: Option<usize>,
}

/// One step of a path.
#[derive(Deserialize)]
pub(crate) struct StepDoc {
    #[serde(default)]
    pub act: Option<ActDoc>,
    #[serde(default)]
    pub text: String,
    #[serde(deserialize_with = "state")]
    pub a: State,
    #[serde(deserialize_with = "state")]
    pub b: State,
    #[serde(default)]
    pub segment: Option<(Side, IgnoredAny)>,
    #[serde(default)]
    pub stale: bool,
    /// Absent in reports written before the rows were recorded.
    #[serde(default)]
    pub rows: Option<Vec<(Side, u16)>>,
}

/// An action: only which segment action it is matters here.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum ActDoc {
    Segment(SegmentAct),
    Other(IgnoredAny),
}

/// `{"Deliver": ...}`, `{"Drop": ...}`, `{"Dup": ...}`.
#[derive(Deserialize)]
pub(crate) struct SegmentAct {
    #[serde(rename = "Deliver", default)]
    pub deliver: Option<IgnoredAny>,
    #[serde(rename = "Drop", default)]
    pub drop: Option<IgnoredAny>,
    #[serde(rename = "Dup", default)]
    pub dup: Option<IgnoredAny>,
}

/// `interpreter run --format json`.
#[derive(Deserialize)]
pub(crate) struct TranscriptDoc {
    pub runs: Vec<RunDoc>,
}

/// One script's run.
#[derive(Deserialize)]
pub(crate) struct RunDoc {
    #[serde(default)]
    pub script: String,
    #[serde(default)]
    pub profile: Option<String>,
    pub transcript: Vec<EntryDoc>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub failure: Option<FailureDoc>,
    #[serde(default)]
    pub message: Option<String>,
}

/// Why a run failed.
#[derive(Deserialize)]
pub(crate) struct FailureDoc {
    #[serde(default)]
    pub message: Option<String>,
}

/// One transcript entry.
#[derive(Deserialize)]
pub(crate) struct EntryDoc {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(deserialize_with = "state")]
    pub state: State,
    #[serde(default)]
    pub steps: Vec<RowStepDoc>,
}

/// One row applied.
#[derive(Deserialize)]
pub(crate) struct RowStepDoc {
    pub row: u16,
    #[serde(default)]
    pub sent: Vec<WireDoc>,
    #[serde(default)]
    pub received: Option<WireDoc>,
}

/// A segment in the script's numbering.
#[derive(Deserialize)]
pub(crate) struct WireDoc {
    #[serde(default)]
    pub text: String,
}

impl RowStepDoc {
    /// The row's number.
    pub fn row_id(&self) -> RowId {
        RowId(self.row)
    }
}
