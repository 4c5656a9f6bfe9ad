//! The wire protocol has no way to delete, unsend or hide a message for anyone
//! else: "Delete for me" is local. This reads every source file of the crate
//! (comments aside), so adding such a type, variant or field fails here.

use std::path::Path;

const FORBIDDEN: &[&str] = &["delete", "unsend", "retract", "recall", "revoke", "hide"];

#[test]
fn protocol_has_no_delete_or_unsend() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = 0;
    for entry in std::fs::read_dir(&src).expect("src dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("source");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let lower = code.to_lowercase();
            for word in FORBIDDEN {
                assert!(
                    !lower.contains(word),
                    "{}:{}: the wire protocol must not carry a `{word}`: {line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
    assert!(
        files >= 3,
        "expected the crate's sources in {}",
        src.display()
    );
}
