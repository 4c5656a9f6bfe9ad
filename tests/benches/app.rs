//! `cargo xtask bench app`: the release app starting on a big profile (10,000
//! chats, 1,000,000 messages), side by side with a floor: `candor-floor`, a Tauri
//! window of the same size with a blank page (bench/floor), from the same build.
//!
//! - Time to interactive: from spawning the process to its line `candor:
//!   interactive` (the app prints it once the inbox is on the page with its
//!   rows, the floor once its page has loaded; `CANDOR_REPORT_READY`). The
//!   profile's relay accepts connections and never answers, so an inbox that
//!   waited for sync would never be ready.
//! - Memory: PSS summed over the process and all its descendants (WebKit's web
//!   and network processes), after 10 s idle; and for the app, after opening 20
//!   chats through WebDriver (the median of up to 3 sessions: what the web
//!   process keeps after the same work varies by tens of MiB between sessions).
//! - Package size: the app's .deb against the floor's.
//!
//! Targets: memory <= 1.3x the floor, time to interactive <= 1.5x the floor.
//! `CANDOR_BENCH_CHATS` and `CANDOR_BENCH_MESSAGES` change the profile's size,
//! `CANDOR_BENCH_RUNS` the launches of each (default 5, plus one warm-up);
//! `CANDOR_BENCH_HOME=DIR` keeps the seeded profile in DIR and reuses it;
//! `CANDOR_BENCH_OPEN=N` opens N chats instead of 20 (at most 50: the first
//! page of the inbox); `CANDOR_BENCH_CYCLE=K` opens only the newest K chats,
//! in turn (K=2: back and forth between two, to tell memory kept per opening
//! from memory kept per chat); `CANDOR_BENCH_SMAPS=DIR` keeps every measured
//! process's smaps in DIR.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use candor_core::profile_dir::{ProfileDir, ProfileName};
use candor_core::protocol::{
    ConversationId, DeliveredMessage, MessageId, MessageText, ServerMessageId, UserId,
};
use candor_core::{ManualClock, NewConversation, Person, Profile, Store};
use candor_e2e::{App, Display, SessionBus, desktop_env};

const PROFILE: &str = "bench";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn required_path(name: &str) -> Result<PathBuf> {
    let path = PathBuf::from(
        std::env::var_os(name)
            .with_context(|| format!("{name} is not set (cargo xtask sets it)"))?,
    );
    ensure!(path.exists(), "{name}: {} does not exist", path.display());
    Ok(path)
}

/// The chat at inbox position `i` (0 is the newest).
fn chat_title(i: usize) -> String {
    format!("Person {i:05}")
}

/// Fills a profile: `chats` direct chats holding `messages` messages between
/// them, the newest chat first by title, one in a hundred left unread.
fn seed(dir: &ProfileDir, chats: usize, messages: usize, relay_url: &str) -> Result<()> {
    std::fs::create_dir_all(dir.path())?;
    let start = chrono::Utc::now() - chrono::Duration::days(365);
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let mut store = Store::open_with_clock(&dir.database(), clock)?;
    let me = Person {
        id: UserId::new(),
        handle: "ana".into(),
        display_name: "Ana".into(),
    };
    store.set_profile(&Profile {
        user_id: me.id,
        handle: me.handle.clone(),
        display_name: me.display_name.clone(),
        relay_url: relay_url.into(),
    })?;
    let per_chat = (messages / chats).max(1);
    let mut batch = Vec::with_capacity(4_096);
    for c in 0..chats {
        // Chat 0 is the newest: its messages come last.
        let order = chats - 1 - c;
        let peer = Person {
            id: UserId::new(),
            handle: format!("p{c:05}"),
            display_name: chat_title(c),
        };
        let chat = ConversationId::new();
        store.add_conversation(&NewConversation::Direct {
            id: chat,
            peer: peer.clone(),
        })?;
        for seq in 1..=per_chat as i64 {
            let from = if seq % 3 == 0 { me.id } else { peer.id };
            let minutes = (order * per_chat) as i64 + seq;
            batch.push(DeliveredMessage {
                photos: Vec::new(),
                reaction: None,
                server_id: ServerMessageId::new(),
                client_id: MessageId::new(),
                conversation_id: chat,
                seq,
                sender_id: from,
                text: MessageText::new(format!(
                    "message {seq} in chat {c}: plans for the weekend, a video link and a reply"
                ))?,
                card: None,
                sent_at: start + chrono::Duration::minutes(minutes),
                reply: None,
            });
        }
        if batch.len() >= 4_000 {
            store.apply_received(&batch)?;
            batch.clear();
        }
        if c % 100 != 0 {
            store.mark_read(chat, per_chat as i64)?;
        }
    }
    store.apply_received(&batch)?;
    std::fs::write(dir.token_file(), "a-token-from-an-earlier-sign-in")?;
    Ok(())
}

