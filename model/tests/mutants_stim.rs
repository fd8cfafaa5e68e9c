//! The cycle model's stimulus generator (`cycle::stim`): its RNG against published SplitMix64
//! values, and the streams against what the generator promises (its doc comments,
//! spec/microarchitecture.md): well-formed dot products with bubbles, every allowed format and
//! only those, NVFP4 only when allowed, codes within the format's width unless junk is asked
//! for, special codes only in the rare specials beats, and the directed beat shapes (sparse,
//! cancelling, all -0 products) present. Expected values come from the OCP encodings (format
//! widths and sign bits written out here, not read from the model) and from the documented
//! probabilities, with bounds several standard deviations wide over fixed seeds. Written for
//! the cargo-mutants survivors of stim.rs (mutation/stim-results.md).

use mxref_model::cycle::stim::{random_stream, Rng, StimConfig};
use mxref_model::cycle::{ElemPort, Inputs, LANES};
use mxref_model::FormatId;

/// Element formats in port-code order, with their width in bits (OCP MX spec, section 5).
const FORMATS: [(FormatId, u32); 6] = [
    (FormatId::E4m3, 8),
    (FormatId::E5m2, 8),
    (FormatId::E2m3, 6),
    (FormatId::E3m2, 6),
    (FormatId::E2m1, 4),
    (FormatId::Int8, 8),
];

fn width(f: FormatId) -> u32 {
    FORMATS.iter().find(|p| p.0 == f).unwrap().1
}

/// The sign bit of a code (INT8: two's complement, bit 7).
fn sign(f: FormatId) -> u8 {
    1 << (width(f) - 1)
}

fn fmt(p: ElemPort) -> FormatId {
    p.format()
        .expect("random streams carry element formats, never reserved codes")
}

/// NaN or Inf element codes: E4M3 has NaN at S.1111.111 only; E5M2 has Inf and NaN at
/// exponent 11111; the FP6, FP4 and INT8 element formats have neither.
fn special(f: FormatId, c: u8) -> bool {
    match f {
        FormatId::E4m3 => c & 0x7f == 0x7f,
        FormatId::E5m2 => c & 0x7c == 0x7c,
        _ => false,
    }
}

fn frac(n: usize, d: usize) -> f64 {
    assert!(d > 0, "no samples");
    n as f64 / d as f64
}

/// One dot product of a stream: the beats in order and the invalid cycles before each beat
/// after the first (inner bubbles).
struct Dot {
    beats: Vec<Inputs>,
    inner: Vec<Vec<Inputs>>,
    /// Invalid cycles between the previous dot's last beat and this dot's first beat.
    lead: usize,
    /// Index of the first cycle after the previous dot (where this dot's draw began).
    start: usize,
}

/// Splits a stream into dots, asserting the framing every stream must have: a dot opens with
/// `first`, only its final beat has `last`, and nothing valid lies outside a dot.
fn dots(s: &[Inputs]) -> Vec<Dot> {
    let mut out = Vec::new();
    let mut pending: Vec<Inputs> = Vec::new();
    let mut start = 0;
    let mut open: Option<Dot> = None;
    for (t, i) in s.iter().enumerate() {
        assert!(!i.rst, "cycle {t}: random streams never reset");
        if !i.valid {
            pending.push(*i);
            continue;
        }
        match open.as_mut() {
            None => {
                assert!(i.first, "cycle {t}: a dot must open with first");
                open = Some(Dot {
                    beats: vec![*i],
                    inner: vec![],
                    lead: pending.len(),
                    start,
                });
            }
            Some(d) => {
                assert!(!i.first, "cycle {t}: first inside a dot");
                d.inner.push(std::mem::take(&mut pending));
                d.beats.push(*i);
            }
        }
        pending.clear();
        if i.last {
            out.push(open.take().unwrap());
            start = t + 1;
        }
    }
    assert!(open.is_none(), "the stream ends inside a dot");
    assert!(pending.is_empty(), "the stream ends with bubbles");
    out
}

fn beats(ds: &[Dot]) -> impl Iterator<Item = &Inputs> {
    ds.iter().flat_map(|d| d.beats.iter())
}

// SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c). The values were computed with
// Python integers:
//   M = 2**64 - 1
//   s = (s + 0x9e3779b97f4a7c15) & M; z = s
//   z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
//   z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M; out = z ^ (z >> 31)
// Seed 0 gives the sequence published with the algorithm (e220a8397b1dcdaf, ...).
#[test]
fn rng_is_splitmix64() {
    let want: [(u64, [u64; 4]); 4] = [
        (
            0,
            [
                0xe220a8397b1dcdaf,
                0x6e789e6aa1b965f4,
                0x06c45d188009454f,
                0xf88bb8a8724c81ec,
            ],
        ),
        (
            1,
            [
                0x910a2dec89025cc1,
                0xbeeb8da1658eec67,
                0xf893a2eefb32555e,
                0x71c18690ee42c90b,
            ],
        ),
        (
            0xdeadbeef,
            [
                0x4adfb90f68c9eb9b,
                0xde586a3141a10922,
                0x021fbc2f8e1cfc1d,
                0x7466ce737be16790,
            ],
        ),
        (
            u64::MAX,
            [
                0xe4d971771b652c20,
                0xe99ff867dbf682c9,
                0x382ff84cb27281e9,
                0x6d1db36ccba982d2,
            ],
        ),
    ];
    for (seed, outs) in want {
        let mut r = Rng::new(seed);
        for (k, w) in outs.into_iter().enumerate() {
            assert_eq!(r.next_u64(), w, "seed {seed:#x}, output {k}");
        }
    }
}

/// `below(n)` is the next output modulo n; `chance(num, den)` is `below(den) < num`.
/// The residues are from the same Python session: seed 0 first output % 1000 = 535,
/// seed 1 % 6 = 5, seed 7 % 255 = 102, seed 42 % 127 = 62.
#[test]
fn below_and_chance_known_answers() {
    for (seed, n, want) in [
        (0u64, 1000u64, 535u64),
        (1, 6, 5),
        (7, 255, 102),
        (42, 127, 62),
    ] {
        assert_eq!(Rng::new(seed).below(n), want, "seed {seed}, below({n})");
        // The boundary of chance: true exactly when the residue is below num.
        assert!(
            !Rng::new(seed).chance(want, n),
            "seed {seed}: {want} < {want}"
        );
        assert!(
            Rng::new(seed).chance(want + 1, n),
            "seed {seed}: {want} < {}",
            want + 1
        );
        if want > 0 {
            assert!(
                !Rng::new(seed).chance(want - 1, n),
                "seed {seed}: {want} < {}",
                want - 1
            );
        }
    }
    // The draws advance the state: the second below(1000) of seed 0 is 0x6e789e6aa1b965f4 % 1000.
    let mut r = Rng::new(0);
    r.below(1000);
    assert_eq!(r.below(1000), 0x6e789e6aa1b965f4 % 1000);
}

#[test]
fn streams_are_deterministic_and_prefixes_of_longer_ones() {
    let cfg = StimConfig::default();
    let a = random_stream(5, 3000, cfg);
    assert_eq!(a, random_stream(5, 3000, cfg), "same seed, same stream");
    assert_ne!(
        a,
        random_stream(6, 3000, cfg),
        "seeds 5 and 6 gave the same stream"
    );
    let b = random_stream(5, 1000, cfg);
    assert_eq!(
        &a[..b.len()],
        &b[..],
        "a shorter stream is a prefix of a longer one"
    );
}

/// "A random stream of about `cycles` cycles": it stops after the first dot that reaches
/// `cycles`, so it ends with a `last` beat and the final dot began before `cycles`.
#[test]
fn a_stream_stops_at_the_first_dot_reaching_its_length() {
    for seed in [1, 2, 3] {
        for max_beats in [1, 4, 8] {
            let cfg = StimConfig {
                max_beats,
                ..StimConfig::default()
            };
            for cycles in 1..=120 {
                let s = random_stream(seed, cycles, cfg);
                let ds = dots(&s);
                let last = ds.last().expect("at least one dot");
                assert!(
                    s.len() >= cycles,
                    "seed {seed}: {} < {cycles} cycles",
                    s.len()
                );
                assert!(
                    last.start < cycles,
                    "seed {seed}, max_beats {max_beats}, {cycles} cycles: the final dot began at \
                     cycle {}, after the stream was long enough",
                    last.start
                );
            }
        }
    }
}

