//! Every misuse of `#[migrata::test]` is a compile error saying
//! what the attribute expects.
#![cfg(feature = "testing")]

#[test]
fn test_attribute_misuse_is_a_compile_error() {
    trybuild::TestCases::new().compile_fail("tests/ui/testing/*.rs");
}
