//! `mxref gpu gen | eval | check` for the Blackwell block-scaled paths (spec/gpu.md): FP6 and
//! FP4 elements, E8M0 scales per 32 and UE4M3 scales per 16 (NVFP4), one byte per code, and
//! the combinations that cannot be generated.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mxref(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mxref"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "should have failed");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A parsed vector file: shape, format names, and each tile's sections.
struct Vectors {
    t: usize,
    m: usize,
    n: usize,
    k: usize,
    block: usize,
    names: [String; 3],
    raw: Vec<u8>,
}

impl Vectors {
    fn read(p: &Path) -> Vectors {
        let raw = std::fs::read(p).unwrap();
        assert_eq!(&raw[..8], b"MXGPUVEC");
        let u = |i: usize| u32::from_le_bytes(raw[8 + 4 * i..12 + 4 * i].try_into().unwrap());
        assert_eq!(u(0), 1);
        let name = |i: usize| {
            String::from_utf8(raw[32 + 8 * i..40 + 8 * i].to_vec())
                .unwrap()
                .trim_end_matches('\0')
                .to_string()
        };
        let v = Vectors {
            t: u(1) as usize,
            m: u(2) as usize,
            n: u(3) as usize,
            k: u(4) as usize,
            block: u(5) as usize,
            names: [name(0), name(1), name(2)],
            raw,
        };
        assert_eq!(v.raw.len(), 64 + v.t * v.tile());
        v
    }
    fn nsb(&self) -> usize {
        self.k / self.block
    }
    fn tile(&self) -> usize {
        (self.m + self.n) * (self.k + self.nsb()) + 4 * self.m * self.n
    }
    /// (A codes, B codes, SA, SB) of every tile, concatenated.
    fn sections(&self) -> [Vec<u8>; 4] {
        let (mk, nk) = (self.m * self.k, self.n * self.k);
        let (ms, ns) = (self.m * self.nsb(), self.n * self.nsb());
        let mut out: [Vec<u8>; 4] = Default::default();
        for t in 0..self.t {
            let tile = &self.raw[64 + t * self.tile()..64 + (t + 1) * self.tile()];
            let mut o = 0;
            for (sec, len) in out.iter_mut().zip([mk, nk, ms, ns]) {
                sec.extend_from_slice(&tile[o..o + len]);
                o += len;
            }
        }
        out
    }
}

struct Case {
    a: &'static str,
    b: &'static str,
    k: &'static str,
    block: &'static str,
    scale: &'static str,
    preset: &'static str,
}

/// The seven forms of cuda/blackwell.cu, by their vector shapes and presets.
const CASES: [Case; 7] = [
    Case {
        a: "e4m3",
        b: "e4m3",
        k: "32",
        block: "32",
        scale: "e8m0",
        preset: "rtxblackwell-mma-mxf8f6f4",
    },
    Case {
        a: "e5m2",
        b: "e5m2",
        k: "32",
        block: "32",
        scale: "e8m0",
        preset: "rtxblackwell-mma-mxf8f6f4",
    },
    Case {
        a: "e3m2",
        b: "e2m3",
        k: "32",
        block: "32",
        scale: "e8m0",
        preset: "rtxblackwell-mma-mxf8f6f4",
    },
    Case {
        a: "e4m3",
        b: "e2m1",
        k: "32",
        block: "32",
        scale: "e8m0",
        preset: "rtxblackwell-mma-mxf8f6f4",
    },
    Case {
        a: "e2m1",
        b: "e2m1",
        k: "64",
        block: "32",
        scale: "e8m0",
        preset: "rtxblackwell-mma-mxf4nvf4",
    },
    Case {
        a: "e2m1",
        b: "e2m1",
        k: "64",
        block: "16",
        scale: "ue4m3",
        preset: "rtxblackwell-mma-mxf4nvf4",
    },
    Case {
        a: "e2m1",
        b: "e2m1",
        k: "64",
        block: "32",
        scale: "e8m0",
        preset: "rtxblackwell-mma-mxf4",
    },
];

fn gen(dir: &Path, c: &Case, seed: &str, extra: &[&str]) -> PathBuf {
    let v = dir.join(format!(
        "v-{}-{}-{}-{}-{seed}.bin",
        c.a, c.b, c.block, c.scale
    ));
    let mut args = vec![
        "gpu", "gen", "--a", c.a, "--b", c.b, "--m", "16", "--n", "8", "--k", c.k, "--block",
        c.block, "--scale", c.scale, "--tiles", "300", "--seed", seed, "-o",
    ];
    args.push(s(&v));
    args.extend_from_slice(extra);
    ok(&mxref(&args));
    v
}

