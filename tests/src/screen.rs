//! Screenshots of a test's X display, read from the X server itself.
//!
//! Not WebDriver's screenshot: WebKitWebDriver takes it from the web view's
//! compositor, which fails when a web view paints without one (as Candor's did
//! for a while, see src-tauri/src/webview.rs), and shows only the page. The X
//! server holds what a person would see: the window as painted, with any
//! notification over it.

use std::path::Path;

use anyhow::{Context, Result, bail};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat, ImageOrder};

use crate::Display;

/// Saves the whole screen of `display` as a PNG at `path`.
pub fn capture(display: &Display, path: &Path) -> Result<()> {
    let name = display.name();
    let (conn, screen_number) =
        x11rb::connect(Some(&name)).with_context(|| format!("connecting to X display {name}"))?;
    let setup = conn.setup();
    let screen = &setup.roots[screen_number];
    let (width, height) = (screen.width_in_pixels, screen.height_in_pixels);
    let image = conn
        .get_image(
            ImageFormat::Z_PIXMAP,
            screen.root,
            0,
            0,
            width,
            height,
            u32::MAX,
        )?
        .reply()
        .context("reading the screen's pixels")?;
    // Xvfb's 24-bit screens keep a pixel in 32 bits, blue in the lowest byte.
    let format = setup
        .pixmap_formats
        .iter()
        .find(|f| f.depth == image.depth)
        .context("the X server lists no pixmap format for its own depth")?;
    if image.depth != 24
        || format.bits_per_pixel != 32
        || setup.image_byte_order != ImageOrder::LSB_FIRST
    {
        bail!(
            "screen pixels are {} bits deep in {} bits ({:?}): only 24 in 32, least significant byte first, is read",
            image.depth,
            format.bits_per_pixel,
            setup.image_byte_order
        );
    }
    let rgb: Vec<u8> = image
        .data
        .chunks_exact(4)
        .flat_map(|bgrx| [bgrx[2], bgrx[1], bgrx[0]])
        .collect();
    let picture = image::RgbImage::from_raw(width.into(), height.into(), rgb)
        .context("the screen's pixels do not fill its size")?;
    picture
        .save_with_format(path, image::ImageFormat::Png)
        .with_context(|| format!("saving {}", path.display()))
}

/// Another X window (xmessage) holding the input focus, closed on drop.
#[derive(Debug)]
pub struct FocusElsewhere(std::process::Child);

impl FocusElsewhere {
    pub fn start(display: &str) -> Result<Self> {
        let child = std::process::Command::new("xmessage")
            .args(["-display", display, "-name", "elsewhere", "another app"])
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let guard = Self(child);
        let focused = std::process::Command::new("xdotool")
            .env("DISPLAY", display)
            .args([
                "search",
                "--sync",
                "--classname",
                "elsewhere",
                "windowfocus",
                "--sync",
            ])
            .status()?;
        anyhow::ensure!(focused.success(), "xdotool could not move the focus");
        Ok(guard)
    }
}

impl Drop for FocusElsewhere {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
