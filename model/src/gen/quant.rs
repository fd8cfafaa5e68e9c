//! Quantize suites: `formats` encode corners (every rounding midpoint of every element
//! format, under each rounding) and `quantize` (FP32 -> MX blocks for each scale rule).

use super::dots::ELEMS;
use super::{QuantCase, Rng};
use crate::format::{pack_f32, Class, FormatId};
use crate::quantize::{ElemRound, QuantSpec, ScaleRule};
use crate::round::{round, Raw, Round, Target};

/// FP32 bits of `(-1)^neg * sig * 2^exp`, rounded to nearest even if not representable.
pub fn f32_bits(neg: bool, sig: u128, exp: i32) -> u32 {
    if sig == 0 {
        return (neg as u32) << 31;
    }
    let raw = Raw {
        sig,
        exp,
        sticky: false,
    };
    pack_f32(neg, round(neg, raw, &Target::FP32, Round::Rne))
}

/// FP32 bits of `2^e`.
fn pow2(e: i32) -> u32 {
    f32_bits(false, 1, e)
}

fn qspec(elem: FormatId, rule: ScaleRule, round: ElemRound) -> QuantSpec {
    let (scale_fmt, block) = if rule.is_pow2() {
        (FormatId::E8m0, 32)
    } else {
        (FormatId::Ue4m3, 16)
    };
    QuantSpec {
        elem,
        scale_fmt,
        block,
        rule,
        round,
    }
}

/// Chop `vals` into blocks of `block`, each led by `anchor` and zero-padded.
fn blocks_of(anchor: u32, vals: &[u32], block: usize) -> Vec<Vec<u32>> {
    vals.chunks(block - 1)
        .map(|ch| {
            let mut x = vec![anchor];
            x.extend_from_slice(ch);
            x.resize(block, 0);
            x
        })
        .collect()
}

/// `formats` encode corners: for each element format, every midpoint between neighbouring
/// magnitudes, one FP32 ulp either side of it, the exact values, the saturation region and
/// the region below the smallest subnormal, both signs. Each block leads with `2^emax`, so
/// the `floor` rule picks scale 1 and the element encode is seen directly.
pub fn formats_encode() -> Vec<QuantCase> {
    let mut out = vec![];
    for f in ELEMS {
        let fmt = f.format();
        let t = fmt.target();
        // Positive finite magnitudes in units of 2^(q - 2), q the smallest quantum.
        let q = match fmt.min_subnormal() {
            Some((_, e)) => e,
            None => fmt.min_normal().1,
        };
        let mut mags: Vec<u128> = (0..=fmt.code_mask())
            .filter_map(|c| {
                let v = fmt.decode_unchecked(c);
                (v.class == Class::Finite && !v.neg).then(|| (v.sig as u128) << (v.exp - q + 2))
            })
            .collect();
        mags.sort_unstable();
        mags.dedup();
        let mut vals = vec![];
        let mut add = |u: u128| {
            let b = f32_bits(false, u, q - 2);
            for bits in [b, b - 1, b + 1] {
                if bits & 0x7fff_ffff != 0 {
                    vals.push(bits);
                }
            }
        };
        add(mags[0] / 2); // half the smallest magnitude: a tie with zero
        add(mags[0] / 4);
        for w in mags.windows(2) {
            add(w[0]);
            add((w[0] + w[1]) / 2);
        }
        let top = *mags.last().unwrap();
        add(top);
        // Between the largest value and 2^(emax+1): saturation (floor keeps scale 1 here).
        let lim = 1u128 << (t.emax + 1 - q + 2);
        add((top + lim) / 2);
        vals.push(f32_bits(false, lim, q - 2) - 1);
        let lim_bits = f32_bits(false, lim, q - 2);
        vals.retain(|&b| b < lim_bits);
        vals.sort_unstable();
        vals.dedup();
        let neg: Vec<u32> = vals.iter().map(|b| b | 0x8000_0000).collect();
        vals.extend(neg);
        let anchor = pow2(t.emax);
        for (rname, r) in [
            ("rne", ElemRound::Rne),
            ("rna", ElemRound::Rna),
            ("rz", ElemRound::Rz),
        ] {
            for (i, x) in blocks_of(anchor, &vals, 32).into_iter().enumerate() {
                out.push(QuantCase {
                    tag: format!("encode-{}-{rname}-{i}", fmt.name),
                    spec: qspec(f, ScaleRule::Floor, r),
                    x,
                    tensor_scale: None,
                });
            }
        }
    }
    out
}

