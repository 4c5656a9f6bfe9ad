//! Each command's arguments and result, read from its `#[tauri::command]`
//! signature in this crate's source and written as the `Commands` type of
//! `bindings.ts`, so `api.ts` cannot call a command with the wrong arguments
//! or expect the wrong answer without svelte-check saying so.
//!
//! Why read the source rather than use tauri-specta: the commands already
//! take and return ts-rs types, and tauri-specta would bring a second type
//! exporter (specta) in a release-candidate version for every one of them.
//! What Tauri itself does with a signature is simple and fixed: arguments
//! arrive by their camelCase name, the injected ones (state, app handle,
//! window) are not sent, and `Result<T, CommandError>` answers `T` or
//! throws. That is all this module models; a type it does not know (a
//! generic other than `Option`, `Vec` or `Result`, a tuple, a slice) is an
//! error naming the command, never a guess.

use std::path::Path;

use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};

/// One command as the window calls it.
#[derive(Debug, PartialEq, Eq)]
pub struct Signature {
    /// The Rust name: `send_message`.
    pub name: String,
    /// `(camelCase name, TypeScript type)` for each argument the window sends.
    pub args: Vec<(String, String)>,
    /// The TypeScript type of the answer.
    pub result: String,
    /// The TypeScript names of the generated types it refers to.
    pub uses: Vec<String>,
}

/// Arguments Tauri fills in itself; the window never sends them.
/// (`Request` is the call itself: its raw body, a file's bytes, is sent with
/// `invoke(name, bytes)`, not as a named argument.)
const INJECTED: &[&str] = &[
    "State",
    "AppHandle",
    "Window",
    "WebviewWindow",
    "Webview",
    "Request",
];

/// Every `#[tauri::command]` function in the `.rs` files under `dir`.
pub fn read(dir: &Path) -> Result<Vec<Signature>, String> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    collect_rs(dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    files.sort();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let parsed = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        commands_in(&parsed.items, &mut out).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(out)
}

fn collect_rs(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rs(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

fn commands_in(items: &[Item], out: &mut Vec<Signature>) -> Result<(), String> {
    for item in items {
        match item {
            Item::Fn(f) if f.attrs.iter().any(is_command_attr) => out.push(signature(f)?),
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    commands_in(inner, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_command_attr(attr: &syn::Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["tauri", "command"]
}

fn signature(f: &syn::ItemFn) -> Result<Signature, String> {
    let name = f.sig.ident.to_string();
    let mut uses = Vec::new();
    let mut args = Vec::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(arg) = input else {
            return Err(format!("{name} takes self"));
        };
        if last_ident(&arg.ty).is_some_and(|i| INJECTED.contains(&i.as_str())) {
            continue;
        }
        let syn::Pat::Ident(ident) = &*arg.pat else {
            return Err(format!("{name}: an argument is a pattern, not a name"));
        };
        let ts = ts_type(&arg.ty, &mut uses).map_err(|e| format!("{name}: {e}"))?;
        args.push((camel_case(&ident.ident.to_string()), ts));
    }
    let result = match &f.sig.output {
        ReturnType::Default => "void".to_owned(),
        ReturnType::Type(_, ty) => match generic_args(ty, "Result") {
            Some(args) => match args.as_slice() {
                [ok, err] if last_ident(err).as_deref() == Some("CommandError") => {
                    ts_type(ok, &mut uses)
                }
                _ => Err("a Result whose error is not CommandError".to_owned()),
            },
            None => ts_type(ty, &mut uses),
        }
        .map_err(|e| format!("{name}: {e}"))?,
    };
    uses.sort();
    uses.dedup();
    Ok(Signature {
        name,
        args,
        result,
        uses,
    })
}

/// The TypeScript for a Rust type as serde sends it.
fn ts_type(ty: &Type, uses: &mut Vec<String>) -> Result<String, String> {
    match ty {
        Type::Reference(r) => ts_type(&r.elem, uses),
        Type::Tuple(t) if t.elems.is_empty() => Ok("void".to_owned()),
        Type::Path(p) => {
            let last = p.path.segments.last().ok_or("an empty type path")?;
            let ident = last.ident.to_string();
            if let Some(inner) = generic_args(ty, "Option") {
                return Ok(format!("{} | null", ts_type(one(&inner, "Option")?, uses)?));
            }
            if let Some(inner) = generic_args(ty, "Vec") {
                return Ok(format!("Array<{}>", ts_type(one(&inner, "Vec")?, uses)?));
            }
            if !matches!(last.arguments, PathArguments::None) {
                return Err(format!("the generic type {ident} is not modelled"));
            }
            Ok(match ident.as_str() {
                "String" | "str" => "string".to_owned(),
                "bool" => "boolean".to_owned(),
                "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
                | "f32" | "f64" => "number".to_owned(),
                _ => {
                    uses.push(ident.clone());
                    ident
                }
            })
        }
        _ => Err("a type that is neither a name nor a reference".to_owned()),
    }
}

/// The type arguments of `ty` when it is `wanted<…>`.
fn generic_args<'a>(ty: &'a Type, wanted: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != wanted {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
    )
}

fn one<'a>(args: &[&'a Type], of: &str) -> Result<&'a Type, String> {
    match args {
        [t] => Ok(t),
        _ => Err(format!("{of} with {} type arguments", args.len())),
    }
}

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => last_ident(&r.elem),
        _ => None,
    }
}

/// `relay_url` → `relayUrl`: the names Tauri gives command arguments and the
/// UI gives commands.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Vec<Signature>, String> {
        let file = syn::parse_file(src).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        commands_in(&file.items, &mut out)?;
        Ok(out)
    }

    #[test]
    fn a_signature_becomes_what_the_window_sends_and_gets() {
        let got = parse(
            "mod inner {
                #[tauri::command]
                pub async fn mute_chat(app: tauri::AppHandle, state: State<'_, AppState>,
                    conversation: ConversationId, mute_for: Option<MuteFor>, tags: Vec<&str>)
                    -> Result<Vec<Option<InboxItem>>, CommandError> { Ok(Vec::new()) }
            }
            fn not_a_command(x: u32) {}
            #[tauri::command]
            pub async fn link_preview(text: String) -> Option<LinkPreview> { None }
            #[tauri::command]
            pub fn ready() {}",
        )
        .expect("parses");
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            Signature {
                name: "mute_chat".into(),
                args: vec![
                    ("conversation".into(), "ConversationId".into()),
                    ("muteFor".into(), "MuteFor | null".into()),
                    ("tags".into(), "Array<string>".into()),
                ],
                result: "Array<InboxItem | null>".into(),
                uses: vec![
                    "ConversationId".into(),
                    "InboxItem".into(),
                    "MuteFor".into()
                ],
            }
        );
        assert_eq!(got[1].result, "LinkPreview | null");
        assert_eq!((got[2].args.len(), got[2].result.as_str()), (0, "void"));
    }

    #[test]
    fn an_unmodelled_type_is_refused_by_name() {
        let err = parse(
            "#[tauri::command] pub async fn f(pair: (u32, u32)) -> Result<(), CommandError> {}",
        )
        .expect_err("a tuple");
        assert!(err.starts_with("f: "), "{err}");
        let err = parse("#[tauri::command] pub async fn g() -> Result<u32, String> {}")
            .expect_err("not CommandError");
        assert!(err.contains("CommandError"), "{err}");
        let err = parse("#[tauri::command] pub async fn h(m: HashMap<String, u32>) {}")
            .expect_err("a map");
        assert!(err.contains("HashMap"), "{err}");
    }
}
