//! Unit tests of join.rs (cut_signed, group_join), for the cargo-mutants survivors of issue 9.