#[test]
fn dots_have_one_to_max_beats_and_sparse_bubbles() {
    for max_beats in [1u32, 4, 8] {
        let cfg = StimConfig {
            max_beats,
            ..StimConfig::default()
        };
        let ds = dots(&random_stream(11, 40_000, cfg));
        let mut seen = vec![0usize; max_beats as usize + 1];
        for d in &ds {
            let n = d.beats.len();
            assert!((1..=max_beats as usize).contains(&n), "a dot of {n} beats");
            seen[n] += 1;
            // "bubbles between and inside": 0..=3 before a dot, at most one between its beats,
            // and those inside are plain bubbles (Inputs::default()).
            assert!(d.lead <= 3, "{} bubbles before a dot", d.lead);
            for gap in &d.inner {
                assert!(gap.len() <= 1, "{} bubbles between two beats", gap.len());
                assert!(
                    gap.iter().all(|b| *b == Inputs::default()),
                    "inner bubble {gap:?}"
                );
            }
        }
        for (n, &c) in seen.iter().enumerate().skip(1) {
            assert!(c > 0, "max_beats {max_beats}: no dot of {n} beats");
        }
        // Bubbles before a dot: none half the time, else 1, 2 or 3.
        let none = ds.iter().filter(|d| d.lead == 0).count();
        let f = frac(none, ds.len());
        assert!(
            (0.45..0.55).contains(&f),
            "dots without leading bubbles: {f}"
        );
        for k in 1..=3 {
            assert!(ds.iter().any(|d| d.lead == k), "no dot after {k} bubbles");
        }
        if max_beats > 1 {
            // An inner bubble after one beat in six (not after the final beat).
            let gaps: Vec<usize> = ds
                .iter()
                .flat_map(|d| d.inner.iter().map(Vec::len))
                .collect();
            let f = frac(gaps.iter().sum(), gaps.len());
            assert!((0.13..0.21).contains(&f), "inner bubbles per gap: {f}");
        }
    }
}

/// The beats of one stream, with the configuration of the streams most tests look at.
fn sample(seed: u64, cfg: StimConfig) -> Vec<Dot> {
    dots(&random_stream(seed, 60_000, cfg))
}

#[test]
fn formats_are_the_allowed_ones_fixed_per_dot_unless_mixed() {
    for elements in [0b11_1111u8, 0b00_0011, 0b10_0100, 0b01_0000, 0b10_0000] {
        let allowed: Vec<FormatId> = (0..6)
            .filter(|k| elements >> k & 1 == 1)
            .map(|k| FORMATS[k].0)
            .collect();
        let cfg = StimConfig {
            elements,
            max_beats: 3,
            ..StimConfig::default()
        };
        let ds = dots(&random_stream(3, 8_000, cfg));
        for f in &allowed {
            for side in 0..2 {
                assert!(
                    beats(&ds).any(|i| fmt(if side == 0 { i.a_fmt } else { i.b_fmt }) == *f),
                    "elements {elements:#08b}: {f} never drawn on side {side}"
                );
            }
        }
        for i in beats(&ds) {
            assert!(
                allowed.contains(&fmt(i.a_fmt)),
                "{elements:#08b}: {:?}",
                i.a_fmt
            );
            assert!(
                allowed.contains(&fmt(i.b_fmt)),
                "{elements:#08b}: {:?}",
                i.b_fmt
            );
        }
        for d in &ds {
            let f0 = &d.beats[0];
            for i in &d.beats {
                assert_eq!(
                    (i.a_fmt, i.b_fmt, i.nvfp4),
                    (f0.a_fmt, f0.b_fmt, f0.nvfp4),
                    "formats changed inside a dot without mixed_formats"
                );
            }
        }
    }
    // Mixed: a beat after the first re-draws all three with probability 1/2 (a re-draw
    // repeats the same triple with probability 1/36 * 5/8).
    let ds = sample(
        4,
        StimConfig {
            mixed_formats: true,
            max_beats: 8,
            ..StimConfig::default()
        },
    );
    let (mut pairs, mut changed) = (0, 0);
    for d in &ds {
        for w in d.beats.windows(2) {
            pairs += 1;
            changed += usize::from(
                (w[0].a_fmt, w[0].b_fmt, w[0].nvfp4) != (w[1].a_fmt, w[1].b_fmt, w[1].nvfp4),
            );
        }
    }
    let f = frac(changed, pairs);
    assert!(
        (0.42..0.56).contains(&f),
        "mixed: formats changed between {f} of beats"
    );
}