/// `quantize`: corner blocks for every scale rule and element format, then `count` seeded
/// random blocks.
pub fn quantize(seed: u64, count: usize) -> Vec<QuantCase> {
    let mut out = vec![];
    let mut r = Rng::fork(seed, 0);
    let mut configs = vec![];
    for f in ELEMS {
        for rule in [ScaleRule::Floor, ScaleRule::Ceil, ScaleRule::Rceil] {
            configs.push(qspec(f, rule, ElemRound::Rne));
        }
        configs.push(qspec(f, ScaleRule::Floor, ElemRound::Rna));
        configs.push(qspec(f, ScaleRule::Floor, ElemRound::Rz));
    }
    for f in [FormatId::E2m1, FormatId::E4m3] {
        configs.push(qspec(f, ScaleRule::Nvfp4, ElemRound::Rne));
    }
    let mut s = qspec(FormatId::E2m1, ScaleRule::Nvfp4, ElemRound::Rne);
    s.scale_fmt = FormatId::Ue5m3;
    configs.push(s);
    configs.push(qspec(
        FormatId::E4m3,
        ScaleRule::Floor,
        ElemRound::Stochastic { seed: 7 },
    ));
    for spec in configs {
        for (tag, x) in corner_blocks(&mut r, spec) {
            out.push(QuantCase {
                tag: format!(
                    "{}-{}-{}-{}",
                    spec.elem,
                    spec.rule.name(),
                    round_name(spec.round),
                    tag
                ),
                spec,
                x,
                tensor_scale: None,
            });
        }
    }
    let n_corner = out.len();
    let elems = ELEMS;
    for i in 0..count {
        let mut r = Rng::fork(seed, 1 + i as u64);
        let elem = r.pick(&elems);
        let rule = r.pick(&ScaleRule::ALL);
        let round = if rule == ScaleRule::Nvfp4 {
            ElemRound::Rne
        } else {
            r.pick(&[
                ElemRound::Rne,
                ElemRound::Rne,
                ElemRound::Rna,
                ElemRound::Rz,
            ])
        };
        let spec = qspec(elem, rule, round);
        let base = r.below(270) as i32 - 140;
        let spread = 1 + r.below(30) as i32;
        let x = random_block(&mut r, spec.block, base, spread);
        out.push(QuantCase {
            tag: format!(
                "random-{}-{}-{}-{}",
                elem,
                rule.name(),
                round_name(round),
                n_corner + i
            ),
            spec,
            x,
            tensor_scale: None,
        });
    }
    out
}

fn round_name(r: ElemRound) -> &'static str {
    match r {
        ElemRound::Rne => "rne",
        ElemRound::Rna => "rna",
        ElemRound::Rz => "rz",
        ElemRound::Stochastic { .. } => "stochastic",
    }
}

/// Random finite FP32 values with exponents in `base - spread ..= base`, some zeros.
fn random_block(r: &mut Rng, block: usize, base: i32, spread: i32) -> Vec<u32> {
    (0..block)
        .map(|_| {
            if r.chance(1, 16) {
                return (r.below(2) as u32) << 31;
            }
            let e = (base - r.below(spread as u64 + 1) as i32).clamp(-149, 127);
            let sig = (1u128 << 23) | r.below(1 << 23) as u128;
            f32_bits(r.chance(1, 2), sig, e - 23)
        })
        .collect()
}

