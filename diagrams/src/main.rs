//! `diagrams`: the state diagram of the transition table as DOT, SVG or Mermaid, and
//! counterexamples as message sequence charts.

use clap::{Parser, Subcommand, ValueEnum};
use diagrams::View;
use model::Table;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Draw TCP's state machine from the transition table.
#[derive(Parser)]
#[command(name = "diagrams", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Export the state diagram.
    Export {
        /// Output format: Graphviz DOT, SVG (rendered in pure Rust), or Mermaid
        /// `stateDiagram-v2` (renders on GitHub).
        #[arg(long, value_enum, default_value_t = Format::Svg)]
        format: Format,
        /// `classic`: RFC 9293 Figure 5; `full`: every row of the table.
        #[arg(long, value_enum, default_value_t = ViewArg::Classic)]
        view: ViewArg,
        /// Profile(s) to layer over RFC 9293, comma-separated (default: the profile the
        /// --highlight trace ran under, else rfc9293).
        #[arg(long)]
        profile: Option<String>,
        /// Draw the path of a trace over the diagram (DOT and SVG): a counterexample from
        /// `model check --format json`, or a run from `interpreter run --format json`.
        #[arg(long)]
        highlight: Option<PathBuf>,
        /// With --highlight: the property whose counterexample, or the script whose run,
        /// to draw (default: the first).
        #[arg(long, alias = "script")]
        property: Option<String>,
        /// SVG layout: `rust` (layout-rs, nothing to install) or `graphviz` (`dot` on
        /// the PATH).
        #[arg(long, value_enum, default_value_t = Engine::Rust)]
        engine: Engine,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Draw a model-checker counterexample (`model check --format json > report.json`) or
    /// an interpreter run (`interpreter run --format json FILE > run.json`) as a message
    /// sequence chart.
    Sequence {
        /// The JSON report or transcript (`-`: standard input); at most 64 MiB.
        file: PathBuf,
        /// The property whose counterexample, or the script whose run, to draw (default:
        /// the first).
        #[arg(long, alias = "script")]
        property: Option<String>,
        /// `svg` or `mermaid` (a `sequenceDiagram`).
        #[arg(long, value_enum, default_value_t = SeqFormat::Svg)]
        format: SeqFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Dot,
    Svg,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    Rust,
    Graphviz,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeqFormat {
    Svg,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum ViewArg {
    Classic,
    Full,
}

/// Exit codes, the same as `model` and `interpreter`: 0 success; 1 a failed check (which
/// `diagrams` never has: it checks nothing); 2 bad input, bad usage (clap's own exit code)
/// or an environment error (a file that cannot be read or written, Graphviz missing).
const BAD: u8 = 2;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Export {
            format,
            view,
            profile,
            highlight,
            property,
            engine,
            output,
        } => {
            let chart = match highlight {
                None => None,
                Some(file) => match read_chart(&file, property.as_deref()) {
                    Ok(chart) => Some(chart),
                    Err(code) => return code,
                },
            };
            if chart.is_some() && matches!(format, Format::Mermaid) {
                eprintln!(
                    "error: --highlight draws on DOT and SVG; Mermaid state diagrams cannot style one edge"
                );
                return ExitCode::from(BAD);
            }
            // A trace is drawn over the table it ran under: row numbers are stable across
            // profiles, but a profile's own rows exist only in its table.
            let profile = profile
                .or_else(|| chart.as_ref().and_then(|c| c.profile.clone()))
                .unwrap_or_else(|| "rfc9293".to_string());
            let rows = match &chart {
                None => None,
                Some(c) => match &c.rows {
                    Some(rows) => Some(rows.as_slice()),
                    None => {
                        eprintln!(
                            "error: {}: the steps do not record the rows they fired (a report \
                             from an older `model check`); rerun `model check --format json` \
                             to draw its path",
                            c.property
                        );
                        return ExitCode::from(BAD);
                    }
                },
            };
            export(format, view, &profile, rows, engine, output)
        }
        Command::Sequence {
            file,
            property,
            format,
            output,
        } => {
            let chart = match read_chart(&file, property.as_deref()) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let out = match format {
                SeqFormat::Svg => {
                    model::msc::svg_titled(&chart.lanes, &chart.title, chart.start, &chart.steps)
                }
                SeqFormat::Mermaid => model::msc::mermaid_titled(
                    &chart.lanes,
                    &chart.title,
                    chart.start,
                    &chart.steps,
                ),
            };
            write(&out, output)
        }
    }
}

/// Reads a counterexample from a report file, or prints why not.
fn read_chart(file: &Path, property: Option<&str>) -> Result<diagrams::Chart, ExitCode> {
    diagrams::chart_from_path(file, property).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(BAD)
    })
}

fn export(
    format: Format,
    view: ViewArg,
    profile: &str,
    rows: Option<&[model::RowId]>,
    engine: Engine,
    output: Option<PathBuf>,
) -> ExitCode {
    let table = match Table::from_spec(profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(BAD);
        }
    };
    let view = match view {
        ViewArg::Classic => View::Classic,
        ViewArg::Full => View::Full,
    };
    let mut g = diagrams::graph(&table, view);
    if let Some(rows) = rows {
        for note in diagrams::highlight(&mut g, &table, rows) {
            eprintln!("note: {note}");
        }
    }
    let title = diagrams::title(&table, view);
    let text = match format {
        Format::Dot => diagrams::dot(&g, &title),
        Format::Mermaid => model::msc::mermaid_title(&title) + &diagrams::mermaid(&g),
        Format::Svg => match match engine {
            Engine::Rust => diagrams::svg(&g, &title),
            Engine::Graphviz => diagrams::svg_with_graphviz(&g, &title),
        } {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(BAD);
            }
        },
    };
    write(&text, output)
}

/// Writes to `output`, or to stdout (a closed pipe is not an error).
fn write(text: &str, output: Option<PathBuf>) -> ExitCode {
    let written = match &output {
        Some(path) => std::fs::write(path, text),
        None => {
            use std::io::Write;
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r,
            }
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let target = output.map_or("output".into(), |p| p.display().to_string());
            eprintln!("error: writing {target}: {e}");
            ExitCode::from(BAD)
        }
    }
}