/// Every Blackwell vector shape: gen -> eval -> check agrees with itself under the path's
/// preset, and one flipped result bit is caught and counted.
#[test]
fn blackwell_vectors_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for c in &CASES {
        let v = gen(dir.path(), c, "11", &["--scale-extremes"]);
        let r = dir.path().join("r.bin");
        ok(&mxref(&[
            "gpu",
            "eval",
            "--vectors",
            s(&v),
            "--numerics",
            c.preset,
            "-o",
            s(&r),
        ]));
        let check = |r: &Path| {
            mxref(&[
                "gpu",
                "check",
                "--vectors",
                s(&v),
                "--results",
                s(r),
                "--numerics",
                c.preset,
                "--show",
                "0",
                "--threads",
                "2",
            ])
        };
        ok(&check(&r));
        let mut d = std::fs::read(&r).unwrap();
        d[64 + 4 * 1000] ^= 0x10;
        std::fs::write(&r, d).unwrap();
        let o = check(&r);
        assert!(
            err(&o).contains("1 of 38400 dots differ"),
            "{} x {}: {}",
            c.a,
            c.b,
            err(&o)
        );
    }
}

/// One byte per code, codes within their format's width, the scale format in the header, and
/// the random classes present: zeros, both signs, the whole exponent range, cancelling pairs'
/// negated codes, scale extremes (and NaN scales only without --finite).
#[test]
fn fp6_fp4_and_nvfp4_codes_and_scales() {
    let dir = tempfile::tempdir().unwrap();
    for c in &CASES {
        let v = Vectors::read(&gen(dir.path(), c, "5", &["--scale-extremes"]));
        assert_eq!((v.t, v.m, v.n), (300, 16, 8));
        assert_eq!(
            (v.k.to_string(), v.block.to_string()),
            (c.k.into(), c.block.into())
        );
        assert_eq!(v.names, [c.a, c.b, c.scale].map(String::from));
        let [a, b, sa, sb] = v.sections();
        for (codes, fmt) in [(&a, c.a), (&b, c.b)] {
            let bits = match fmt {
                "e2m1" => 4,
                "e3m2" | "e2m3" => 6,
                _ => 8,
            };
            let sign = 1u8 << (bits - 1);
            assert!(codes.iter().all(|&x| (x as u32) < 1 << bits), "{fmt}");
            // Both zeros, both signs, and every exponent field (bits - 1 - man bits wide).
            assert!(codes.contains(&0) && codes.contains(&sign), "{fmt}");
            let man = match fmt {
                "e2m1" => 1,
                "e3m2" => 2,
                "e2m3" => 3,
                "e4m3" => 3,
                _ => 2,
            };
            for e in 0..1u8 << (bits - 1 - man) {
                assert!(
                    codes.iter().any(|&x| (x & !sign) >> man == e),
                    "{fmt}: exponent field {e} never drawn"
                );
            }
        }
        let scales: Vec<u8> = sa.iter().chain(&sb).copied().collect();
        let (lo, hi, nan): (&[u8], &[u8], u8) = match c.scale {
            "ue4m3" => (&[0, 1], &[0x7d, 0x7e], 0x7f),
            _ => (&[0, 1], &[253, 254], 255),
        };
        for x in lo.iter().chain(hi).chain([&nan]) {
            assert!(
                scales.contains(x),
                "{}: scale code {x} never drawn",
                c.scale
            );
        }
        if c.scale == "ue4m3" {
            assert!(scales.iter().all(|&x| x < 0x80), "UE4M3 codes are 7 bits");
            // Not only extremes: the finite range in between is drawn too.
            assert!(
                scales
                    .iter()
                    .filter(|&&x| (0x08..0x78).contains(&x))
                    .count()
                    > 1000
            );
        }
        let f = Vectors::read(&gen(dir.path(), c, "6", &["--scale-extremes", "--finite"]));
        let [_, _, sa, sb] = f.sections();
        assert!(!sa.iter().chain(&sb).any(|&x| x == nan), "{}", c.scale);
    }
}

