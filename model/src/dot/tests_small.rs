//! Unit tests of dot.rs internals (Small, bits_of, pack, special_flags, zero_bits), for the cargo-mutants survivors of issue 9.
