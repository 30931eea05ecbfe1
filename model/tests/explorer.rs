//! The Explorer web UI: its JSON API, a real headless browser, and a busy port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../tests/src/tools.rs"]
mod tools;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start() -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_model"))
        .args(["explore", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the explorer");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the explorer did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, port }
}

/// A plain HTTP/1.0 GET on loopback; returns the body.
fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{head}"
    );
    body.to_string()
}

fn json(port: u16, path: &str) -> serde_json::Value {
    serde_json::from_str(&get(port, path)).unwrap()
}

#[test]
fn the_json_api_walks_a_handshake_with_readable_steps() {
    let server = start();
    let status = json(server.port, "/.status");
    assert_eq!(status["model"], "model::check::explorer::Explorer");
    let init = json(server.port, "/.states");
    assert!(init[0]["state"].as_str().unwrap().starts_with("A: CLOSED"));
    // Follow: A opens, B listens, the SYN is delivered.
    let mut path = String::from("/.states/0");
    let mut state = String::new();
    for want in [
        "A: active OPEN (ISS=0)",
        "B: passive OPEN",
        "A -> B  SYN seq=0  delivered",
    ] {
        let steps = json(server.port, &path);
        let steps = steps.as_array().unwrap();
        let i = steps
            .iter()
            .position(|s| s["action"] == want)
            .unwrap_or_else(|| panic!("no step `{want}` in {steps:#?}"));
        state = steps[i]["state"].as_str().unwrap().to_string();
        assert!(steps[i]["svg"].as_str().unwrap().starts_with("<svg"));
        path += &format!("/{i}");
    }
    assert!(state.contains("B: SYN-RECEIVED"), "{state}");
    assert!(
        state.contains("B -> A  S. "),
        "the SYN,ACK is in flight: {state}"
    );
}

#[test]
fn a_busy_port_is_a_clear_error_not_a_panic() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_model"))
        .args(["explore", "--addr", &addr.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen on") && !err.contains("panicked"),
        "{err}"
    );
}

/// Opens the UI in headless Chromium at a deep link (the UI follows `#/steps/...`), lets
/// its scripts run, and reads the rendered page.
#[test]
fn a_real_browser_shows_the_path_and_the_states() {
    let Some(chromium) = tools::chromium("a_real_browser_shows_the_path_and_the_states") else {
        return;
    };
    let server = start();
    // Step 0 of the init list, then A opens (0), then B listens (index found via the API).
    let steps = json(server.port, "/.states/0");
    let open = steps
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["action"] == "A: active OPEN (ISS=0)")
        .unwrap();
    let profile = std::env::temp_dir().join(format!("tcpfsm-chromium-{}", server.port));
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=8000",
            "--dump-dom",
            &format!("http://127.0.0.1:{}/#/steps/0/{open}", server.port),
        ])
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("A: active OPEN (ISS=0)"),
        "the path shows the step taken:\n{dom}"
    );
    assert!(
        dom.contains("SYN-SENT"),
        "the state in RFC spelling:\n{dom}"
    );
    assert!(dom.contains("<svg"), "the sequence chart:\n{dom}");
    assert!(
        dom.contains("B: passive OPEN"),
        "the next steps are offered:\n{dom}"
    );
}
