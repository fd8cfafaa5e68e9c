//! JSON Lines plumbing shared by the streaming subcommands (`quantize`, `dot`, `check`, `sim`):
//! a bounded line reader, field getters whose errors name the field, hex parsing, output that
//! appends fields to the input object, and atomic output files.
//!
//! A subcommand supplies one function from a parsed input line to the output line; [`run`]
//! does the rest. Memory is bounded by the longest line, itself capped at [`MAX_LINE_BYTES`].

use anyhow::Context;
use mxref_model::FormatId;
use serde_json::{Map, Value};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `--input` / `--output` options of a streaming subcommand.
#[derive(clap::Args, Debug, Clone)]
pub struct IoArgs {
    /// Read JSON Lines from this file instead of stdin ("-" is stdin).
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Write JSON Lines to this file instead of stdout. Written to a temporary file in the
    /// same directory and renamed at the end, so a failed run leaves no partial file.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// An error in one field of one line (the line number is added by [`run`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name; `None` for errors of the line as a whole (bad JSON).
    pub field: Option<String>,
    pub msg: String,
}

impl FieldError {
    pub fn new(field: &str, msg: impl Into<String>) -> FieldError {
        FieldError {
            field: Some(field.to_string()),
            msg: msg.into(),
        }
    }
    pub fn line(msg: impl Into<String>) -> FieldError {
        FieldError {
            field: None,
            msg: msg.into(),
        }
    }
}

/// A [`FieldError`] placed in a file and line: `FILE: line N: field F: message`.
#[derive(Debug)]
pub struct LineError {
    pub source: String,
    pub line: u64,
    pub err: FieldError,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}: ", self.source, self.line)?;
        if let Some(field) = &self.err.field {
            write!(f, "field {field}: ")?;
        }
        f.write_str(&self.err.msg)
    }
}

impl std::error::Error for LineError {}

pub type FieldResult<T> = Result<T, FieldError>;

