//! The generators' random stream (`gen::Rng`) against values computed outside the model, for
//! the cargo-mutants survivors of gen.rs (mutation/qf-results.md): `fork`'s derived streams and
//! `chance`'s probabilities at their ends and in the middle.

use mxref_model::gen::Rng;

#[test]
fn fork_streams_are_pinned() {
    // fork(seed, k) = SplitMix64 seeded with mix(seed ^ mix(k + 0x5851f42d4c957f2d)), mix being
    // SplitMix64's finaliser (gen.rs); first outputs from a Python transcription:
    //   M=(1<<64)-1
    //   def mix(z): z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M; z=((z^(z>>27))*0x94d049bb133111eb)&M; return z^(z>>31)
    //   hex(mix((mix(seed ^ mix((k+0x5851f42d4c957f2d)&M)) + 0x9e3779b97f4a7c15)&M))
    let want = [
        (0u64, 1u64, 0xaa8a_8770_9849_0b41u64),
        (0, 2, 0x281c_e275_7737_b1a5),
        (7, 1, 0x11d2_6371_06ff_72e2),
        (7, 2, 0x708e_87ff_2379_2413),
        (0xdead_beef, 3, 0x320f_ff76_1d5c_4cde),
    ];
    for (seed, k, first) in want {
        assert_eq!(Rng::fork(seed, k).next_u64(), first, "fork({seed:#x}, {k})");
    }
}

#[test]
fn chance_at_the_ends_and_in_the_middle() {
    let mut r = Rng::new(12345);
    for den in [1u64, 2, 3, 7, 1000] {
        for _ in 0..200 {
            // Probability 0 and 1.
            assert!(!r.chance(0, den), "0/{den}");
            assert!(r.chance(den, den), "{den}/{den}");
        }
    }
    // Probability 1/4 over 4000 draws: 1000 expected, standard deviation 27.4; the bounds are
    // seven of those either side (the stream is fixed, so this either always holds or never).
    let hits = (0..4000).filter(|_| r.chance(1, 4)).count();
    assert!((810..=1190).contains(&hits), "{hits}");
    // 3/4: the complement.
    let hits = (0..4000).filter(|_| r.chance(3, 4)).count();
    assert!((2810..=3190).contains(&hits), "{hits}");
}
