//! `diagrams`: the state diagram of the transition table as DOT, SVG or Mermaid.

use clap::{Parser, Subcommand, ValueEnum};
use diagrams::View;
use model::Table;
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
        /// Profile(s) to layer over RFC 9293, comma-separated.
        #[arg(long, default_value = "rfc9293")]
        profile: String,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
    /// Draw a model-checker counterexample (`model check --format json > report.json`) as
    /// a message sequence chart.
    Sequence {
        /// The JSON report.
        file: std::path::PathBuf,
        /// The property whose counterexample to draw (default: the first one).
        #[arg(long)]
        property: Option<String>,
        /// `svg` or `mermaid` (a `sequenceDiagram`).
        #[arg(long, value_enum, default_value_t = SeqFormat::Svg)]
        format: SeqFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SeqFormat {
    Svg,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Dot,
    Svg,
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum ViewArg {
    Classic,
    Full,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Export {
            format,
            view,
            profile,
            output,
        } => export(format, view, &profile, output),
        Command::Sequence {
            file,
            property,
            format,
            output,
        } => {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: reading {}: {e}", file.display());
                    return ExitCode::from(2);
                }
            };
            let chart = match diagrams::chart_from_check_json(&text, property.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {}: {e}", file.display());
                    return ExitCode::from(2);
                }
            };
            let out = match format {
                SeqFormat::Svg => model::msc::svg(chart.start, &chart.steps),
                SeqFormat::Mermaid => model::msc::mermaid(chart.start, &chart.steps),
            };
            write(&out, output)
        }
    }
}

fn export(
    format: Format,
    view: ViewArg,
    profile: &str,
    output: Option<std::path::PathBuf>,
) -> ExitCode {
    let table = match Table::from_spec(profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let view = match view {
        ViewArg::Classic => View::Classic,
        ViewArg::Full => View::Full,
    };
    let g = diagrams::graph(&table, view);
    let title = format!(
        "TCP connection states ({}, {} view)",
        table.name(),
        if view == View::Classic {
            "RFC 9293 Figure 5"
        } else {
            "full"
        }
    );
    let text = match format {
        Format::Dot => diagrams::dot(&g, &title),
        Format::Mermaid => diagrams::mermaid(&g),
        Format::Svg => match diagrams::svg(&g, &title) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        },
    };
    write(&text, output)
}

fn write(text: &str, output: Option<std::path::PathBuf>) -> ExitCode {
    let written = match &output {
        Some(path) => std::fs::write(path, text),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r,
            }
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: writing {}: {e}",
                output.map_or("output".into(), |p| p.display().to_string())
            );
            ExitCode::from(1)
        }
    }
}
