//! Unit tests of the general walk of hw.rs (hw_dot_body, for_each_term, group, fold, GroupIdx), for the cargo-mutants survivors of issue 9.