/// Parse `0x` followed by 1 to 8 hex digits.
pub fn parse_hex_u32(s: &str) -> Result<u32, String> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .filter(|h| !h.is_empty() && h.len() <= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("expected a 32-bit hex string like \"0x3f800000\", got {s:?}"))?;
    Ok(u32::from_str_radix(h, 16).expect("checked hex digits"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One input line: a JSON object with typed getters whose errors name the field.
pub struct Line {
    pub obj: Map<String, Value>,
}

impl Line {
    pub fn parse(text: &str) -> FieldResult<Line> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(obj)) => Ok(Line { obj }),
            Ok(v) => Err(FieldError::line(format!(
                "expected a JSON object, got {}",
                type_name(&v)
            ))),
            Err(e) => Err(FieldError::line(format!("bad JSON: {e}"))),
        }
    }

    /// Reject fields outside `known`, so a misspelt optional field is not silently ignored.
    pub fn check_fields(&self, known: &[&str]) -> FieldResult<()> {
        for k in self.obj.keys() {
            if !known.contains(&k.as_str()) {
                return Err(FieldError::new(
                    k,
                    format!("unknown field (known: {})", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    pub fn has(&self, field: &str) -> bool {
        self.obj.contains_key(field)
    }

    fn get(&self, field: &str) -> FieldResult<&Value> {
        self.obj
            .get(field)
            .ok_or_else(|| FieldError::new(field, "missing"))
    }

    pub fn str(&self, field: &str) -> FieldResult<&str> {
        match self.get(field)? {
            Value::String(s) => Ok(s),
            v => Err(FieldError::new(
                field,
                format!("expected a string, got {}", type_name(v)),
            )),
        }
    }

    pub fn str_or<'a>(&'a self, field: &str, default: &'a str) -> FieldResult<&'a str> {
        if self.has(field) {
            self.str(field)
        } else {
            Ok(default)
        }
    }

    pub fn u64_or(&self, field: &str, default: u64) -> FieldResult<u64> {
        match self.obj.get(field) {
            None => Ok(default),
            Some(v) => v.as_u64().ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("expected a non-negative integer, got {}", compact(v)),
                )
            }),
        }
    }

    pub fn usize_or(&self, field: &str, default: usize) -> FieldResult<usize> {
        let v = self.u64_or(field, default as u64)?;
        usize::try_from(v).map_err(|_| FieldError::new(field, format!("{v} is too large")))
    }

    pub fn format(&self, field: &str) -> FieldResult<FormatId> {
        self.str(field)?
            .parse()
            .map_err(|e: mxref_model::format::FormatError| FieldError::new(field, e.to_string()))
    }

    pub fn format_or(&self, field: &str, default: FormatId) -> FieldResult<FormatId> {
        if self.has(field) {
            self.format(field)
        } else {
            Ok(default)
        }
    }

    pub fn hex_u32(&self, field: &str) -> FieldResult<u32> {
        parse_hex_u32(self.str(field)?).map_err(|m| FieldError::new(field, m))
    }

    pub fn hex_u32_or(&self, field: &str, default: u32) -> FieldResult<u32> {
        if self.has(field) {
            self.hex_u32(field)
        } else {
            Ok(default)
        }
    }

    fn array(&self, field: &str) -> FieldResult<&Vec<Value>> {
        match self.get(field)? {
            Value::Array(a) => Ok(a),
            v => Err(FieldError::new(
                field,
                format!("expected an array, got {}", type_name(v)),
            )),
        }
    }

    /// An array of FP32 bit patterns as hex strings, appended to `out` (cleared first).
    pub fn hex_u32_array(&self, field: &str, out: &mut Vec<u32>) -> FieldResult<()> {
        out.clear();
        for (i, v) in self.array(field)?.iter().enumerate() {
            let s = v.as_str().ok_or_else(|| {
                FieldError::new(
                    &format!("{field}[{i}]"),
                    format!("expected a hex string, got {}", compact(v)),
                )
            })?;
            out.push(parse_hex_u32(s).map_err(|m| FieldError::new(&format!("{field}[{i}]"), m))?);
        }
        Ok(())
    }

    /// An array of codes of format `fmt`: integers, or hex strings. Appended to `out`
    /// (cleared first); a code outside the format is an error.
    pub fn code_array(&self, field: &str, fmt: FormatId, out: &mut Vec<u32>) -> FieldResult<()> {
        out.clear();
        let f = fmt.format();
        for (i, v) in self.array(field)?.iter().enumerate() {
            let at = || format!("{field}[{i}]");
            let code = match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => parse_hex_u32(s).ok().map(u64::from),
                _ => None,
            }
            .ok_or_else(|| {
                FieldError::new(
                    &at(),
                    format!(
                        "expected a code (integer or hex string), got {}",
                        compact(v)
                    ),
                )
            })?;
            if code >= f.codes() {
                return Err(FieldError::new(
                    &at(),
                    format!(
                        "code {code} is out of range for {} (0..={})",
                        f.name,
                        f.code_mask()
                    ),
                ));
            }
            out.push(code as u32);
        }
        Ok(())
    }
}

/// A value shortened for messages.
fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}...", s.chars().take(37).collect::<String>())
    } else {
        s
    }
}

/// Write the output line: the input object plus `fields` (name, JSON text), replacing any
/// input fields of the same names. Appends to `out`, no newline.
pub fn emit(text: &str, line: &Line, fields: &[(&str, &str)], out: &mut String) {
    let body = text.trim();
    // An input field already holding the output value (a `tensor_scale` passed in, a line
    // run twice) stays where it is.
    let same = |k: &str, v: &str| {
        line.obj
            .get(k)
            .is_some_and(|old| serde_json::from_str::<Value>(v).ok().as_ref() == Some(old))
    };
    let new: Vec<&(&str, &str)> = fields.iter().filter(|(k, v)| !same(k, v)).collect();
    if new.iter().all(|(k, _)| !line.has(k)) && body.ends_with('}') {
        // Fast path: splice before the closing brace, keeping the input byte for byte.
        let head = body[..body.len() - 1].trim_end();
        out.push_str(head);
        let mut first = line.obj.is_empty();
        for (k, v) in new {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(k);
            out.push_str("\":");
            out.push_str(v);
        }
        out.push('}');
    } else {
        let mut obj = line.obj.clone();
        for (k, v) in fields {
            obj.insert(
                k.to_string(),
                serde_json::from_str(v).expect("output fields are valid JSON"),
            );
        }
        out.push_str(&Value::Object(obj).to_string());
    }
}

/// Append a JSON array of integers to `out`.
pub fn push_int_array(codes: &[u32], out: &mut String) {
    use std::fmt::Write as _;
    out.push('[');
    for (i, c) in codes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write!(out, "{c}").expect("write to String");
    }
    out.push(']');
}

