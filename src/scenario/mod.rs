//! Scenario files: format, validation, overlays.
//!
//! Two phases, as in ripgrep's config handling: TOML text is parsed into a spanned tree
//! ([`tree`]), overlays are merged into it ([`overlay`]), then the typed reader ([`read`],
//! [`schema`]) builds a validated [`Scenario`] and collects every problem with its file, line,
//! column and key path. Nothing here knows about the model's internals or about output files.

pub mod behaviour;
pub mod builtin;
pub mod claims;
mod claims_file;
pub mod date;
pub mod diag;
pub mod names;
pub mod overlay;
pub mod read;
pub mod schema;
pub mod source;
pub mod starter;
pub mod template;
pub mod tree;
pub mod uncertain;

use std::path::Path;

pub use diag::LoadError;
pub use overlay::OverlayInfo;
pub use read::{ParamRecord, Provenance};
pub use schema::*;

/// Largest scenario or overlay file negsim reads, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Deepest nesting of tables and arrays accepted in a file.
pub const MAX_NESTING: usize = 32;

/// A text to load: a display path and its contents.
#[derive(Clone, Debug)]
pub struct Text {
    /// Path shown in messages.
    pub path: String,
    /// Contents.
    pub text: String,
}

impl Text {
    /// Reads a file, refusing unreadable, oversized, non-regular or non-UTF-8 files with a clear
    /// message (see [`read_bounded`]).
    pub fn read(path: &Path, what: &str) -> Result<Text, LoadError> {
        let shown = path.display().to_string();
        let bytes = read_bounded(path, what, MAX_FILE_BYTES).map_err(LoadError::plain)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            LoadError::plain(format!(
                "{what} '{shown}' is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(Text { path: shown, text })
    }
}

/// How long a pipe may stay silent before a read gives up.
pub const PIPE_SILENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads at most `limit` bytes of the file at `path`, the one way negsim reads an input file.
/// - A directory, a device (`/dev/zero`, `/dev/urandom`), a socket: refused before reading.
/// - A pipe or process substitution (`validate <(cat baseline.toml)`, a FIFO): read, but opened
///   without blocking, and an error if it sends nothing for [`PIPE_SILENCE`] (a FIFO with no
///   writer once blocked forever).
/// - Anything longer than `limit` is refused after reading `limit + 1` bytes, whatever the file
///   system says its length is (devices report 0).
pub fn read_bounded(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let shown = path.display();
    let cannot = |e: &std::io::Error| format!("cannot read {what} '{shown}': {}", io_reason(e));
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    let ft = meta.file_type();
    let pipe = is_pipe(&ft);
    if meta.is_dir() {
        return Err(format!("{what} '{shown}' is a directory, expected a file"));
    }
    if !meta.is_file() && !pipe {
        return Err(format!(
            "{what} '{shown}' is not a regular file (a device or socket?); give a file, or a pipe such as <(cat FILE)"
        ));
    }
    // The size when the file system knows it; "more than the limit" when only reading tells.
    let too_long = |n: Option<u64>| {
        let size = n.map_or_else(
            || format!("more than {}", human_bytes(limit)),
            |n| format!("{:.1} MB", n as f64 / 1e6),
        );
        format!(
            "{what} '{shown}' is {size}; negsim reads a {what} of at most {}",
            human_bytes(limit)
        )
    };
    if meta.is_file() && meta.len() > limit {
        return Err(too_long(Some(meta.len())));
    }
    let file = open_without_blocking(path, pipe).map_err(|e| cannot(&e))?;
    let mut bytes = Vec::new();
    let mut r = file.take(limit + 1);
    let mut buf = [0u8; 1 << 16];
    let mut quiet_since = std::time::Instant::now();
    loop {
        match r.read(&mut buf) {
            // A pipe whose writer has not connected or written yet reads as end of file
            // (non-blocking): wait for it, up to the silence limit.
            Ok(0) if pipe && bytes.is_empty() && quiet_since.elapsed() < PIPE_SILENCE => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                quiet_since = std::time::Instant::now();
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if quiet_since.elapsed() >= PIPE_SILENCE {
                    return Err(silent(what, &shown));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cannot(&e)),
        }
    }
    if pipe && bytes.is_empty() {
        return Err(silent(what, &shown));
    }
    if bytes.len() as u64 > limit {
        return Err(too_long(None));
    }
    Ok(bytes)
}

fn silent(what: &str, shown: &std::path::Display<'_>) -> String {
    format!(
        "{what} '{shown}' is a pipe that sent nothing for {} s; is anything writing to it?",
        PIPE_SILENCE.as_secs()
    )
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(unix)]
fn is_pipe(ft: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    ft.is_fifo()
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::FileType) -> bool {
    false
}

/// Opens for reading; a pipe is opened non-blocking, so that a FIFO with no writer does not hang
/// the open (regular files never block).
fn open_without_blocking(path: &Path, pipe: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    if pipe {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.custom_flags(libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    let _ = pipe;
    o.open(path)
}

/// The operating system's reason for an I/O error, without Rust's "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A scenario with the overlays applied to it, and what was applied.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// The overlays applied, in order (empty for a plain scenario).
    pub overlays: Vec<OverlayInfo>,
    /// SHA-256 of the base and overlay texts, in order, as hex.
    pub hash: String,
}

/// Loads a base text with overlays applied in order.
// long: parse, overlays, schema, then the errors in their reporting order; one pass over the texts.
pub fn load_texts(base: &Text, overlays: &[Text]) -> Result<Loaded, LoadError> {
    let mut sources = tree::Sources::default();
    let mut cx = read::Cx::default();
    let id = sources.add(&base.path, &base.text);
    check_nesting(&base.text, id, &mut cx);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    let mut root = tree::parse(&base.text, id, &mut cx.diags);
    // Syntax errors stop the load before the schema reader, which would only add noise about
    // the keys the broken text lost.
    let mut syntax = !cx.diags.is_empty();
    // An overlay given where a scenario belongs: say so once, instead of listing every key a
    // scenario must have.
    if let tree::Value::Table(t) = &root.value
        && t.get("meta").is_none()
        && let Some(ov) = t.get("overlay")
    {
        cx.diags.push(diag::Diagnostic {
            origin: Some(ov.origin),
            path: "overlay".into(),
            message: format!(
                "this is an overlay (it has an [overlay] table and no [meta]), not a scenario: give it with --with, e.g. negsim run scenarios/baseline.toml --with {}",
                base.path
            ),
        });
        return Err(LoadError::render(&sources, cx.diags));
    }
    // A TOML file that is not a scenario at all (a config file, /etc/...): one error, quoting
    // none of its keys or values.
    if let tree::Value::Table(t) = &root.value
        && !syntax
        && t.get("meta").is_none()
    {
        cx.diags.push(diag::Diagnostic {
            origin: Some(root.origin),
            path: String::new(),
            message: "this is not a negsim scenario: it has no [meta] table (name, start, weeks; README.md, 'A scenario in ten lines'); nothing of its content is shown".into(),
        });
        return Err(LoadError::render(&sources, cx.diags));
    }
    let mut infos = Vec::new();
    for o in overlays {
        let oid = sources.add(&o.path, &o.text);
        let before = cx.diags.len();
        check_nesting(&o.text, oid, &mut cx);
        if cx.diags.len() > before {
            syntax = true;
            continue;
        }
        let onode = tree::parse(&o.text, oid, &mut cx.diags);
        syntax |= cx.diags.len() > before;
        let stem = Path::new(&o.path)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("overlay");
        infos.push(overlay::apply(&mut root, &onode, &mut cx, stem));
    }
    if syntax {
        return Err(LoadError::render(&sources, cx.diags));
    }
    let registry_text = match registry(&root, &base.path, &mut sources, &mut cx) {
        Some((reg, text)) => {
            cx.claims = reg;
            Some(text)
        }
        None if !cx.diags.is_empty() => return Err(LoadError::render(&sources, cx.diags)),
        None => None,
    };
    let built = schema::build(&root, &mut cx);
    // Key and type errors first; then missing provenance, except on keys that do not exist
    // (their "unknown key" error, with its "did you mean", is what to fix).
    let unknown: std::collections::BTreeSet<String> = cx
        .diags
        .iter()
        .filter(|d| d.message.starts_with("unknown key"))
        .map(|d| d.path.clone())
        .collect();
    let provenance: Vec<diag::Diagnostic> = std::mem::take(&mut cx.provenance)
        .into_iter()
        .filter(|d| {
            !unknown
                .iter()
                .any(|u| d.path == *u || d.path.starts_with(&format!("{u}.")))
        })
        .collect();
    if !cx.diags.is_empty() || !provenance.is_empty() {
        let mut e = LoadError::render(&sources, std::mem::take(&mut cx.diags));
        e.lines
            .extend(LoadError::render(&sources, provenance).lines);
        return Err(e);
    }
    match built {
        Some(scenario) if cx.diags.is_empty() => {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(base.text.as_bytes());
            if let Some(t) = &registry_text {
                h.update(t.text.as_bytes());
            }
            for o in overlays {
                h.update(o.text.as_bytes());
            }
            let hash = crate::fmt::hex(&h.finalize());
            Ok(Loaded {
                scenario,
                overlays: infos,
                hash,
            })
        }
        _ => Err(LoadError::render(&sources, cx.diags)),
    }
}

/// The claim registry that the merged tree names in `[meta] claims` (relative to the base file,
/// inside its folder), read and checked; `None` when none is named or on an error (in `cx`).
fn registry(
    root: &tree::Node,
    base: &str,
    sources: &mut tree::Sources,
    cx: &mut read::Cx,
) -> Option<(std::sync::Arc<claims::Registry>, Text)> {
    let tree::Value::Table(t) = &root.value else {
        return None;
    };
    let meta = match t.get("meta").map(|n| &n.value) {
        Some(tree::Value::Table(m)) => m,
        _ => return None,
    };
    let node = meta.get("claims")?;
    let tree::Value::Str(rel) = &node.value else {
        // The schema reader reports the type.
        return None;
    };
    if !inside_folder(rel) {
        cx.error(
            Some(node.origin),
            "meta.claims",
            format!("'{rel}': a claims file is named relative to the scenario, in its folder or below (no absolute path, no '..')"),
        );
        return None;
    }
    // A registry that ships with negsim (the article's, `claims/us_china_2025.toml`) is found
    // even when the scenario was copied elsewhere without it.
    let shipped = || builtin::Builtin.read(&format!("scenarios/{rel}"), "claims file");
    let read = match base.strip_prefix("built-in ") {
        Some(b) => builtin::Builtin.read(&builtin::Builtin.relative(b, rel), "claims file"),
        None => {
            let at = Files.relative(base, rel);
            if Path::new(&at).exists() {
                Files.read(&at, "claims file")
            } else {
                shipped().or_else(|_| Files.read(&at, "claims file"))
            }
        }
    };
    let text = match read {
        Ok(t) => t,
        Err(e) => {
            cx.error(Some(node.origin), "meta.claims", e.to_string());
            return None;
        }
    };
    let id = sources.add(&text.path, &text.text);
    let before = cx.diags.len();
    check_nesting(&text.text, id, cx);
    if cx.diags.len() > before {
        return None;
    }
    let root = tree::parse(&text.text, id, &mut cx.diags);
    if cx.diags.len() > before {
        return None;
    }
    let reg = claims_file::read(&root, cx);
    (cx.diags.len() == before).then_some((reg, text))
}

/// Loads a scenario file with overlay files applied in order (each overlay's `includes` first).
pub fn load(base: &Path, overlays: &[&Path]) -> Result<Loaded, LoadError> {
    load_with_set(base, None, overlays)
}

/// [`load`] with the `--set` overlay ([`set_overlay`]) applied to the base first.
pub fn load_with_set(
    base: &Path,
    set: Option<&Text>,
    overlays: &[&Path],
) -> Result<Loaded, LoadError> {
    let b = Text::read(base, "scenario")?;
    let mut os: Vec<Text> = set.into_iter().cloned().collect();
    for p in overlays {
        os.extend(overlay_chain(&p.display().to_string(), &Files)?);
    }
    load_texts(&b, &os)
}

/// The file name errors in `--set` values point at.
pub const SET_FILE: &str = "command line";

/// Most `--set` changes on one command line.
pub const MAX_SET: usize = 256;

/// The overlay of `--set KEY=VALUE` changes, one per line of the text (its path is
/// [`SET_FILE`]), so that they are checked exactly as an overlay file's changes are: unknown keys
/// with a "did you mean", types, bounds, every error naming the key. A key inside a named list
/// (`channels.official.authority`, `calendar.busan_summit.prepared_agenda`,
/// `sides.us.factions.white_house.clout`) patches that item. VALUE is TOML (`0.5`, `true`,
/// `2025-11-01`, `"personal"`); a bare word is read as a string. Each change carries the
/// provenance `source = "set"` and a note naming the command-line argument. `None` for no change.
pub fn set_overlay(sets: &[String]) -> Result<Option<Text>, String> {
    let cli = |key: &str, value: &str| ("set".to_string(), format!("--set {key}={value}"));
    set_overlay_as(sets, &cli, "set", "--set on the command line")
}

/// [`set_overlay`] with each change's provenance (`source`, `note`) from `provenance(key,
/// value)`, and the overlay's own name and description (the explorer's exported settings).
pub fn set_overlay_as(
    sets: &[String],
    provenance: &dyn Fn(&str, &str) -> (String, String),
    name: &str,
    description: &str,
) -> Result<Option<Text>, String> {
    if sets.is_empty() {
        return Ok(None);
    }
    if sets.len() > MAX_SET {
        return Err(format!("{} --set changes: at most {MAX_SET}", sets.len()));
    }
    let mut root = String::new();
    let mut items = String::new();
    for kv in sets {
        let Some((key, value)) = kv.split_once('=') else {
            return Err(format!(
                "--set '{kv}': expected KEY=VALUE, e.g. --set sides.us.trust=0.3"
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        let key_ok = !key.is_empty()
            && key.split('.').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !key_ok {
            return Err(format!(
                "--set '{kv}': '{key}' is not a key path (letters, digits, '_' and '-' between dots)"
            ));
        }
        if value.is_empty() {
            return Err(format!("--set '{kv}': no value after '='"));
        }
        let toml_value = if toml::from_str::<toml::Table>(&format!("x = {value}")).is_ok()
            && !value.contains('\n')
        {
            value.to_string()
        } else {
            toml::Value::String(value.to_string()).to_string()
        };
        let (source, note) = provenance(key, value);
        let change = format!(
            "{{ value = {toml_value}, source = {}, note = {} }}",
            toml::Value::String(source),
            toml::Value::String(note)
        );
        let list = overlay::NAMED_LISTS
            .iter()
            .filter(|l| key.starts_with(&format!("{l}.")))
            .max_by_key(|l| l.len());
        match list {
            Some(l) => {
                let rest = &key[l.len() + 1..];
                let Some((item, field)) = rest.split_once('.') else {
                    return Err(format!(
                        "--set '{kv}': name a key of the item, e.g. --set {l}.{rest}.KEY=VALUE"
                    ));
                };
                items.push_str(&format!(
                    "[[{l}]]\nname = {}\n{field} = {change}\n\n",
                    toml::Value::String(item.to_string())
                ));
            }
            None => root.push_str(&format!("{key} = {change}\n")),
        }
    }
    Ok(Some(Text {
        path: SET_FILE.into(),
        text: format!(
            "{root}\n[overlay]\nname = {}\ndescription = {}\n\n{items}",
            toml::Value::String(name.to_string()),
            toml::Value::String(description.to_string())
        ),
    }))
}

/// Where scenario and overlay texts come from.
pub trait Resolver {
    /// Reads the text at `path`.
    fn read(&self, path: &str, what: &str) -> Result<Text, LoadError>;
    /// The path of `rel` named inside the file at `from`.
    fn relative(&self, from: &str, rel: &str) -> String;
}

/// Texts from the filesystem; includes are relative to the including file.
pub struct Files;

impl Resolver for Files {
    fn read(&self, path: &str, what: &str) -> Result<Text, LoadError> {
        Text::read(Path::new(path), what)
    }
    fn relative(&self, from: &str, rel: &str) -> String {
        Path::new(from)
            .parent()
            .map_or_else(|| rel.to_string(), |d| d.join(rel).display().to_string())
    }
}

/// Deepest chain of `includes`.
const MAX_INCLUDE_DEPTH: usize = 8;

/// An overlay and, before it, the overlays its `[overlay] includes` names (recursively, in order).
pub fn overlay_chain(path: &str, r: &dyn Resolver) -> Result<Vec<Text>, LoadError> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    chain(path, r, &mut stack, &mut out)?;
    Ok(out)
}

fn chain(
    path: &str,
    r: &dyn Resolver,
    stack: &mut Vec<String>,
    out: &mut Vec<Text>,
) -> Result<(), LoadError> {
    if stack.iter().any(|p| p == path) {
        return Err(LoadError::plain(format!(
            "overlay '{path}' includes itself (through {})",
            stack.join(" -> ")
        )));
    }
    if stack.len() >= MAX_INCLUDE_DEPTH {
        return Err(LoadError::plain(format!(
            "overlay includes nest deeper than {MAX_INCLUDE_DEPTH} levels at '{path}'"
        )));
    }
    let text = r.read(path, "overlay")?;
    let mut sources = tree::Sources::default();
    let id = sources.add(&text.path, &text.text);
    let mut cx = read::Cx::default();
    check_nesting(&text.text, id, &mut cx);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    let root = tree::parse(&text.text, id, &mut cx.diags);
    if !cx.diags.is_empty() {
        return Err(LoadError::render(&sources, cx.diags));
    }
    let includes = match &root.value {
        tree::Value::Table(t) => match t.get("overlay").map(|n| &n.value) {
            Some(tree::Value::Table(o)) => o.get("includes").cloned(),
            _ => None,
        },
        _ => None,
    };
    stack.push(path.to_string());
    if let Some(node) = includes {
        let tree::Value::Array(items) = &node.value else {
            let d = diag::Diagnostic {
                origin: Some(node.origin),
                path: "overlay.includes".into(),
                message: "expected a list of overlay file names".into(),
            };
            return Err(LoadError::render(&sources, vec![d]));
        };
        for it in items {
            match &it.value {
                // An include stays in the including overlay's folder tree: it cannot name
                // /etc/... or climb out with '..' (and so cannot make errors quote such files).
                tree::Value::Str(rel) if !inside_folder(rel) => {
                    let d = diag::Diagnostic {
                        origin: Some(it.origin),
                        path: "overlay.includes".into(),
                        message: format!(
                            "'{rel}': an include names a file in this overlay's folder or below it (no absolute path, no '..'); copy the file there"
                        ),
                    };
                    return Err(LoadError::render(&sources, vec![d]));
                }
                tree::Value::Str(rel) => chain(&r.relative(path, rel), r, stack, out)?,
                other => {
                    let d = diag::Diagnostic {
                        origin: Some(it.origin),
                        path: "overlay.includes".into(),
                        message: format!("expected a file name, found {}", other.type_name()),
                    };
                    return Err(LoadError::render(&sources, vec![d]));
                }
            }
        }
    }
    stack.pop();
    out.push(text);
    Ok(())
}

/// Whether `rel` names a path inside the folder it is relative to: relative, no `..`.
fn inside_folder(rel: &str) -> bool {
    use std::path::Component;
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// [`check_nesting`] for the template module.
pub(crate) fn check_nesting_pub(text: &str, file: tree::FileId, cx: &mut read::Cx) {
    check_nesting(text, file, cx);
}

/// Rejects absurdly deep nesting before the recursive parser sees it (a cheap scan that skips
/// strings and comments).
fn check_nesting(text: &str, file: tree::FileId, cx: &mut read::Cx) {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                let triple = bytes.get(i..i + 3) == Some(&[q, q, q][..]);
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    if q == b'"' && bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if triple {
                        if bytes.get(i..i + 3) == Some(&[q, q, q][..]) {
                            i += 2;
                            break;
                        }
                    } else if bytes[i] == q || bytes[i] == b'\n' {
                        break;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let at = u32::try_from(i).unwrap_or(u32::MAX);
                    cx.error(Some(tree::Origin { file, start: at, end: at }), "", format!("nesting deeper than {MAX_NESTING} levels of tables or arrays; a scenario needs at most 4"));
                    return;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => {
                // `[table]` headers open and close on one line; depth is back to the inline level.
            }
            _ => {}
        }
        i += 1;
    }
}