#[test]
fn nvfp4_beats_one_dot_in_four_and_only_when_allowed() {
    let ds = sample(5, StimConfig::default());
    let nv = ds.iter().filter(|d| d.beats[0].nvfp4).count();
    let f = frac(nv, ds.len());
    assert!((0.21..0.29).contains(&f), "NVFP4 dots: {f}");
    let ds = sample(
        5,
        StimConfig {
            nvfp4: false,
            ..StimConfig::default()
        },
    );
    assert!(beats(&ds).all(|i| !i.nvfp4), "NVFP4 beat with nvfp4 off");
}

#[test]
fn first_and_last_mark_the_ends_of_each_dot() {
    let ds = sample(6, StimConfig::default());
    for d in &ds {
        let n = d.beats.len();
        for (k, i) in d.beats.iter().enumerate() {
            assert!(i.valid);
            assert_eq!(i.first, k == 0, "first on beat {k} of {n}");
            assert_eq!(i.last, k + 1 == n, "last on beat {k} of {n}");
        }
    }
}

#[test]
fn element_codes_fit_their_format_vary_and_specials_are_rare() {
    let ds = sample(7, StimConfig::default());
    let (mut lanes, mut nonzero) = (0, 0);
    let mut distinct = [[false; 256]; 6];
    let (mut fp8_beats, mut special_beats) = (0, 0);
    for i in beats(&ds) {
        let mut any_special = false;
        let mut fp8 = false;
        for (port, codes) in [(i.a_fmt, &i.a), (i.b_fmt, &i.b)] {
            let f = fmt(port);
            fp8 |= matches!(f, FormatId::E4m3 | FormatId::E5m2);
            for &c in codes {
                assert!(
                    u32::from(c) < 1 << width(f),
                    "{f} code {c:#x} wider than the format"
                );
                lanes += 1;
                nonzero += usize::from(c != 0);
                distinct[f as usize][c as usize] = true;
                any_special |= special(f, c);
            }
        }
        if fp8 {
            fp8_beats += 1;
            special_beats += usize::from(any_special);
        }
    }
    // Sparse (1/8 of beats, 3/4 of A cleared) and zero beats (1/16) clear some lanes; most
    // lanes are uniform codes.
    let f = frac(nonzero, lanes);
    assert!(f > 0.75, "nonzero element codes: {f}");
    for (f, w) in FORMATS {
        let n = distinct[f as usize].iter().filter(|&&d| d).count();
        assert_eq!(n, 1 << w, "{f}: {n} distinct codes drawn");
    }
    // NaN/Inf codes only in specials beats (1 in 16); all other beats replace them by 0.
    let f = frac(special_beats, fp8_beats);
    assert!(
        f > 0.01 && f < 0.08,
        "beats with NaN/Inf element codes: {f}"
    );
}