/// Longest accepted input line in bytes (newline excluded). A line is held and parsed whole,
/// and its parsed JSON takes up to about 16 times its text (a 32-byte value per 2-byte `0,`),
/// so this caps what one line costs. 8 MiB holds a dot of 2M E2M1 codes or a quantize line
/// of 600k FP32 values, far beyond any block; a longer line is refused, never buffered.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// The lines of one input, read one at a time into a buffer of at most [`MAX_LINE_BYTES`]:
/// numbered from 1, newline removed, checked as UTF-8. Errors name the source and the line.
pub struct Lines {
    source: String,
    reader: Box<dyn BufRead>,
    buf: Vec<u8>,
    lineno: u64,
    max: usize,
}

impl Lines {
    /// `source` is the name errors give the input (a path, `<stdin>`).
    pub fn new(source: impl Into<String>, reader: Box<dyn BufRead>) -> Lines {
        Lines {
            source: source.into(),
            reader,
            buf: Vec::new(),
            lineno: 0,
            max: MAX_LINE_BYTES,
        }
    }

    /// A file, or stdin for `None` and `-`.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Lines> {
        match path {
            Some(p) if p != Path::new("-") => Lines::open_file(p),
            _ => Ok(Lines::new("<stdin>", Box::new(BufReader::new(io::stdin())))),
        }
    }

    /// A file (`-` is a file name here).
    pub fn open_file(p: &Path) -> anyhow::Result<Lines> {
        let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
        Ok(Lines::new(
            p.display().to_string(),
            Box::new(BufReader::with_capacity(1 << 16, f)),
        ))
    }

    /// The same reader with another line-length limit (tests).
    #[cfg(test)]
    pub fn with_max(mut self, max: usize) -> Lines {
        self.max = max;
        self
    }

    /// `err` placed at `line` of this input.
    pub fn error(&self, line: u64, err: FieldError) -> anyhow::Error {
        LineError {
            source: self.source.clone(),
            line,
            err,
        }
        .into()
    }

    /// The next line and its number, blank lines included; `None` at the end of the input.
    /// A line longer than the limit is an error as soon as the limit is passed.
    pub fn next_line(&mut self) -> anyhow::Result<Option<(u64, &str)>> {
        self.buf.clear();
        let line = self.lineno + 1;
        let mut any = false;
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(|| format!("{}: read failed", self.source)),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (take, end) = match avail.iter().position(|&b| b == b'\n') {
                Some(k) => (k + 1, true),
                None => (avail.len(), false),
            };
            if self.buf.len() + take - end as usize > self.max {
                return Err(self.error(
                    line,
                    FieldError::line(format!(
                        "longer than {} bytes, the limit of one line (MAX_LINE_BYTES)",
                        self.max
                    )),
                ));
            }
            self.buf.extend_from_slice(&avail[..take - end as usize]);
            self.reader.consume(take);
            if end {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.lineno = line;
        match std::str::from_utf8(&self.buf) {
            Ok(t) => Ok(Some((line, t))),
            Err(_) => Err(LineError {
                source: self.source.clone(),
                line,
                err: FieldError::line("not valid UTF-8"),
            }
            .into()),
        }
    }

    /// The next line that is not blank (whitespace only).
    pub fn next_nonblank(&mut self) -> anyhow::Result<Option<(u64, &str)>> {
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some((_, t)) if t.trim().is_empty() => continue,
                // Re-borrow: the loop above cannot return the borrow it tested.
                Some((n, _)) => {
                    return Ok(Some((
                        n,
                        std::str::from_utf8(&self.buf).expect("checked by next_line"),
                    )))
                }
            }
        }
    }
}

/// An output file written whole or not at all: a temporary file in the same directory,
/// renamed onto the path by [`OutFile::commit`]; dropped uncommitted, it is removed. A path
/// that exists and is not a regular file (a FIFO, `/dev/null`) is written in place instead:
/// renaming over it would replace the device or pipe with a file.
pub struct OutFile {
    w: BufWriter<OutTarget>,
    path: PathBuf,
}

enum OutTarget {
    Temp(tempfile::NamedTempFile),
    Direct(File),
}

