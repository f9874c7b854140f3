//! Compile-time shape rules: each `fail` case must fail with the message in its
//! `.stderr`; each `pass` case must build and run.
//!
//! Set `TRYBUILD=overwrite` to regenerate the `.stderr` files after changing a message.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    // The pass cases make trybuild *build* (not just check) the fail cases, so the
    // inline `const { assert!(..) }` rules (reshape, flatten, slice) are seen too.
    t.pass("pass/*.rs");
    t.compile_fail("fail/*.rs");
}
