//! Puts the board's memory map where `cortex-m-rt`'s `link.x` finds it, as `memory.x`
//! (no file of that name in this directory: the linker would find it first):
//! QEMU's mps2-an386 / an385 by default, the STM32F405 of `netduinoplus2` with that
//! feature.
fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let map = if std::env::var_os("CARGO_FEATURE_NETDUINOPLUS2").is_some() {
        "memory-netduinoplus2.x"
    } else {
        "memory-mps2.x"
    };
    std::fs::copy(map, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory-mps2.x");
    println!("cargo:rerun-if-changed=memory-netduinoplus2.x");
}
