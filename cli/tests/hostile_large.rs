//! Very large inputs stream through `mxref dot` and `mxref quantize` in bounded memory
//! (issue 9): 200 MB of JSON Lines piped in, every line answered, peak resident memory
//! (VmHWM, polled from /proc) far below the input size. Ignored by default (about 10 s of
//! CPU each); ci/steps/70-reliability.sh runs them with `--ignored`. Linux only (/proc).

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
/// lines out, peak RSS in kB). Every output line is checked with `check_out`.
fn stream(
    cmd: &str,
    line: impl Fn(usize) -> String + Send + 'static,
    check_out: impl Fn(&str),
) -> (usize, usize, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxref"))
        .arg(cmd)
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
        let l = l.unwrap();
        if out % 997 == 0 {
            check_out(&l);
        }
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
    assert!(status.success(), "{cmd} failed");
    let n_in = writer.join().unwrap();
    let peak = peak.join().unwrap().max(last);
    (n_in, out, peak)
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