/// Without --scale-extremes, E8M0 scales stay in 2^-range .. 2^range as the recorded FP8 runs
/// drew them.
#[test]
fn e8m0_scales_without_extremes_stay_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vectors::read(&gen(dir.path(), &CASES[4], "7", &["--scale-range", "3"]));
    let [_, _, sa, sb] = v.sections();
    let all: Vec<u8> = sa.iter().chain(&sb).copied().collect();
    assert!(all.iter().all(|&x| (124..=130).contains(&x)));
    assert!(all.contains(&124) && all.contains(&130));
}

#[test]
fn impossible_combinations_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.bin");
    let run = |extra: &[&str]| {
        let mut args = vec!["gpu", "gen", "--tiles", "2", "-o", s(&out)];
        args.extend_from_slice(extra);
        err(&mxref(&args))
    };
    let e = run(&[
        "--a", "e2m1", "--b", "e2m1", "--k", "64", "--scale", "ue4m3",
    ]);
    assert!(e.contains("--block > 0"), "{e}");
    let e = run(&["--a", "e2m1", "--k", "64", "--scale-extremes"]);
    assert!(e.contains("--block > 0"), "{e}");
    let e = run(&[
        "--a", "e2m1", "--b", "e2m1", "--k", "64", "--block", "16", "--scale", "e4m3",
    ]);
    assert!(e.contains("--scale e4m3: not a scale format"), "{e}");
    let e = run(&["--a", "ue4m3", "--b", "e2m1", "--k", "64", "--block", "16"]);
    assert!(e.contains("ue4m3: not an element format"), "{e}");
    let e = run(&["--a", "e2m1", "--b", "e2m1", "--k", "64", "--block", "24"]);
    assert!(e.contains("--block 24 does not divide --k 64"), "{e}");
    let e = run(&[
        "--a", "e2m1", "--b", "e2m1", "--block", "16", "--scale", "e9m9",
    ]);
    assert!(e.contains("e9m9"), "{e}");
    assert!(!out.exists(), "a failed gen leaves no file");

    // A file whose scale format is an element format: eval and check name the field.
    let v = gen(dir.path(), &CASES[5], "1", &[]);
    let mut raw = std::fs::read(&v).unwrap();
    raw[48..56].copy_from_slice(b"e4m3\0\0\0\0");
    std::fs::write(&v, &raw).unwrap();
    let o = mxref(&[
        "gpu",
        "eval",
        "--vectors",
        s(&v),
        "--numerics",
        "exact",
        "-o",
        s(&out),
    ]);
    let e = err(&o);
    assert!(e.contains("scale_fmt") && e.contains(s(&v)), "{e}");
    // NVFP4 blocks of 16 under a preset whose 16-element chunks do not fit the block: named.
    let v = gen(
        dir.path(),
        &Case {
            block: "8",
            ..CASES[5]
        },
        "2",
        &[],
    );
    let o = mxref(&[
        "gpu",
        "eval",
        "--vectors",
        s(&v),
        "--numerics",
        "rtxblackwell-mma-mxf4nvf4",
        "-o",
        s(&out),
    ]);
    let e = err(&o);
    assert!(e.contains("block"), "{e}");
}

/// FNV-1a (64-bit) of a file's bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Without the new flags the generator writes the bytes it wrote before --scale and
/// --scale-extremes existed, so the recorded runs' seeds (docs/gpu/) still give their vectors.
/// Digests of the generator at eee7fc0 (before the flags), same arguments: the MXFP8 run's
/// flags (seed 216, 3 tiles) and an FP4 file with E8M0 scales.
#[test]
fn recorded_seeds_give_the_same_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("v.bin");
    for (args, len, digest) in [
        (
            "--a e4m3 --b e4m3 --m 64 --n 64 --k 256 --block 32 --tiles 3 --seed 216",
            150_592,
            0x3d7e_23f1_85db_5ec1u64,
        ),
        (
            "--a e2m1 --b e2m1 --m 16 --n 8 --k 64 --block 32 --tiles 20 --seed 4",
            41_984,
            0xfcc4_be00_a09e_cdb7,
        ),
    ] {
        let mut a: Vec<&str> = vec!["gpu", "gen", "-o", s(&v)];
        a.extend(args.split(' '));
        ok(&mxref(&a));
        let raw = std::fs::read(&v).unwrap();
        assert_eq!((raw.len(), fnv1a(&raw)), (len, digest), "{args}");
    }
}