#[test]
fn scale_codes_cluster_at_one_and_nan_scales_are_rare() {
    let ds = sample(8, StimConfig::default());
    let (mut e8, mut band, mut e8_beats, mut e8_nan) = (0, 0, 0, 0);
    let mut band_seen = [0usize; 256];
    let (mut unused, mut unused_band) = (0, 0);
    let mut unused_seen = [false; 256];
    let (mut nv_beats, mut nv_nan, mut nv_zero, mut nv_scales) = (0, 0, 0, 0);
    let mut nv_seen = [false; 128];
    for i in beats(&ds) {
        if i.nvfp4 {
            nv_beats += 1;
            let s = [i.sa[0], i.sa[1], i.sb[0], i.sb[1]];
            for c in s {
                // UE4M3: bit 7 unused (clear without junk); 0x7f is its NaN.
                assert!(c < 0x80, "UE4M3 scale {c:#x} with bit 7 set");
                nv_seen[c as usize] = true;
                nv_scales += 1;
                nv_zero += usize::from(c == 0);
            }
            nv_nan += usize::from(s.contains(&0x7f));
        } else {
            e8_beats += 1;
            e8_nan += usize::from(i.sa[0] == 0xff || i.sb[0] == 0xff);
            for c in [i.sa[0], i.sb[0]] {
                e8 += 1;
                if (117..=137).contains(&c) {
                    band += 1;
                    band_seen[c as usize] += 1;
                }
            }
            for c in [i.sa[1], i.sb[1]] {
                unused += 1;
                unused_band += usize::from((117..=137).contains(&c));
                unused_seen[c as usize] = true;
            }
        }
    }
    // E8M0: 7 in 8 within 2^±10 of 1.0 (codes 117..=137, all of them), else uniform 0..=254.
    let f = frac(band, e8);
    assert!((0.84..0.91).contains(&f), "E8M0 scales in 117..=137: {f}");
    // Each code of the band about 7/8 / 21 = 4.2% of the time (the uniform draws add 0.05%).
    let rare: Vec<(usize, f64)> = (117..=137)
        .map(|c| (c, frac(band_seen[c], e8)))
        .filter(|&(_, f)| !(0.03..0.055).contains(&f))
        .collect();
    assert!(rare.is_empty(), "E8M0 scales off their share: {rare:?}");
    // The NaN scale (0xff) only in specials beats: 1/16 * (1 - (7/8)^2).
    let f = frac(e8_nan, e8_beats);
    assert!(f > 0.005 && f < 0.04, "E8M0 beats with a NaN scale: {f}");
    // The unused second lane is uniform (proves the unit ignores it).
    let f = frac(unused_band, unused);
    assert!(f < 0.15, "unused E8M0 scale lane in 117..=137: {f}");
    assert_eq!(unused_seen.iter().filter(|&&s| s).count(), 256);
    // UE4M3: every code 0..=0x7f; 0 one time in 16 (plus uniform); NaN only in specials beats.
    assert!(nv_seen.iter().all(|&s| s), "some UE4M3 scale never drawn");
    let f = frac(nv_zero, nv_scales);
    assert!((0.05..0.1).contains(&f), "zero UE4M3 scales: {f}");
    let f = frac(nv_nan, nv_beats);
    assert!(f > 0.01 && f < 0.06, "NVFP4 beats with a NaN scale: {f}");
}

#[test]
fn c_covers_every_fp32_class_in_the_documented_proportions() {
    let ds = sample(9, StimConfig::default());
    let n = ds.len();
    let mut count = std::collections::BTreeMap::<&str, usize>::new();
    for d in &ds {
        let c = d.beats[0].c;
        let (neg, e, m) = (c >> 31 == 1, (c >> 23) & 0xff, c & 0x7f_ffff);
        let class = match (e, m) {
            (0, 0) if neg => "-0",
            (0, 0) => "+0",
            (0, _) => "subnormal",
            (255, 0) if neg => "-inf",
            (255, 0) => "+inf",
            (255, _) => "nan",
            (107..=126, _) => "normal below 1",
            (127, _) => "normal at 1",
            (128..=147, _) => "normal above 1",
            _ => "normal far",
        };
        *count.entry(class).or_default() += 1;
        if neg && matches!(class, "subnormal" | "normal below 1" | "normal above 1") {
            *count.entry("negative").or_default() += 1;
        }
    }
    let f = |k: &str| frac(count.get(k).copied().unwrap_or(0), n);
    // 25% zeros (either sign), 45% normals within 2^±20 (exponents 107..=147 alike), 15% any
    // 32-bit word, 5% subnormals, 6% infinities, 4% NaNs (payload nonzero, positive).
    let bounds: [(&str, f64, f64); 10] = [
        ("+0", 0.10, 0.15),
        ("-0", 0.10, 0.15),
        ("normal below 1", 0.20, 0.25),
        ("normal above 1", 0.20, 0.25),
        ("normal at 1", 0.005, 0.02),
        ("normal far", 0.11, 0.14),
        ("subnormal", 0.04, 0.06),
        ("+inf", 0.02, 0.04),
        ("-inf", 0.02, 0.04),
        ("nan", 0.03, 0.05),
    ];
    for (k, lo, hi) in bounds {
        assert!((lo..hi).contains(&f(k)), "C {k}: {} of {n} dots", f(k));
    }
    // About half the finite nonzero Cs near 1 are negative.
    assert!(f("negative") > 0.2, "negative C: {}", f("negative"));
    // C is used on first beats only; later beats carry any 32-bit word.
    let later: Vec<u32> = ds
        .iter()
        .flat_map(|d| d.beats[1..].iter().map(|i| i.c))
        .collect();
    let zero = later.iter().filter(|&&c| c & 0x7fff_ffff == 0).count();
    assert!(
        later.len() > 1000 && zero < 5,
        "{zero} zero Cs on {} later beats",
        later.len()
    );
}