impl Write for OutTarget {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            OutTarget::Temp(f) => f.write(b),
            OutTarget::Direct(f) => f.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            OutTarget::Temp(f) => f.flush(),
            OutTarget::Direct(f) => f.flush(),
        }
    }
}

impl OutFile {
    /// Errors are the bare I/O error; callers say which file.
    pub fn create(path: &Path) -> io::Result<OutFile> {
        let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let target = if special {
            OutTarget::Direct(std::fs::OpenOptions::new().write(true).open(path)?)
        } else {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let mut b = tempfile::Builder::new();
            b.prefix(".mxref-").suffix(".tmp");
            // The mode File::create gives (0666 less the umask), not tempfile's private 0600.
            #[cfg(unix)]
            b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
            OutTarget::Temp(b.tempfile_in(dir)?)
        };
        Ok(OutFile {
            w: BufWriter::with_capacity(1 << 16, target),
            path: path.to_path_buf(),
        })
    }

    /// Flush, sync and rename into place.
    pub fn commit(self) -> anyhow::Result<()> {
        let path = self.path;
        let target = self
            .w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("{}: write failed", path.display()))?;
        match target {
            OutTarget::Direct(_) => Ok(()),
            OutTarget::Temp(tmp) => {
                tmp.as_file()
                    .sync_all()
                    .with_context(|| format!("{}: write failed", path.display()))?;
                tmp.persist(&path).map_err(|e| e.error).with_context(|| {
                    format!(
                        "{}: cannot rename the finished output into place",
                        path.display()
                    )
                })?;
                Ok(())
            }
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.w.write(b)
    }
    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        self.w.write_all(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Output sink: stdout, or an [`OutFile`].
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File(OutFile),
}

impl Sink {
    fn open(path: Option<&Path>) -> anyhow::Result<Sink> {
        match path {
            None => Ok(Sink::Stdout(BufWriter::new(io::stdout()))),
            Some(p) if p == Path::new("-") => Ok(Sink::Stdout(BufWriter::new(io::stdout()))),
            Some(p) => {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                Ok(Sink::File(OutFile::create(p).with_context(|| {
                    format!("{}: cannot create a file in {}", p.display(), dir.display())
                })?))
            }
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File(w) => w,
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Stdout(mut w) => w.flush().context("writing stdout"),
            Sink::File(f) => f.commit(),
        }
    }
}

/// Progress on stderr for long runs, only when stderr is a terminal.
struct Progress {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Progress {
    fn new() -> Progress {
        let now = Instant::now();
        Progress {
            on: io::stderr().is_terminal(),
            start: now,
            last: now,
        }
    }
    fn tick(&mut self, lines: u64) {
        if !self.on || !lines.is_multiple_of(4096) {
            return;
        }
        let now = Instant::now();
        if now - self.start > Duration::from_secs(1) && now - self.last > Duration::from_millis(250)
        {
            self.last = now;
            let rate = lines as f64 / (now - self.start).as_secs_f64();
            eprint!("\r{lines} lines ({rate:.0}/s)");
        }
    }
    fn done(&self) {
        if self.on && self.last != self.start {
            eprintln!();
        }
    }
}

/// Stream `io.input` through `f` into `io.output`, one output line per non-blank input line.
/// `f` gets the parsed line and its text and appends the output line (no newline) to the
/// buffer. The first error stops the run; its message names file, line and field. Returns
/// the number of lines processed.
pub fn run(
    io: &IoArgs,
    mut f: impl FnMut(&Line, &str, &mut String) -> FieldResult<()>,
) -> anyhow::Result<u64> {
    let mut input = Lines::open(io.input.as_deref())?;
    let mut sink = Sink::open(io.output.as_deref())?;
    let mut progress = Progress::new();
    let mut out = String::new();
    let mut done = 0u64;
    loop {
        let (lineno, text) = match input.next_nonblank() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                progress.done();
                return Err(e);
            }
        };
        out.clear();
        let result = Line::parse(text).and_then(|line| f(&line, text, &mut out));
        if let Err(err) = result {
            progress.done();
            return Err(input.error(lineno, err));
        }
        out.push('\n');
        sink.writer()
            .write_all(out.as_bytes())
            .context("write failed")?;
        done += 1;
        progress.tick(done);
    }
    progress.done();
    sink.finish()?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex() {
        assert_eq!(parse_hex_u32("0x3f800000"), Ok(0x3f80_0000));
        assert_eq!(parse_hex_u32("0XFF"), Ok(0xff));
        for bad in [
            "3f800000",
            "0x",
            "0x123456789",
            "0x12g4",
            "",
            "0x-1",
            "0x+1",
        ] {
            assert!(parse_hex_u32(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emit_appends_and_replaces() {
        let text = "{\"a\": 1 }\n";
        let line = Line::parse(text).unwrap();
        let mut out = String::new();
        emit(text, &line, &[("d", "\"0x1\"")], &mut out);
        assert_eq!(out, "{\"a\": 1,\"d\":\"0x1\"}");
        let text = "{\"a\":1,\"d\":\"old\"}";
        let line = Line::parse(text).unwrap();
        out.clear();
        emit(text, &line, &[("d", "\"new\"")], &mut out);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["d"], "new");
        assert_eq!(v["a"], 1);
        out.clear();
        emit(
            "{}",
            &Line::parse("{}").unwrap(),
            &[("x", "[1,2]"), ("y", "3")],
            &mut out,
        );
        assert_eq!(out, "{\"x\":[1,2],\"y\":3}");
        // A field already holding the output value keeps the input as it was.
        let text = "{\"z\":0, \"t\":\"0x1\"}";
        out.clear();
        emit(
            text,
            &Line::parse(text).unwrap(),
            &[("t", "\"0x1\""), ("u", "2")],
            &mut out,
        );
        assert_eq!(out, "{\"z\":0, \"t\":\"0x1\",\"u\":2}");
    }

    #[test]
    fn field_errors_name_the_field_and_index() {
        let line = Line::parse(r#"{"x":["0x1","zz"],"c":[1,300],"n":-1}"#).unwrap();
        let mut v = Vec::new();
        let e = line.hex_u32_array("x", &mut v).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("x[1]"));
        let e = line.code_array("c", FormatId::E4m3, &mut v).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("c[1]"));
        assert!(e.msg.contains("out of range"), "{}", e.msg);
        let e = line.u64_or("n", 0).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("n"));
        assert!(line.check_fields(&["x", "c"]).is_err());
        assert!(Line::parse("[1]").is_err());
        assert!(Line::parse("{").is_err());
    }

    fn lines_of(bytes: &'static [u8], max: usize) -> Lines {
        Lines::new("in", Box::new(io::Cursor::new(bytes))).with_max(max)
    }

    #[test]
    fn lines_are_numbered_and_bounded() {
        let mut r = lines_of(b"ab\r\n\n  \ncd", 8);
        assert_eq!(r.next_nonblank().unwrap(), Some((1, "ab\r")));
        // Blank lines count: the next one is line 4, and the last needs no newline.
        assert_eq!(r.next_nonblank().unwrap(), Some((4, "cd")));
        assert_eq!(r.next_line().unwrap(), None);
        // Exactly the limit passes (the newline is not counted); one byte more is refused,
        // also in a line that never ends.
        let mut r = lines_of(b"12345678\n123456789\n", 8);
        assert_eq!(r.next_line().unwrap(), Some((1, "12345678")));
        let e = r.next_line().unwrap_err().to_string();
        assert_eq!(
            e,
            "in: line 2: longer than 8 bytes, the limit of one line (MAX_LINE_BYTES)"
        );
        let e = lines_of(b"123456789", 8)
            .next_line()
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("in: line 1: longer than 8 bytes"), "{e}");
        let mut r = lines_of(b"{}\n\xff\n", 8);
        r.next_line().unwrap();
        assert_eq!(
            r.next_line().unwrap_err().to_string(),
            "in: line 2: not valid UTF-8"
        );
    }

    /// A limit smaller than the reader's buffer and a line spanning many buffer fills.
    #[test]
    fn long_lines_span_buffer_fills() {
        let text: &'static [u8] = Box::leak(
            format!("{}\n{}\n", "x".repeat(200_000), "y".repeat(3))
                .into_bytes()
                .into_boxed_slice(),
        );
        let mut r = Lines::new("in", Box::new(BufReader::with_capacity(7, text)));
        assert_eq!(r.next_line().unwrap().unwrap().1.len(), 200_000);
        assert_eq!(r.next_line().unwrap(), Some((2, "yyy")));
        let mut r = Lines::new("in", Box::new(BufReader::with_capacity(7, text))).with_max(199_999);
        assert!(r.next_line().is_err());
    }
}