/// The environment both programs run in: their own display, bus and data home.
struct Desk {
    display: Display,
    bus: SessionBus,
    home: PathBuf,
}

impl Desk {
    fn spawn(&self, binary: &Path, args: &[&str]) -> Result<Child> {
        Ok(Command::new(binary)
            .args(args)
            .envs(desktop_env(&self.display, &self.bus, &self.home))
            .env("CANDOR_REPORT_READY", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?)
    }
}

/// `pid` and every process descended from it.
fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
            if let Some(ppid) = ppid {
                parents.push((p, ppid));
            }
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    tree
}

/// PSS in KiB of each process in `pid`'s tree, by name.
fn tree_pss(pid: u32) -> Vec<(String, u64)> {
    process_tree(pid)
        .iter()
        .filter_map(|p| {
            let name = std::fs::read_to_string(format!("/proc/{p}/comm")).ok()?;
            let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            let pss = rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())?;
            Some((name.trim().to_owned(), pss))
        })
        .collect()
}

/// With `CANDOR_BENCH_SMAPS=DIR`, keeps each process's `/proc/PID/smaps` as
/// `DIR/LABEL-NAME`, to see which mappings make a difference.
fn keep_smaps(pid: u32, label: &str) {
    let Some(dir) = std::env::var_os("CANDOR_BENCH_SMAPS") else {
        return;
    };
    for p in process_tree(pid) {
        let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
        if let Ok(smaps) = std::fs::read_to_string(format!("/proc/{p}/smaps")) {
            let file = PathBuf::from(&dir).join(format!("{label}-{}", name.trim()));
            if let Err(e) = std::fs::write(&file, smaps) {
                eprintln!("cannot keep {}: {e}", file.display());
            }
        }
    }
}

fn total_kib(processes: &[(String, u64)]) -> u64 {
    processes.iter().map(|(_, kib)| kib).sum()
}

/// "candor 80, WebKitWebProcess 170, …" in MiB.
fn breakdown(processes: &[(String, u64)]) -> String {
    processes
        .iter()
        .map(|(name, kib)| format!("{name} {:.0}", *kib as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Launch {
    interactive: Duration,
    idle_pss_kib: u64,
    processes: Vec<(String, u64)>,
}

/// Starts `binary`, times it to its ready line, waits 10 s, measures, stops it.
fn launch(desk: &Desk, binary: &Path, args: &[&str]) -> Result<Launch> {
    let spawned = Instant::now();
    let mut child = desk.spawn(binary, args)?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.trim() == "candor: interactive" {
                let _ = tx.send(Instant::now());
            }
        }
    });
    let ready = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(at) => at,
        Err(_) => {
            let _ = child.kill();
            bail!("{} never reported it was interactive", binary.display());
        }
    };
    let interactive = ready - spawned;
    std::thread::sleep(Duration::from_secs(10));
    let processes = tree_pss(child.id());
    let name = binary.file_name().unwrap_or_default().to_string_lossy();
    keep_smaps(child.id(), &format!("launch-{name}"));
    let idle_pss_kib = total_kib(&processes);
    stop(child)?;
    Ok(Launch {
        interactive,
        idle_pss_kib,
        processes,
    })
}

