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
    /// Where the server's stderr goes.
    log: std::path::PathBuf,
}

impl Server {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
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
    start_on("127.0.0.1")
}

/// Starts the Explorer on `host` and a free port.
fn start_on(host: &str) -> Server {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("tcpfsm-explorer-{port}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_model"))
        .args(["explore", "--addr", &format!("{host}:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start the explorer");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the explorer did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The port is bound before the address is printed: wait for the words too.
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("Explorer: http")
    {
        assert!(Instant::now() < deadline, "the explorer did not say where");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { child, port, log }
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
        let svg = steps[i]["svg"].as_str().unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(
            svg.contains("class='title'") && svg.contains(">Explorer path, "),
            "titled: {svg}"
        );
        path += &format!("/{i}");
    }
    assert!(state.contains("B: SYN-RECEIVED"), "{state}");
    // Segments in flight in the notation of the steps (`A -> B  SYN seq=0`): one notation.
    assert!(
        state.contains("B -> A  SYN,ACK seq="),
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
    // Bound first, then announced: no address is promised that is not served.
    assert!(!err.contains("Explorer: http"), "{err}");
}

#[test]
fn status_shows_every_property_check_reports() {
    let server = start();
    let status = json(server.port, "/.status");
    let names: Vec<&str> = status["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap())
        .collect();
    let m = model::check::System::new(model::check::Options::default()).unwrap();
    let limits = model::check::explore::Limits {
        max_states: Some(10),
        ..Default::default()
    };
    let run = model::check::explore::explore(&m, limits, true);
    let reported: Vec<&str> = run.properties.iter().map(|p| p.name).collect();
    assert_eq!(names, reported, "the same properties, in the same order");
    assert_eq!(names.len(), model::check::properties::PROPERTIES.len() + 1);
}

/// Makes closing `s` send a RST instead of a FIN (`SO_LINGER` with a zero timeout; std's
/// `set_linger` is unstable).
#[cfg(target_os = "linux")]
fn reset_on_close(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Linger {
        l_onoff: i32,
        l_linger: i32,
    }
    unsafe extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, val: *const Linger, len: u32) -> i32;
    }
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    let l = Linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a `struct linger` of the size given.
    let rc = unsafe { setsockopt(s.as_raw_fd(), SOL_SOCKET, SO_LINGER, &l, 8) };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER)");
}

#[cfg(not(target_os = "linux"))]
fn reset_on_close(_: &TcpStream) {}

#[test]
fn clients_that_leave_early_panic_nothing() {
    let server = start();
    for i in 0..300 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        match i % 4 {
            0 => {}                                                  // connects, leaves
            1 => drop(write!(s, "GET /.states/0 HT")),               // half a request
            2 => drop(write!(s, "GET /.states/0 HTTP/1.0\r\n\r\n")), // leaves before the answer
            _ => {
                // Asks, then resets the connection: what made tiny_http panic.
                let _ = write!(s, "GET /.states/0 HTTP/1.0\r\n\r\n");
                reset_on_close(&s);
            }
        }
        drop(s);
    }
    // Still serving, and nothing panicked.
    let status = json(server.port, "/.status");
    assert!(status["properties"].is_array());
    std::thread::sleep(Duration::from_millis(300));
    let err = server.stderr();
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_host_name_that_resolves_is_accepted() {
    let server = start_on("localhost");
    assert!(json(server.port, "/.status")["properties"].is_array());
    assert!(server.stderr().contains("Explorer: http://"));
}

#[test]
fn every_interface_is_served_with_a_loud_warning() {
    let server = start_on("0.0.0.0");
    let err = server.stderr();
    let warning = err.find("WARNING").expect("a warning");
    assert!(err.contains("other hosts can reach"), "{err}");
    assert!(warning < err.find("Explorer: http://").unwrap(), "{err}");
    let loopback = start();
    assert!(!loopback.stderr().contains("WARNING"));
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
