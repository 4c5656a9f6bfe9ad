//! The relay binary and its data directory: a second relay on a directory that
//! one already serves exits at once and says why, instead of handing out seqs
//! the first one also hands out.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const RELAY: &str = env!("CARGO_BIN_EXE_candor-relay");

fn relay(data: &Path) -> Command {
    let mut c = Command::new(RELAY);
    c.args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// Starts a relay and waits for its "relay listening" line.
fn start_listening(data: &Path) -> Child {
    let mut child = relay(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the relay");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    for line in out.lines() {
        let line = line.expect("read the relay's output");
        if line.contains("relay listening") {
            return child;
        }
    }
    panic!("the relay ended without listening: {:?}", child.wait());
}

#[test]
fn a_second_relay_on_one_data_directory_exits_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = start_listening(dir.path());

    let mut second = relay(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the second relay");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            let _ = first.kill();
            panic!("the second relay kept running on a directory the first one serves");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().expect("stderr"), &mut said)
        .expect("read stderr");
    assert!(!status.success(), "the second relay exited with success");
    assert!(
        said.contains("in use by another relay process"),
        "the second relay did not say why it stopped: {said}"
    );

    // The first one, killed, leaves nothing behind that stops the next.
    first.kill().expect("kill the first relay");
    first.wait().expect("reap");
    let mut third = start_listening(dir.path());
    third.kill().expect("kill");
    third.wait().expect("reap");
}
