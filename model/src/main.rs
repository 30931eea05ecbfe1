//! `model`: print the transition table (and, later, model-check it).

use clap::{Parser, Subcommand, ValueEnum};
use model::{Profile, Table, render};
use std::process::ExitCode;

/// TCP connection management (RFC 9293), made precise and checkable.
#[derive(Parser)]
#[command(name = "model", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the transition table: every (state, event) row with its actions, next state
    /// and RFC reference.
    Table {
        /// Profile(s) to layer over RFC 9293, comma-separated, e.g. `rfc1337` or
        /// `rfc1337,fin-wait-2-timeout`. `--list-profiles` names them all.
        #[arg(long, default_value = "rfc9293")]
        profile: String,
        /// Output format: `markdown` for people, `json` (stable field names) for tools.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// List the profiles (standard ones and the marked mutants) and exit.
        #[arg(long)]
        list_profiles: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Markdown,
    Json,
}

/// Builds the table for a `--profile` argument, or says why not.
pub fn table_for(spec: &str) -> Result<Table, String> {
    let profiles = Profile::parse_list(spec)?;
    let profiles: Vec<&Profile> = profiles
        .into_iter()
        .filter(|p| p.name != "rfc9293")
        .collect();
    Table::with_profiles(&profiles).map_err(|gaps| {
        let gaps: Vec<String> = gaps.iter().map(|g| g.to_string()).collect();
        format!(
            "profile `{spec}` leaves the table partial:\n  {}",
            gaps.join("\n  ")
        )
    })
}

/// Writes to stdout; a closed pipe (`model table | head`) ends the program quietly.
fn write_stdout(text: &str) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing output: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Table {
            profile,
            format,
            list_profiles,
        } => {
            if list_profiles {
                let list: String = model::PROFILES
                    .iter()
                    .map(|p| format!("{:<20} {}\n", p.name, p.description))
                    .collect();
                return write_stdout(&list);
            }
            let table = match table_for(&profile) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let text = match format {
                Format::Markdown => render::markdown(&table),
                Format::Json => render::json(&table) + "\n",
            };
            write_stdout(&text)
        }
    }
}