fn corner_blocks(r: &mut Rng, spec: QuantSpec) -> Vec<(String, Vec<u32>)> {
    let bs = spec.block;
    let emax = spec.elem.format().target().emax;
    let (ms, me) = spec.elem.format().max_finite();
    let mut v: Vec<(String, Vec<u32>)> = vec![];
    let filler = |r: &mut Rng, top: i32| random_block(r, bs, top - 1, 20);
    v.push(("all-zero".into(), vec![0; bs]));
    v.push(("all-neg-zero".into(), vec![0x8000_0000; bs]));
    for (name, bits) in [
        ("nan", 0x7fc0_0000u32),
        ("neg-nan", 0xffc0_0001),
        ("inf", 0x7f80_0000),
        ("neg-inf", 0xff80_0000),
    ] {
        let mut x = filler(r, 0);
        x[3] = bits;
        v.push((name.into(), x));
    }
    for e in [-149, -127, -126, -1, 0, emax, emax + 1, 127] {
        let mut x = filler(r, e);
        x[bs - 1] = pow2(e);
        v.push((format!("amax-2^{e}"), x.clone()));
        if e > -149 {
            x[bs - 1] = pow2(e) - 1; // the FP32 value just below 2^e
            v.push((format!("amax-below-2^{e}"), x.clone()));
        }
        if e < 127 {
            x[bs - 1] = pow2(e) + 1;
            v.push((format!("amax-above-2^{e}"), x.clone()));
        }
        x[bs - 1] = pow2(e) | 0x8000_0000;
        v.push((format!("amax-neg-2^{e}"), x));
    }
    // amax at max_elem * 2^k: where ceil and rceil change their minds.
    for k in [-130, -10, 0, 20, 110] {
        let mut x = filler(r, me + k);
        let b = f32_bits(false, ms as u128, me + k);
        for (name, bits) in [("", b), ("-above", b + 1), ("-below", b - 1)] {
            x[0] = bits;
            v.push((format!("amax-max-elem-x2^{k}{name}"), x.clone()));
        }
    }
    let mut x: Vec<u32> = (0..bs)
        .map(|_| r.below(1 << 23) as u32 | (r.below(2) as u32) << 31)
        .collect();
    x[0] = 1;
    x[1] = 0x007f_ffff;
    v.push(("subnormal-inputs".into(), x.clone()));
    x[2] = 0x0080_0000;
    v.push(("subnormal-and-min-normal".into(), x));
    let mut x = filler(r, 0);
    x[5] = 0x7f7f_ffff;
    v.push(("fp32-max".into(), x.clone()));
    x[5] = 0xff7f_ffff;
    v.push(("fp32-neg-max".into(), x));
    // A wide block: the largest element near FP32's top, the rest far below (flush to zero).
    let mut x = filler(r, -100);
    x[7] = pow2(120);
    v.push(("spread-240-binades".into(), x));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::Quantizer;

    #[test]
    fn cases_are_accepted_by_the_quantizer() {
        for c in formats_encode().iter().chain(&quantize(1, 200)) {
            let q = Quantizer::new(c.spec).unwrap_or_else(|e| panic!("{}: {e}", c.tag));
            assert_eq!(c.x.len() % c.spec.block, 0, "{}", c.tag);
            let mut s = vec![0; c.x.len() / c.spec.block];
            let mut codes = vec![0; c.x.len()];
            let ts = q.tensor_scale(&c.x);
            q.quantize(&c.x, ts, 0, &mut s, &mut codes)
                .unwrap_or_else(|e| panic!("{}: {e}", c.tag));
        }
    }

    #[test]
    fn f32_bits_packs_exact_values() {
        assert_eq!(f32_bits(false, 1, 0), 0x3f80_0000);
        assert_eq!(f32_bits(true, 3, -1), 0xbfc0_0000);
        assert_eq!(f32_bits(false, 1, -149), 1);
        assert_eq!(pow2(3) - 1, 0x40ff_ffff);
    }
}