/// SIGTERM, then waits until the process and its WebKit children are gone.
fn stop(mut child: Child) -> Result<()> {
    let tree = process_tree(child.id());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    child.wait()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while tree
        .iter()
        .any(|p| Path::new(&format!("/proc/{p}")).exists())
    {
        if Instant::now() > deadline {
            for p in &tree {
                let _ = Command::new("kill")
                    .args(["-KILL", &p.to_string()])
                    .status();
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Opens the newest chats (20, or `CANDOR_BENCH_OPEN`) one after another, each
/// until its messages show, and returns how long each took: from the click to
/// the first frame drawn after its messages are on the page. Each chat is one
/// WebDriver call (the click, then a wait inside the page), so that the harness
/// runs as little of its own script in the page as it can; a mutation observer
/// notices the messages without polling.
async fn open_twenty_chats(app: &App) -> Result<Vec<Opening>> {
    let cycle = env_number("CANDOR_BENCH_CYCLE", usize::MAX).max(1);
    let mut took = Vec::new();
    for i in 0..env_number("CANDOR_BENCH_OPEN", 20) {
        let title = chat_title(i % cycle);
        let opened = app
            .driver
            .execute_async(
                "const [title, done] = arguments;
                 const row = [...document.querySelectorAll('[data-testid=inbox-row]')]
                   .find(r => r.querySelector('[data-testid=inbox-title]')?.textContent.trim() === title);
                 if (!row) { done('no inbox row'); return; }
                 row.scrollIntoView({ block: 'center' });
                 const shown = () =>
                   document.querySelector('[data-testid=chat-title]')?.textContent.trim() === title
                   && document.querySelector('[data-testid=message]') !== null;
                 const steps = ['candor:chat-asked', 'candor:chat-page-returned', 'candor:chat-laid-out'];
                 steps.forEach((s) => performance.clearMarks(s));
                 const started = performance.now();
                 const finish = () => requestAnimationFrame(() => {
                   const took = performance.now() - started;
                   const at = steps.map((s) => performance.getEntriesByName(s).pop());
                   done([took, ...at.map((m) => (m ? m.startTime - started : null))]);
                 });
                 let timer;
                 const watch = new MutationObserver(() => {
                   if (!shown()) return;
                   watch.disconnect();
                   clearTimeout(timer);
                   finish();
                 });
                 watch.observe(document.body, { childList: true, subtree: true, characterData: true });
                 timer = setTimeout(() => { watch.disconnect(); done('no messages after 20 s'); }, 20000);
                 row.click();",
                vec![serde_json::Value::String(title.clone())],
            )
            .await?;
        match opened.json().get(0).and_then(|v| v.as_f64()) {
            Some(shown) => took.push(Opening {
                shown,
                asked: opened.json().get(1).and_then(|v| v.as_f64()),
                page_returned: opened.json().get(2).and_then(|v| v.as_f64()),
                laid_out: opened.json().get(3).and_then(|v| v.as_f64()),
            }),
            None => bail!("opening {title}: {}", opened.json()),
        }
    }
    Ok(took)
}

/// What one session through WebDriver measured: PSS by process after 10 s
/// idle, and 10 s after opening the chats.
struct Driven {
    idle: Vec<(String, u64)>,
    after_chats: Vec<(String, u64)>,
    /// How long each chat took to open, in ms.
    openings: Vec<Opening>,
}

/// One chat opening, in ms from the click.
#[derive(Clone, Copy)]
struct Opening {
    /// To the first frame drawn with its messages on the page.
    shown: f64,
    /// To the page command's call (the app's `candor:chat-asked` mark): what
    /// taking down the last chat and setting up the view took first.
    asked: Option<f64>,
    /// To the page command's answer (the app's `candor:chat-page-returned`
    /// mark): what IPC and the store took, before the page drew anything.
    page_returned: Option<f64>,
    /// To the messages in the page and laid out (`candor:chat-laid-out`),
    /// before the frame that shows them.
    laid_out: Option<f64>,
}

async fn drive(home: &Path, binary: &Path, args: &[&str], session: usize) -> Result<Driven> {
    let app = App::launch_program(home, binary, args).await?;
    let pid = *app
        .app_pids()?
        .first()
        .context("the app's process was not found")?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle = tree_pss(pid);
    keep_smaps(pid, &format!("driven{session}-idle"));
    let openings = open_twenty_chats(&app).await?;
    // As long as the idle figure waited: what stays, not what is being freed.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after_chats = tree_pss(pid);
    keep_smaps(pid, &format!("driven{session}-chats"));
    app.quit().await?;
    Ok(Driven {
        idle,
        after_chats,
        openings,
    })
}

fn main() -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> Result<()> {
    let app_binary = required_path("CANDOR_APP_BINARY")?;
    let floor_binary = required_path("CANDOR_FLOOR_BINARY")?;
    let app_deb = required_path("CANDOR_APP_DEB")?;
    let floor_deb = required_path("CANDOR_FLOOR_DEB")?;
    let chats = env_number("CANDOR_BENCH_CHATS", 10_000);
    let messages = env_number("CANDOR_BENCH_MESSAGES", 1_000_000);
    let runs = env_number("CANDOR_BENCH_RUNS", 5);

    // A relay that takes connections and never answers: sync can't finish.
    let silent_relay = std::net::TcpListener::bind("127.0.0.1:0")?;
    let relay_url = format!("http://{}", silent_relay.local_addr()?);

    let dir = tempfile::tempdir()?;
    let home = match std::env::var_os("CANDOR_BENCH_HOME") {
        Some(kept) => PathBuf::from(kept),
        None => dir.path().join("home"),
    };
    let t = Instant::now();
    let profile = ProfileDir::in_data_home(&home, &ProfileName::new(PROFILE)?);
    if profile.database().exists() {
        // A kept profile: only its relay changes.
        let mut store = Store::open(&profile.database())?;
        let mut account = store
            .profile()?
            .context("the kept profile has no account")?;
        account.relay_url = relay_url.clone();
        store.set_profile(&account)?;
    } else {
        seed(&profile, chats, messages, &relay_url)?;
    }
    let db_size = std::fs::metadata(profile.database())?.len();
    println!(
        "profile of {chats} chats with {messages} messages ready in {:.1?} ({:.0} MiB of database)",
        t.elapsed(),
        db_size as f64 / 1_048_576.0
    );
    for d in ["config", "cache"] {
        std::fs::create_dir_all(home.join(d))?;
    }

    let desk = Desk {
        display: Display::start()?,
        bus: SessionBus::start()?,
        home: home.clone(),
    };
    let app_args = ["--profile", PROFILE];
    // Warm-up: the first start pays for cold caches (and any migration).
    launch(&desk, &app_binary, &app_args)?;
    launch(&desk, &floor_binary, &[])?;
    let (mut app_runs, mut floor_runs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        app_runs.push(launch(&desk, &app_binary, &app_args)?);
        floor_runs.push(launch(&desk, &floor_binary, &[])?);
    }

    // Opening chats, through WebDriver on the same binary and profile, in
    // several sessions: what a web process keeps after the same work varies
    // from one session to the next by tens of MiB (how its heap happened to be
    // laid out), so one session is no figure.
    let mut driven = Vec::new();
    for session in 0..runs.clamp(1, 3) {
        driven.push(drive(&home, &app_binary, &app_args, session).await?);
    }
    drop(silent_relay);
    driven.sort_by_key(|d| total_kib(&d.after_chats));
    let middle = &driven[driven.len() / 2];
    let (driven_idle, after_chats_procs) = (&middle.idle, &middle.after_chats);
    let after_chats_kib = total_kib(after_chats_procs);

    let ms = |runs: &[Launch]| {
        median(
            runs.iter()
                .map(|r| r.interactive.as_secs_f64() * 1e3)
                .collect(),
        )
    };
    let mib = |runs: &[Launch]| {
        median(
            runs.iter()
                .map(|r| r.idle_pss_kib as f64 / 1024.0)
                .collect(),
        )
    };
    let (app_tti, floor_tti) = (ms(&app_runs), ms(&floor_runs));
    let (app_idle, floor_idle) = (mib(&app_runs), mib(&floor_runs));
    let after_chats = after_chats_kib as f64 / 1024.0;
    let (app_deb_size, floor_deb_size) = (
        std::fs::metadata(&app_deb)?.len() as f64 / 1_048_576.0,
        std::fs::metadata(&floor_deb)?.len() as f64 / 1_048_576.0,
    );

    println!(
        "\nmedians of {runs} launches each, after one warm-up, and of {} sessions opening chats; \
         profile: {chats} chats, {messages} messages",
        driven.len()
    );
    println!("{:<38} {:>10} {:>10} {:>7}", "", "candor", "floor", "ratio");
    println!(
        "{:<38} {:>7.0} ms {:>7.0} ms {:>6.2}x",
        "start to interactive inbox",
        app_tti,
        floor_tti,
        app_tti / floor_tti
    );
    println!(
        "{:<38} {:>6.0} MiB {:>6.0} MiB {:>6.2}x",
        format!(
            "PSS after 10 s idle ({} processes)",
            app_runs[0].processes.len()
        ),
        app_idle,
        floor_idle,
        app_idle / floor_idle
    );
    println!(
        "{:<38} {:>6.0} MiB {:>6.0} MiB {:>6.2}x",
        format!(
            "PSS after opening 20 chats ({} proc.)",
            after_chats_procs.len()
        ),
        after_chats,
        floor_idle,
        after_chats / floor_idle
    );
    println!(
        "{:<38} {:>6.1} MiB {:>6.1} MiB {:>6.2}x",
        ".deb size",
        app_deb_size,
        floor_deb_size,
        app_deb_size / floor_deb_size
    );
    println!(
        "PSS by process (MiB): idle candor: {}; floor: {}; through WebDriver, 10 s idle: {}; \
         then 10 s after opening 20 chats: {}",
        breakdown(&app_runs[0].processes),
        breakdown(&floor_runs[0].processes),
        breakdown(driven_idle),
        breakdown(after_chats_procs),
    );
    println!(
        "PSS after opening 20 chats, each session through WebDriver (MiB): {:?}",
        driven
            .iter()
            .map(|d| total_kib(&d.after_chats) / 1024)
            .collect::<Vec<_>>()
    );
    let openings: Vec<Opening> = driven
        .iter()
        .flat_map(|d| d.openings.iter().copied())
        .collect();
    let shown: Vec<f64> = openings.iter().map(|o| o.shown).collect();
    println!(
        "opening a chat, click to the first frame with its messages ({} openings): \
         median {:.0} ms, slowest {:.0} ms",
        shown.len(),
        median(shown.clone()),
        shown.iter().copied().fold(0.0, f64::max)
    );
    type Step = (&'static str, fn(&Opening) -> Option<f64>);
    let steps: [Step; 3] = [
        ("the page command's call", |o| o.asked),
        ("the page command's answer", |o| o.page_returned),
        ("the messages laid out", |o| o.laid_out),
    ];
    for (step, at) in steps {
        let took: Vec<f64> = openings.iter().filter_map(at).collect();
        if !took.is_empty() {
            println!(
                "  of which click to {step}: median {:.0} ms, slowest {:.0} ms",
                median(took.clone()),
                took.iter().copied().fold(0.0, f64::max)
            );
        }
    }
    println!(
        "each launch (ms): candor {:?}, floor {:?}",
        app_runs
            .iter()
            .map(|r| r.interactive.as_millis())
            .collect::<Vec<_>>(),
        floor_runs
            .iter()
            .map(|r| r.interactive.as_millis())
            .collect::<Vec<_>>()
    );
    println!();
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    let memory = app_idle.max(after_chats) / floor_idle;
    println!(
        "{} memory {memory:.2}x the floor (target <= 1.3x)",
        verdict(memory <= 1.3)
    );
    let tti = app_tti / floor_tti;
    println!(
        "{} time to interactive {tti:.2}x the floor (target <= 1.5x), with a relay that never answers",
        verdict(tti <= 1.5)
    );
    let (typical, slowest) = (
        median(shown.clone()),
        shown.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "{} opening a chat: median {typical:.0} ms, slowest {slowest:.0} ms (target <= 16 ms, <= 50 ms)",
        verdict(typical <= 16.0 && slowest <= 50.0)
    );
    Ok(())
}
