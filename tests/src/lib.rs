//! Harness for end-to-end tests: the real app window (this module), and real
//! relays with candor-core clients ([`sync`]).
//!
//! Each test gets its own X display (Xvfb), its own tauri-driver (which starts
//! WebKitWebDriver and the app binary) and its own data directory, so tests never
//! share state. Everything started here is stopped with SIGTERM when dropped, as
//! tauri-driver needs to stop its WebKitWebDriver child cleanly.
//!
//! The app binary and tauri-driver are found through `CANDOR_APP_BINARY` and
//! `CANDOR_TAURI_DRIVER` (set by `cargo xtask test`), or in their usual places.

pub mod cluster;
pub mod nemesis;
pub mod oembed;
mod process;
mod screen;
pub mod sync;
pub mod tls;
mod world;

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result, bail};
use thirtyfour::prelude::*;

pub use process::{Display, Notifier, SessionBus, TauriDriver, desktop_env};
pub use screen::FocusElsewhere;
pub use world::{PASSWORD, World, person};

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// The app binary under test.
pub fn app_binary() -> Result<PathBuf> {
    let path = std::env::var_os("CANDOR_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/candor"));
    if !path.is_file() {
        bail!(
            "the app binary {} does not exist: build it first (cargo xtask test does)",
            path.display()
        );
    }
    Ok(path)
}

/// Where libayatana-appindicator puts the app's tray item (Tauri's tray id "main").
const TRAY_ITEM_PATH: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_main";

/// One app at a time: WebKit start-up is heavy on a 2-core machine, and tests that
/// run side by side would only slow each other past their timeouts.
static ONE_APP_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A running Candor window with a WebDriver session on it.
#[derive(Debug)]
pub struct App {
    pub driver: WebDriver,
    /// The notification server, when launched with one.
    pub notifier: Option<Notifier>,
    _tauri_driver: TauriDriver,
    pub bus: SessionBus,
    pub display: Display,
    data_home: PathBuf,
    /// The binary the app runs from.
    binary: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

impl App {
    /// Launches the app on `profile`, with `data_home` as its XDG data directory.
    pub async fn launch(data_home: &Path, profile: &str) -> Result<Self> {
        Self::launch_with(data_home, profile, false).await
    }

    /// Like `launch`, with a notification server (dunst) on the app's bus when
    /// `notifications` is set.
    pub async fn launch_with(data_home: &Path, profile: &str, notifications: bool) -> Result<Self> {
        let args = ["--profile", profile];
        Self::launch_inner(data_home, &app_binary()?, &args, notifications, &[]).await
    }

    /// Like `launch`, with `env` added to the app's environment.
    pub async fn launch_env(data_home: &Path, profile: &str, env: &[(&str, &str)]) -> Result<Self> {
        let args = ["--profile", profile];
        Self::launch_inner(data_home, &app_binary()?, &args, false, env).await
    }

    /// Launches `binary` with `args` (an installed app, started as its desktop
    /// entry says), with `data_home` as its XDG data directory.
    pub async fn launch_program(data_home: &Path, binary: &Path, args: &[&str]) -> Result<Self> {
        Self::launch_inner(data_home, binary, args, false, &[]).await
    }

    async fn launch_inner(
        data_home: &Path,
        binary: &Path,
        args: &[&str],
        notifications: bool,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        let turn = ONE_APP_AT_A_TIME.lock().await;
        let display = Display::start()?;
        let bus = SessionBus::start()?;
        let notifier = if notifications {
            Some(Notifier::start(&display, &bus)?)
        } else {
            None
        };
        let tauri_driver = TauriDriver::start(&display, &bus, data_home, env)?;
        let mut caps = Capabilities::new();
        caps.set(
            "tauri:options",
            serde_json::json!({
                "application": binary,
                "args": args,
            }),
        )?;
        let driver = WebDriver::new(tauri_driver.url(), caps)
            .await
            .map_err(|e| anyhow::anyhow!("starting a WebDriver session on the app: {e:?}"))?;
        let app = Self {
            driver,
            notifier,
            _tauri_driver: tauri_driver,
            bus,
            display,
            data_home: data_home.to_path_buf(),
            binary: binary.to_path_buf(),
            _turn: turn,
        };
        app.wait_ready().await?;
        Ok(app)
    }

