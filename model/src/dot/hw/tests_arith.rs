//! Unit tests of the exact adds and roundings of hw.rs (add_fp32_rne, add_near, add_wide, sticky, f32_exact, fp32_normal_term, cut_sum, add_to, to_acc), for the cargo-mutants survivors of issue 9.