/// A lane of A cleared by a sparse beat: its magnitude bits are 0 (`&= 0x80` keeps an 8-bit
/// sign, and clears a narrower format's whole code).
fn cleared(f: FormatId, c: u8) -> bool {
    c & !sign(f) == 0
}

fn negated(f: FormatId, c: u8) -> u8 {
    if f == FormatId::Int8 {
        (c as i8).wrapping_neg() as u8
    } else {
        c ^ sign(f)
    }
}

#[test]
fn sparse_and_cancelling_beats_occur() {
    let ds = sample(10, StimConfig::default());
    let all: Vec<&Inputs> = beats(&ds).collect();
    // Sparse: 1 in 8 beats keeps A in a quarter of its lanes (by chance, at least 16 of 32
    // uniform lanes cleared is rarer than 1e-6 even for FP4; zero beats clear all 32).
    let sparse = all
        .iter()
        .filter(|i| {
            let n = i.a.iter().filter(|&&c| cleared(fmt(i.a_fmt), c)).count();
            (16..32).contains(&n)
        })
        .count();
    let f = frac(sparse, all.len());
    assert!((0.09..0.16).contains(&f), "sparse beats: {f}");
    // Cancelling: 1 in 8 beats has lanes 16..32 = lanes 0..16 with A negated, in every format
    // (INT8 by two's complement, the others by their sign bit).
    let is_cancel = |i: &Inputs| {
        let f = fmt(i.a_fmt);
        (0..LANES / 2).all(|k| i.a[k + 16] == negated(f, i.a[k]) && i.b[k + 16] == i.b[k])
    };
    let cancel = all.iter().filter(|i| is_cancel(i)).count();
    let f = frac(cancel, all.len());
    assert!((0.09..0.16).contains(&f), "cancelling beats: {f}");
    for (f, _) in FORMATS {
        assert!(
            all.iter().any(|i| fmt(i.a_fmt) == f && is_cancel(i)),
            "no cancelling beat with A in {f}"
        );
    }
}

/// All products -0: one operand -0 in every lane (at most one lane +0 instead), the other
/// operand non-negative; the -0 operand is never INT8 (which has no -0).
fn zero_beat(i: &Inputs) -> Option<bool> {
    let (fa, fb) = (fmt(i.a_fmt), fmt(i.b_fmt));
    for (z, zf, o, of) in [(&i.a, fa, &i.b, fb), (&i.b, fb, &i.a, fa)] {
        if zf == FormatId::Int8 || !o.iter().all(|&c| c & sign(of) == 0) {
            continue;
        }
        let neg = z.iter().filter(|&&c| c == sign(zf)).count();
        let pos = z.iter().filter(|&&c| c == 0).count();
        if neg == LANES || (neg == LANES - 1 && pos == 1) {
            return Some(neg == LANES);
        }
    }
    None
}

#[test]
fn zero_beats_occur_for_every_pairing_with_a_float() {
    let ds = sample(12, StimConfig::default());
    let mut seen = std::collections::BTreeSet::new();
    let (mut n, mut zeros) = (0, 0);
    for i in beats(&ds) {
        n += 1;
        if let Some(all_neg) = zero_beat(i) {
            zeros += 1;
            let int = |p: ElemPort| fmt(p) == FormatId::Int8;
            seen.insert((int(i.a_fmt), int(i.b_fmt), all_neg));
        }
    }
    // 1 in 16 beats, less the INT8 x INT8 ones (1/36 of beats).
    let f = frac(zeros, n);
    assert!((0.045..0.075).contains(&f), "zero beats: {f}");
    for a_int in [false, true] {
        for b_int in [false, true] {
            for all_neg in [false, true] {
                assert_eq!(
                    seen.contains(&(a_int, b_int, all_neg)),
                    !(a_int && b_int),
                    "zero beats with A INT8 {a_int}, B INT8 {b_int}, all -0 {all_neg}"
                );
            }
        }
    }
}

fn narrow(f: FormatId) -> bool {
    width(f) < 8
}