    /// Waits until the UI says its first screen has its data (`html[data-ready]`).
    async fn wait_ready(&self) -> Result<()> {
        self.driver
            .query(By::Css("html[data-ready]"))
            .wait(Duration::from_secs(30), Duration::from_millis(100))
            .first()
            .await
            .context("the app never became ready")?;
        Ok(())
    }

    /// The first element matching `css`, waiting up to 10 s for one to appear.
    ///
    /// A node can go between WebKitWebDriver finding it and making its handle (a
    /// virtual list re-rendering while it measures its rows): that reports a stale
    /// element, and the search simply runs again until the deadline.
    pub async fn find(&self, css: &str) -> Result<WebElement> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let found = self
                .driver
                .query(By::Css(css))
                .wait(left, Duration::from_millis(100))
                .first()
                .await;
            match found {
                Err(e)
                    if matches!(
                        e.as_inner(),
                        thirtyfour::error::WebDriverErrorInner::StaleElementReference(_)
                    ) && !left.is_zero() =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other.with_context(|| format!("no element matches {css}")),
            }
        }
    }

    /// The rendered text (`innerText`) of every element matching `css`.
    ///
    /// Not WebDriver's "element text": WebKitWebDriver reports an element with
    /// `overflow: hidden` and `text-overflow: ellipsis` as not displayed and its text
    /// as empty, though it is on screen.
    ///
    /// Read in one script, so that a list re-rendering meanwhile (a virtual list
    /// scrolling) cannot leave a stale element between finding and reading.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let value = self
            .driver
            .execute(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);",
                vec![serde_json::Value::String(css.to_owned())],
            )
            .await?;
        Ok(serde_json::from_value(value.json().clone())?)
    }

    /// Saves a screenshot of the app's display under target/e2e-screenshots for a
    /// person to look at (see [`screen`] for why not through WebDriver).
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = workspace_root().join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        // Let two frames paint, so that the window shows the latest change.
        self.driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                Vec::new(),
            )
            .await?;
        screen::capture(&self.display, &path)?;
        Ok(path)
    }

    /// The app binary started by hand in this app's environment (display, bus,
    /// data directories), as a second launch from a desktop would be.
    pub fn launch_again(&self, profile: &str) -> Result<std::process::Child> {
        self.launch_again_with(profile, &[])
    }

    /// Like `launch_again`, with more arguments (a `candor://` link, as the
    /// desktop passes one).
    pub fn launch_again_with(&self, profile: &str, args: &[&str]) -> Result<std::process::Child> {
        Ok(std::process::Command::new(&self.binary)
            .args(["--profile", profile])
            .args(args)
            .envs(desktop_env(&self.display, &self.bus, &self.data_home))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?)
    }

    /// The ids of this app's processes: the app binary running with this app's
    /// data home (so a test never touches another test's app).
    pub fn app_pids(&self) -> Result<Vec<u32>> {
        let binary = self.binary.canonicalize()?;
        Ok(self
            .processes()?
            .into_iter()
            .filter(|(_, exe, _)| *exe == binary)
            .map(|(pid, _, _)| pid)
            .collect())
    }

    /// The environment of this app's WebKit web process (the page's), as
    /// `NAME=value` lines.
    pub fn web_process_env(&self) -> Result<Vec<String>> {
        let (_, _, environ) = self
            .processes()?
            .into_iter()
            .find(|(_, exe, _)| exe.file_name().is_some_and(|n| n == "WebKitWebProcess"))
            .context("no WebKitWebProcess of this app is running")?;
        Ok(environ
            .split(|b| *b == 0)
            .map(|var| String::from_utf8_lossy(var).into_owned())
            .collect())
    }

    /// Every process started for this app (its data home in the environment):
    /// pid, executable, environment.
    fn processes(&self) -> Result<Vec<(u32, PathBuf, Vec<u8>)>> {
        let marker = format!("XDG_DATA_HOME={}", self.data_home.display());
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc")? {
            let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let proc = PathBuf::from(format!("/proc/{pid}"));
            let (Ok(exe), Ok(environ)) = (
                std::fs::read_link(proc.join("exe")),
                std::fs::read(proc.join("environ")),
            ) else {
                continue;
            };
            let ours = environ
                .split(|b| *b == 0)
                .any(|var| var == marker.as_bytes());
            if ours {
                found.push((pid, exe, environ));
            }
        }
        Ok(found)
    }

    /// The text beside the app's tray icon (its StatusNotifierItem's
    /// `XAyatanaLabel`, read over the app's private session bus), or None when
    /// the app has no tray item on the bus.
    pub fn tray_label(&self) -> Result<Option<String>> {
        let bus = format!("--bus={}", self.bus.address());
        let names = std::process::Command::new("dbus-send")
            .args([
                bus.as_str(),
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.ListNames",
            ])
            .output()?;
        let names = String::from_utf8_lossy(&names.stdout).into_owned();
        for name in names
            .lines()
            .filter_map(|l| l.trim().strip_prefix("string \":"))
            .filter_map(|l| l.strip_suffix('"'))
        {
            let dest = format!("--dest=:{name}");
            let out = std::process::Command::new("dbus-send")
                .args([
                    bus.as_str(),
                    "--print-reply",
                    dest.as_str(),
                    TRAY_ITEM_PATH,
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.kde.StatusNotifierItem",
                    "string:XAyatanaLabel",
                ])
                .output()?;
            if !out.status.success() {
                continue;
            }
            let reply = String::from_utf8_lossy(&out.stdout).into_owned();
            if let Some(label) = reply
                .split_once("string \"")
                .and_then(|(_, rest)| rest.rsplit_once('"'))
                .map(|(label, _)| label.to_owned())
            {
                return Ok(Some(label));
            }
        }
        Ok(None)
    }

    /// Types `text` into the field at `css`, replacing what was there, and checks
    /// that every key landed in that field.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        let value = field.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(
            value == text,
            "typed {text:?} into {css}, which reads {value:?}"
        );
        Ok(())
    }

    /// Starts a chat with `handle` from "New chat" and waits until it is
    /// open, titled `name`.
    pub async fn start_chat(&self, handle: &str, name: &str) -> Result<()> {
        self.find("[data-testid=new-chat]").await?.click().await?;
        self.type_into("[data-testid=new-chat-handle]", handle)
            .await?;
        self.find(".new-chat button[type=submit]")
            .await?
            .click()
            .await?;
        self.wait_for_text("[data-testid=chat-title]", name).await
    }

    /// Writes `text` in the open chat's composer and sends it.
    pub async fn send(&self, text: &str) -> Result<()> {
        self.type_into("[data-testid=composer]", text).await?;
        self.find("[data-testid=send]").await?.click().await?;
        Ok(())
    }

    /// Opens the menu of the `index`th message shown (a right-click on it).
    pub async fn message_menu(&self, index: usize) -> Result<()> {
        let rows = self
            .driver
            .find_all(thirtyfour::By::Css("[data-testid=message]"))
            .await?;
        let row = rows
            .get(index)
            .with_context(|| format!("no message {index} is shown"))?;
        row.scroll_into_view().await?;
        self.driver
            .action_chain()
            .context_click_element(row)
            .perform()
            .await?;
        self.find(".message-menu").await?;
        Ok(())
    }

    /// Waits (up to 15 s) until some element matching `css` has exactly `text`
    /// as its rendered text.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let texts = self.texts(css).await?;
            if texts.iter().any(|t| t == text) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("no {css} reads {text:?}; found {texts:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates an account on the first-run screen, against the relay at
    /// `relay_url`, and waits for the (empty) inbox.
    pub async fn sign_up(&self, relay_url: &str, handle: &str, name: &str) -> Result<()> {
        self.type_into("input[name=relay]", relay_url).await?;
        self.type_into("input[name=handle]", handle).await?;
        self.type_into("input[name=display-name]", name).await?;
        self.type_into("input[name=password]", "orchid-lantern-57")
            .await?;
        self.submit_sign_in().await?;
        self.find("[data-testid=inbox-empty]").await?;
        Ok(())
    }

    /// Clicks "Create account" / "Sign in" once the screen has found the relay,
    /// as a person would: until the check answers, the explanation of relays
    /// above the button can still come or go, and a click aimed at the button
    /// would land where it no longer is.
    pub async fn submit_sign_in(&self) -> Result<()> {
        self.find("[data-testid=relay-ok]").await?;
        self.find("[data-testid=sign-in-submit]")
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Waits (up to 20 s) until the elements matching `css` read exactly `want`
    /// (their rendered text, in page order).
    pub async fn wait_for_texts(&self, css: &str, want: &[&str]) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let texts = self.texts(css).await?;
            if texts == want {
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "{css} reads {texts:?}, not {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Scrolls the element at `css` into view (a long dialog scrolls) and
    /// clicks it.
    pub async fn click_in_view(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.driver
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' });",
                vec![element.to_json()?],
            )
            .await?;
        element.click().await?;
        Ok(())
    }

    /// Turns the mouse wheel `clicks` notches over the middle of the element at
    /// `css`, up when `up`: real X button events (xdotool) through the window
    /// toolkit into the web view, as a person's mouse sends them. WebDriver's own
    /// wheel actions are dispatched inside the page and would not notice a web
    /// view that never receives the wheel.
    pub async fn wheel(&self, css: &str, up: bool, clicks: u32) -> Result<()> {
        let at = self
            .driver
            .execute(
                "const r = document.querySelector(arguments[0]).getBoundingClientRect();
                 const top = window.screenY + window.outerHeight - window.innerHeight;
                 return [Math.round(window.screenX + r.left + r.width / 2),
                         Math.round(top + r.top + r.height / 2)];",
                vec![serde_json::Value::String(css.to_owned())],
            )
            .await?;
        let (x, y): (i64, i64) = serde_json::from_value(at.json().clone())?;
        let button = if up { "4" } else { "5" };
        let status = std::process::Command::new("xdotool")
            .env("DISPLAY", self.display.name())
            .args(["mousemove", "--sync", &x.to_string(), &y.to_string()])
            .args([
                "click",
                "--repeat",
                &clicks.to_string(),
                "--delay",
                "80",
                button,
            ])
            .status()
            .context("running xdotool")?;
        anyhow::ensure!(status.success(), "xdotool could not turn the wheel");
        Ok(())
    }

    /// Presses Ctrl with `key` (Ctrl+K, Ctrl+Q), wherever the focus is.
    pub async fn press_ctrl(&self, key: &str) -> WebDriverResult<()> {
        self.driver
            .action_chain()
            .key_down(Key::Control)
            .send_keys(key)
            .key_up(Key::Control)
            .perform()
            .await
    }

    /// Every address the app asked the browser to open, in order.
    pub fn browser_opened(&self) -> Vec<String> {
        std::fs::read_to_string(self.data_home.join(process::BROWSER_LOG))
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Kills the app at once (SIGKILL), as a crash or a power cut would stop it.
    pub fn kill_app(&self) -> Result<()> {
        let pids = self.app_pids()?;
        anyhow::ensure!(!pids.is_empty(), "the app is not running");
        for pid in pids {
            std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()?;
        }
        Ok(())
    }

    /// Waits until the app's process has ended (it quit by itself).
    pub async fn wait_exited(&self, within: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        while !self.app_pids()?.is_empty() {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the app is still running"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Ends the session and stops the app, tauri-driver and the display.
    pub async fn quit(self) -> Result<()> {
        self.driver.clone().quit().await?;
        Ok(())
    }
}

impl Drop for App {
    /// A session not ended by `quit` (a test that failed, an app that quit by
    /// itself or was killed) is let go rather than torn down by thirtyfour's
    /// synchronous fallback, which waits two minutes on a dead app; any of the
    /// app's processes still running are stopped directly.
    fn drop(&mut self) {
        let _ = self.driver.clone().leak();
        if let Ok(pids) = self.app_pids() {
            for pid in pids {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}
