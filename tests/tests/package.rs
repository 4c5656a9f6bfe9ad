//! The packages, proved the way a person uses them: install the .deb files, start
//! `candor` as its desktop entry does, meet the first-run screen with no relay,
//! sign up against the relay the relay package installed, chat, upgrade over a
//! profile holding data, and uninstall.
//!
//! It changes the machine (dpkg, as root), so it is ignored by a plain
//! `cargo test`: `cargo xtask test` builds the packages with `cargo xtask bundle`
//! and runs it with `--ignored`, naming them in `CANDOR_APP_DEB` and
//! `CANDOR_RELAY_DEB`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use candor_core::profile_dir::{ProfileDir, ProfileName};
use candor_core::protocol::frames::direct_conversation_id;
use candor_e2e::App;
use candor_e2e::sync::{Device, Relay, eventually};

const DESKTOP_ENTRY: &str = "/usr/share/applications/Candor.desktop";
/// Where `systemctl enable` (deb-systemd-helper) links the relay's service.
const RELAY_ENABLED: &str = "/etc/systemd/system/multi-user.target.wants/candor-relay.service";

/// Runs a command to completion; its output, or an error with what it printed.
fn run(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .with_context(|| format!("starting {program}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "`{program} {}` failed ({}):\n{stdout}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// `dpkg -i`, then `apt-get -f install` for any dependency dpkg could not settle.
fn install(debs: &[&Path]) -> Result<()> {
    let mut args = vec!["-i".to_owned()];
    args.extend(debs.iter().map(|d| d.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dpkg = run("dpkg", &args);
    run("apt-get", &["-f", "install", "-y", "-q"])?;
    dpkg.map(drop).or_else(|e| {
        // Only a dependency problem that apt-get has now fixed is forgiven.
        ensure!(installed_version("candor").is_some(), "{e:#}");
        Ok(())
    })
}

/// The installed version of `package`, if it is installed.
fn installed_version(package: &str) -> Option<String> {
    let status = run("dpkg-query", &["-W", "-f=${Status} ${Version}", package]).ok()?;
    status
        .strip_prefix("install ok installed ")
        .map(str::to_owned)
}

fn purge(package: &str) -> Result<()> {
    if run("dpkg-query", &["-W", package]).is_ok() {
        run("dpkg", &["--purge", package])?;
    }
    Ok(())
}

fn deb_from_env(var: &str) -> Result<PathBuf> {
    let path = PathBuf::from(
        std::env::var_os(var)
            .with_context(|| format!("{var} is not set: run this through cargo xtask test"))?,
    );
    ensure!(path.is_file(), "{var}: {} is not a file", path.display());
    Ok(path)
}

/// The value of `key` in the desktop entry's main group.
fn entry_field<'a>(entry: &'a str, key: &str) -> Option<&'a str> {
    entry
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// The program and arguments of an `Exec` line, without the field codes
/// (`%U`: the links a desktop passes, none here).
fn exec_command(exec: &str) -> Result<(PathBuf, Vec<String>)> {
    let mut words = exec
        .split_whitespace()
        .filter(|w| !(w.len() == 2 && w.starts_with('%')));
    let program = words.next().context("an empty Exec line")?;
    let resolved = if program.contains('/') {
        PathBuf::from(program)
    } else {
        PathBuf::from(run("sh", &["-c", &format!("command -v {program}")])?.trim())
    };
    Ok((resolved, words.map(str::to_owned).collect()))
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

/// Waits until no process runs `program`: the app has finished writing.
async fn wait_until_stopped(program: &Path) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let running = std::fs::read_dir("/proc")?
            .filter_map(|e| e.ok())
            .any(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == program));
        if !running {
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{} is still running",
            program.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The same package with a higher version, as the next release would be.
fn next_version_of(deb: &Path, work: &Path) -> Result<(PathBuf, String)> {
    let tree = work.join("upgrade-tree");
    run(
        "dpkg-deb",
        &[
            "-R",
            &deb.display().to_string(),
            &tree.display().to_string(),
        ],
    )?;
    let control_path = tree.join("DEBIAN/control");
    let control = std::fs::read_to_string(&control_path)?;
    let version = entry_field(&control.replace(": ", "="), "Version")
        .context("no Version in the package")?
        .to_owned();
    let next = format!("{version}+upgrade1");
    std::fs::write(
        &control_path,
        control.replace(&format!("Version: {version}"), &format!("Version: {next}")),
    )?;
    let out = work.join("candor-next.deb");
    run(
        "dpkg-deb",
        &[
            "--root-owner-group",
            "-b",
            &tree.display().to_string(),
            &out.display().to_string(),
        ],
    )?;
    Ok((out, next))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "installs system packages (root): cargo xtask test runs it after cargo xtask bundle"]
async fn install_launch_from_the_desktop_entry_chat_upgrade_and_uninstall() -> Result<()> {
    let app_deb = deb_from_env("CANDOR_APP_DEB")?;
    let relay_deb = deb_from_env("CANDOR_RELAY_DEB")?;
    ensure!(
        run("id", &["-u"])?.trim() == "0",
        "installing packages needs root"
    );
    // An earlier run that failed half-way may have left them installed.
    purge("candor")?;
    purge("candor-relay")?;
    install(&[&app_deb, &relay_deb])?;
    let version = installed_version("candor").context("candor is not installed")?;
    ensure!(installed_version("candor-relay").is_some());

    // What the app package put on the system: a valid desktop entry that says
    // what Candor is, its icons, and the handler for candor:// links.
    let entry = std::fs::read_to_string(DESKTOP_ENTRY)?;
    run("desktop-file-validate", &[DESKTOP_ENTRY])?;
    for (key, want) in [
        ("Name", "Candor"),
        ("Comment", "The honest desktop inbox"),
        ("Categories", "Network;InstantMessaging;"),
        ("MimeType", "x-scheme-handler/candor;"),
        ("StartupWMClass", "candor"),
        ("Icon", "candor"),
    ] {
        ensure!(
            entry_field(&entry, key) == Some(want),
            "{key} in {DESKTOP_ENTRY}:\n{entry}"
        );
    }
    for size in ["32x32", "128x128", "256x256@2"] {
        let icon = format!("/usr/share/icons/hicolor/{size}/apps/candor.png");
        ensure!(Path::new(&icon).is_file(), "no icon {icon}");
    }
    ensure!(
        run("xdg-mime", &["query", "default", "x-scheme-handler/candor"])?.trim()
            == "Candor.desktop"
    );
    // The relay package: its binary, its service and the account it runs as.
    let unit = std::fs::read_to_string("/lib/systemd/system/candor-relay.service")?;
    ensure!(unit.contains("ExecStart=/usr/bin/candor-relay"), "{unit}");
    ensure!(unit.contains("StateDirectory=candor-relay"), "{unit}");
    run("getent", &["passwd", "candor-relay"])?;
    run(
        "systemd-analyze",
        &["verify", "/lib/systemd/system/candor-relay.service"],
    )?;
    ensure!(
        Path::new(RELAY_ENABLED).exists(),
        "the relay service is not enabled"
    );

    let dir = tempfile::tempdir()?;
    let relay = Relay::start_binary(
        Path::new("/usr/bin/candor-relay"),
        dir.path().join("relay"),
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let mut bob = Device::sign_up(&relay.url(), dir.path(), "bob", "Bob Stone").await?;
    bob.go_online()?;

    // Started as the desktop starts it, with no profile chosen.
    let (program, args) = exec_command(entry_field(&entry, "Exec").context("no Exec")?)?;
    ensure!(program == Path::new("/usr/bin/candor"), "{program:?}");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let app = App::launch_program(&home, &program, &args).await?;

    // First run, and no relay answers at the default address: the screen says
    // what a relay is and how to get one.
    let default_free = std::net::TcpStream::connect("127.0.0.1:7878").is_err();
    let missing = if default_free {
        "http://127.0.0.1:7878".to_owned()
    } else {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let url = format!("http://{closed}");
        app.type_into("input[name=relay]", &url).await?;
        url
    };
    app.wait_for_text(
        "#relay-help-title",
        &format!("No relay answers at {missing}"),
    )
    .await?;
    let help = app.texts("[data-testid=relay-help]").await?.join("\n");
    ensure!(
        help.contains("a small server that keeps accounts and passes messages")
            && help.contains("install the candor-relay package"),
        "{help}"
    );
    app.screenshot("installed-first-run-no-relay").await?;
    app.find("[data-testid=relay-help-link]")
        .await?
        .click()
        .await?;
    eventually(Duration::from_secs(10), "the README opens", || {
        app.browser_opened()
            .iter()
            .any(|u| u.ends_with("#run-a-relay"))
    })
    .await?;

    // The window is the one the desktop entry names (WM_CLASS "candor").
    let windows = Command::new("xdotool")
        .args(["search", "--class", "^candor$"])
        .env("DISPLAY", app.display.name())
        .output()?;
    ensure!(
        !String::from_utf8_lossy(&windows.stdout).trim().is_empty(),
        "no window of class candor"
    );

    // Sign up against the relay; the address is checked as it is typed.
    app.type_into("input[name=relay]", &relay.url()).await?;
    app.find("[data-testid=relay-ok]").await?;
    app.sign_up(&relay.url(), "ana", "Ana").await?;
    app.find("[data-testid=new-chat]").await?.click().await?;
    app.type_into("[data-testid=new-chat-handle]", "bob")
        .await?;
    app.find(".new-chat button[type=submit]")
        .await?
        .click()
        .await?;
    app.wait_for_text("[data-testid=chat-title]", "Bob Stone")
        .await?;
    app.type_into("[data-testid=composer]", "Sent from the installed app")
        .await?;
    app.find("[data-testid=send]").await?.click().await?;
    let ana_id = candor_core::account::RelayClient::new(&relay.url())?
        .lookup(&bob.token, "ana")
        .await?
        .id;
    let chat = direct_conversation_id(ana_id, bob.user.id);
    eventually(
        Duration::from_secs(20),
        "bob receives ana's message",
        || bob.has_message_reading(chat, "Sent from the installed app"),
    )
    .await?;
    // Sent: Bob has it (above), and as a Request it tells Ana nothing more.
    app.wait_for_text("[data-testid=message-status]", "Sent")
        .await?;
    app.screenshot("installed-app-sent").await?;
    app.quit().await?;
    wait_until_stopped(&program).await?;

    // An upgrade over a profile holding data leaves the data as it was, and the
    // new version opens it.
    let profile = ProfileDir::in_data_home(&home, &ProfileName::new(ProfileName::DEFAULT)?);
    let profile = profile.path();
    let before = snapshot(profile)?;
    ensure!(
        before.keys().any(|p| p.ends_with("candor.db")),
        "{before:?}"
    );
    let (next_deb, next) = next_version_of(&app_deb, dir.path())?;
    install(&[&next_deb])?;
    ensure!(installed_version("candor").as_deref() == Some(next.as_str()));
    ensure!(next != version);
    ensure!(
        snapshot(profile)? == before,
        "the upgrade changed the profile"
    );
    let app = App::launch_program(&home, &program, &args).await?;
    app.wait_for_text("[data-testid=inbox-title]", "Bob Stone")
        .await?;
    app.find("[data-testid=inbox-row]").await?.click().await?;
    app.wait_for_text("[data-testid=message] .text", "Sent from the installed app")
        .await?;
    app.quit().await?;
    wait_until_stopped(&program).await?;
    relay.stop().await?;

    // Uninstall: the package's files go, the person's data stays.
    let kept = snapshot(profile)?;
    run("dpkg", &["--remove", "candor"])?;
    run("dpkg", &["--purge", "candor"])?;
    ensure!(installed_version("candor").is_none());
    for gone in [
        "/usr/bin/candor",
        DESKTOP_ENTRY,
        "/usr/share/icons/hicolor/128x128/apps/candor.png",
    ] {
        ensure!(!Path::new(gone).exists(), "{gone} is still there");
    }
    ensure!(
        run("xdg-mime", &["query", "default", "x-scheme-handler/candor"])?
            .trim()
            .is_empty()
    );
    ensure!(
        snapshot(profile)? == kept,
        "uninstalling changed the profile"
    );
    run("dpkg", &["--purge", "candor-relay"])?;
    ensure!(!Path::new("/usr/bin/candor-relay").exists());
    ensure!(!Path::new("/lib/systemd/system/candor-relay.service").exists());
    ensure!(run("getent", &["passwd", "candor-relay"]).is_err());
    ensure!(!Path::new(RELAY_ENABLED).exists());
    Ok(())
}