#[test]
fn junk_fills_exactly_the_ignored_bits() {
    let cfg = StimConfig {
        junk: true,
        ..StimConfig::default()
    };
    let ds = sample(13, cfg);
    let (mut lanes, mut junked, mut low_nonzero) = (0, 0, 0);
    let (mut scales, mut bit7, mut scale_low_nonzero) = (0, 0, 0);
    for i in beats(&ds) {
        for (port, codes) in [(i.a_fmt, &i.a), (i.b_fmt, &i.b)] {
            let f = fmt(port);
            if !narrow(f) {
                continue;
            }
            for &c in codes {
                lanes += 1;
                junked += usize::from(c >> width(f) != 0);
                low_nonzero += usize::from(c & ((1 << width(f)) - 1) != 0);
            }
        }
        if i.nvfp4 {
            for c in [i.sa[0], i.sa[1], i.sb[0], i.sb[1]] {
                scales += 1;
                bit7 += usize::from(c & 0x80 != 0);
                scale_low_nonzero += usize::from(c & 0x7f != 0);
            }
        }
    }
    // Bits above the width are uniform junk (nonzero unless all 2 or 4 of them are 0).
    let f = frac(junked, lanes);
    assert!(f > 0.7, "narrow lanes with junk above the width: {f}");
    // The code itself is untouched by the junk.
    let f = frac(low_nonzero, lanes);
    assert!(f > 0.75, "narrow lanes with a nonzero code: {f}");
    let f = frac(bit7, scales);
    assert!(
        (0.45..0.55).contains(&f),
        "UE4M3 scales with junk in bit 7: {f}"
    );
    let f = frac(scale_low_nonzero, scales);
    assert!(f > 0.85, "UE4M3 scales with a nonzero code: {f}");
}

/// The committed `trace` suite must be reproducible from its manifest (spec/vectors.md,
/// "Manifest": the SHA-256s must match; ci/steps/30-vectors.sh regenerates it). Its random part
/// is two streams of this generator, as `mxref gen --suite trace` composes them
/// (cli/src/gen/trace.rs): `count / 2` cycles of the default configuration from `seed`,
/// `count - count / 2` cycles with mixed formats and up to 8 beats from `seed ^ 0x5eed`, then 8
/// bubbles. A change to the generator's draws that keeps every distribution (the order of two
/// draws, say) is caught only here; such a change must bump `generator_version` and
/// regenerate the suite.
#[test]
fn committed_trace_stimulus_is_reproduced() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testvectors/trace");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let seed = manifest["seed"].as_u64().expect("manifest seed");
    let count = manifest["count"].as_u64().expect("manifest count") as usize;
    let text = std::fs::read_to_string(dir.join("trace.jsonl")).unwrap();
    let mut trace = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let b = |k: &str| {
            v[k].as_bool()
                .unwrap_or_else(|| panic!("line {}: {k}", n + 1))
        };
        let port = |k: &str| match v[k].as_u64() {
            Some(c) => ElemPort::from_code(c as u8).unwrap(),
            None => v[k].as_str().unwrap().parse::<FormatId>().unwrap().into(),
        };
        let arr = |k: &str| -> Vec<u8> {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u8)
                .collect()
        };
        trace.push(Inputs {
            rst: b("rst"),
            valid: b("valid"),
            first: b("first"),
            last: b("last"),
            a_fmt: port("a_fmt"),
            b_fmt: port("b_fmt"),
            nvfp4: b("nvfp4"),
            a: arr("a").try_into().unwrap(),
            b: arr("b").try_into().unwrap(),
            sa: arr("sa").try_into().unwrap(),
            sb: arr("sb").try_into().unwrap(),
            c: u32::from_str_radix(v["c"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        });
    }
    let mut want = random_stream(seed, count / 2, StimConfig::default());
    want.extend(random_stream(
        seed ^ 0x5eed,
        count - count / 2,
        StimConfig {
            mixed_formats: true,
            max_beats: 8,
            ..StimConfig::default()
        },
    ));
    want.extend(std::iter::repeat_n(Inputs::default(), 8));
    assert!(want.len() > 1000 && trace.len() > want.len());
    let at = trace.len() - want.len();
    if let Some(k) = (0..want.len()).find(|&k| trace[at + k] != want[k]) {
        panic!(
            "testvectors/trace/trace.jsonl line {}: the committed stimulus differs from the \
             generator's",
            at + k + 1
        );
    }
}
