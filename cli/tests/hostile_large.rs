//! Very large inputs stream through `mxref dot`, `quantize`, `check` and `sim` in bounded
//! memory (issue 9): 200 MB of JSON Lines piped in, every line answered, peak resident memory
//! (VmHWM, polled from /proc) far below the input size. Ignored by default (seconds of CPU
//! each in release, more in debug); ci/steps/70-reliability.sh runs them with `--ignored`.
//! Linux only (/proc, mkfifo).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const INPUT_BYTES: usize = 200 << 20;
/// Peak RSS allowed: the binary, buffers of one line, the dot cache; nothing that grows.
const MAX_RSS_KB: u64 = 48 << 10;

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let l = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    l.split_whitespace().nth(1)?.parse().ok()
}

/// Pipe lines from `line(i)` (until INPUT_BYTES) through `mxref cmd`; returns (lines in,
/// lines out, peak RSS in kB). Every 997th output line is checked with `check_out`.
fn stream(
    cmd: &str,
    line: impl Fn(usize) -> String + Send + 'static,
    mut check_out: impl FnMut(&str),
) -> (usize, usize, u64) {
    let mut k = 0;
    let sample = |l: &str| {
        if k % 997 == 0 {
            check_out(l);
        }
        k += 1;
    };
    let (n_in, n_out, peak, status) = stream_args(&[cmd], line, sample);
    assert!(status.success(), "{cmd} failed");
    (n_in, n_out, peak)
}

/// [`stream`] with any arguments, every output line checked, returning the exit status
/// instead of asserting it.
fn stream_args(
    args: &[&str],
    line: impl Fn(usize) -> String + Send + 'static,
    mut check_out: impl FnMut(&str),
) -> (usize, usize, u64, std::process::ExitStatus) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxref"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut w = BufWriter::with_capacity(1 << 16, stdin);
        let (mut bytes, mut n) = (0, 0);
        while bytes < INPUT_BYTES {
            let l = line(n);
            w.write_all(l.as_bytes()).unwrap();
            w.write_all(b"\n").unwrap();
            bytes += l.len() + 1;
            n += 1;
        }
        n
    });
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let peak = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(vm_hwm_kb(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let mut out = 0;
    for l in BufReader::new(child.stdout.take().unwrap()).lines() {
        check_out(&l.unwrap());
        out += 1;
        if out % 4096 == 0 {
            // VmHWM is a high-water mark: a late sample still sees the peak.
            std::thread::yield_now();
        }
    }
    // The last sample before exit: stdout is closed, the process is finishing.
    let last = vm_hwm_kb(pid).unwrap_or(0);
    let status = child.wait().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let n_in = writer.join().unwrap();
    let peak = peak.join().unwrap().max(last);
    (n_in, out, peak, status)
}

/// The number of lines `line(0..)` gives before reaching INPUT_BYTES (as `stream` writes).
fn lines_in(line: impl Fn(usize) -> String) -> usize {
    let (mut bytes, mut n) = (0, 0);
    while bytes < INPUT_BYTES {
        bytes += line(n).len() + 1;
        n += 1;
    }
    n
}

/// A FIFO in a new temporary directory.
fn fifo(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    assert!(Command::new("mkfifo").arg(&p).status().unwrap().success());
    (dir, p)
}

/// A `check` vector line: a dot (K = 64) whose expected D is a hash of its index.
fn check_vector(i: usize) -> String {
    let a: Vec<String> = (0..64)
        .map(|k| ((i * 7 + k * 13) % 256).to_string())
        .collect();
    let b: Vec<String> = (0..64)
        .map(|k| ((i * 3 + k * 5) % 128).to_string())
        .collect();
    format!(
        "{{\"id\":\"v{i}\",\"a_fmt\":\"e4m3\",\"b_fmt\":\"e5m2\",\"a\":[{}],\"b\":[{}],\"sa\":[{},127],\"sb\":[127,{}],\"d\":\"0x{:08x}\"}}",
        a.join(","),
        b.join(","),
        120 + i % 16,
        120 + i % 9,
        expected_d(i)
    )
}

fn expected_d(i: usize) -> u32 {
    (i as u32).wrapping_mul(0x9e37_79b9)
}

#[test]
#[ignore]
fn dot_streams_200mb_in_bounded_memory() {
    // Lines differ (codes from the index) so nothing is cached per line; K = 64, two blocks.
    let (n_in, n_out, peak) = stream(
        "dot",
        |i| {
            let a: Vec<String> = (0..64)
                .map(|k| ((i * 7 + k * 13) % 256).to_string())
                .collect();
            let b: Vec<String> = (0..64)
                .map(|k| ((i * 3 + k * 5) % 128).to_string())
                .collect();
            format!(
                "{{\"id\":\"{i}\",\"a_fmt\":\"e4m3\",\"b_fmt\":\"e5m2\",\"a\":[{}],\"b\":[{}],\"sa\":[{},127],\"sb\":[127,{}],\"numerics\":\"{}\"}}",
                a.join(","),
                b.join(","),
                120 + i % 16,
                120 + i % 9,
                if i % 2 == 0 { "exact" } else { "rtl" }
            )
        },
        |l| assert!(l.contains("\"d\":\"0x"), "{l}"),
    );
    eprintln!("dot: {n_in} lines in, {n_out} out, peak RSS {peak} kB");
    assert_eq!(n_in, n_out);
    assert!(peak > 0, "no /proc sample");
    assert!(peak < MAX_RSS_KB, "peak RSS {peak} kB for a 200 MB input");
}

#[test]
#[ignore]
fn quantize_streams_200mb_in_bounded_memory() {
    let (n_in, n_out, peak) = stream(
        "quantize",
        |i| {
            let x: Vec<String> = (0..32)
                .map(|k| {
                    format!(
                        "\"0x{:08x}\"",
                        0x3f80_0000u32.wrapping_add(((i * 31 + k) as u32).wrapping_mul(0x1_2345))
                    )
                })
                .collect();
            format!("{{\"id\":{i},\"elem\":\"e2m1\",\"x\":[{}]}}", x.join(","))
        },
        |l| assert!(l.contains("\"codes\":["), "{l}"),
    );
    eprintln!("quantize: {n_in} lines in, {n_out} out, peak RSS {peak} kB");
    assert_eq!(n_in, n_out);
    assert!(peak > 0, "no /proc sample");
    assert!(peak < MAX_RSS_KB, "peak RSS {peak} kB for a 200 MB input");
}

/// `mxref check` with 200 MB of vectors on stdin and their results through a FIFO, in vector
/// order but for one swapped pair in every 100 (so some are parked), one in 10007 wrong.
#[test]
#[ignore]
fn check_streams_200mb_in_bounded_memory() {
    let n = lines_in(check_vector);
    let (_dir, results) = fifo("results");
    let writer = {
        let results = results.clone();
        std::thread::spawn(move || {
            let mut w = BufWriter::new(std::fs::File::create(&results).unwrap());
            for j in 0..n {
                let k = match j % 100 {
                    0 if j + 1 < n => j + 1,
                    1 => j - 1,
                    _ => j,
                };
                let d = expected_d(k) ^ u32::from(k % 10007 == 5);
                writeln!(w, "{{\"id\":\"v{k}\",\"d\":\"0x{d:08x}\"}}").unwrap();
            }
            w.flush().unwrap();
        })
    };
    let fails = (0..n).filter(|k| k % 10007 == 5).count();
    let mut summary = String::new();
    let (n_in, _, peak, status) = stream_args(
        &[
            "check",
            "--vectors",
            "/dev/stdin",
            "--results",
            results.to_str().unwrap(),
        ],
        check_vector,
        |l| {
            if l.contains(" vectors: ") {
                summary = l.to_string();
            }
        },
    );
    writer.join().unwrap();
    eprintln!("check: {n_in} vectors, peak RSS {peak} kB: {summary}");
    assert_eq!(n_in, n);
    assert_eq!(status.code(), Some(1), "{summary}");
    let want = format!(
        "{n} vectors: {} pass, {fails} fail, 0 without a result",
        n - fails
    );
    assert!(summary.contains(&want), "{summary} lacks {want}");
    assert!(peak > 0, "no /proc sample");
    assert!(peak < MAX_RSS_KB, "peak RSS {peak} kB for a 200 MB input");
}

/// `mxref sim` with a 200 MB stimulus on stdin (two-beat dots, all lanes non-zero): the
/// table streams to stdout, the vector file and the VCD through FIFOs, as the run goes.
#[test]
#[ignore]
fn sim_streams_200mb_in_bounded_memory() {
    let beat = |i: usize| {
        let a: Vec<String> = (0..32)
            .map(|k| ((i * 5 + k * 11) % 256).to_string())
            .collect();
        let b: Vec<String> = (0..32).map(|k| ((i + k * 3) % 16).to_string()).collect();
        format!(
            "{{\"valid\":1,\"first\":{},\"last\":{},\"a_fmt\":\"e4m3\",\"b_fmt\":\"e2m1\",\"a\":[{}],\"b\":[{}],\"sa\":[{}],\"sb\":[127],\"c\":\"0x{:08x}\"}}",
            u8::from(i.is_multiple_of(2)),
            u8::from(i % 2 == 1),
            a.join(","),
            b.join(","),
            120 + i % 16,
            0x3f80_0000u32 ^ (i as u32 & 0xffff)
        )
    };
    let n = lines_in(beat);
    let (_dir, vectors) = fifo("vectors");
    let vcd = vectors.with_file_name("vcd");
    assert!(Command::new("mkfifo").arg(&vcd).status().unwrap().success());
    // Each reader: (lines, bytes, lines for which `count` holds, last line).
    let read = |path: std::path::PathBuf, count: fn(&[u8]) -> bool| {
        std::thread::spawn(move || {
            let mut r = BufReader::with_capacity(1 << 16, std::fs::File::open(path).unwrap());
            let (mut lines, mut bytes, mut counted, mut l) = (0usize, 0usize, 0usize, Vec::new());
            let mut last = Vec::new();
            loop {
                l.clear();
                let k = r.read_until(b'\n', &mut l).unwrap();
                if k == 0 {
                    break;
                }
                (lines, bytes) = (lines + 1, bytes + k);
                counted += usize::from(count(&l));
                std::mem::swap(&mut last, &mut l);
            }
            (lines, bytes, counted, String::from_utf8(last).unwrap())
        })
    };
    // Vector lines with valid_o set (field 13 of 14); VCD timestamps.
    let vec_reader = read(vectors.clone(), |l| {
        l.split(|&b| b == b' ').nth(12) == Some(b"1")
    });
    let vcd_reader = read(vcd.clone(), |l| l.first() == Some(&b'#'));
    let (n_in, n_out, peak, status) = stream_args(
        &[
            "sim",
            "--stimulus",
            "-",
            "--vectors",
            vectors.to_str().unwrap(),
            "--vcd",
            vcd.to_str().unwrap(),
        ],
        beat,
        |l| assert!(l.split_whitespace().count() >= 14, "{l}"),
    );
    let (vec_lines, _, results, _) = vec_reader.join().unwrap();
    let (_, vcd_bytes, stamps, vcd_last) = vcd_reader.join().unwrap();
    eprintln!(
        "sim: {n_in} beats, {vec_lines} cycles, {results} results, VCD {vcd_bytes} bytes, peak RSS {peak} kB"
    );
    assert!(status.success());
    assert_eq!(n_in, n);
    // A header and a row a cycle; the drain adds LATENCY + 1 = 6 cycles.
    let cycles = n + 6;
    assert_eq!(n_out, 1 + cycles);
    assert_eq!(vec_lines, cycles);
    assert_eq!(results, n / 2, "one D per two-beat dot");
    // Two timestamps a cycle (falling and rising half); the VCD alone outweighs the bound.
    assert_eq!(stamps, 2 * cycles);
    assert!(
        vcd_last.starts_with('1') || vcd_last.starts_with('b'),
        "{vcd_last}"
    );
    assert!(
        vcd_bytes as u64 > 4 * 1024 * MAX_RSS_KB,
        "VCD of {vcd_bytes} bytes"
    );
    assert!(peak > 0, "no /proc sample");
    assert!(peak < MAX_RSS_KB, "peak RSS {peak} kB for a 200 MB input");
}
