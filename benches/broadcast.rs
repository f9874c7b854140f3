//! Broadcasts from memory on this CPU: whether a `vbroadcastss` costs an FP pipe besides
//! its load, by encoding (VEX, or EVEX for the upper sixteen registers and for `zmm`).
//! Each routine runs a loop of 32 broadcasts and 32 multiply-adds (or 16 and 32), in
//! assembly so that the encoding and the registers are the ones named; the baseline is
//! the multiply-adds alone, in the same run. A time per loop; at the FMA peak's 3.66 GHz
//! (117 GFLOP/s on one core) a cycle is 0.273 ns.
//!
//! `cargo bench -p shaped-benches --bench broadcast` (x86-64 with AVX-512F; elsewhere
//! it measures nothing). BENCHMARKS.md (issue #9, seventh session) records the figures.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    r#"
// Every routine: a 64-byte-aligned frame of zeros, all 32 vector registers zeroed, then
// `rdi` loops of four copies of its group of instructions.
.macro prologue
    push %rbp
    mov %rsp, %rbp
    and $-64, %rsp
    sub $0x1100, %rsp
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    vxorps %xmm\r, %xmm\r, %xmm\r
    .endr
    vmovaps %zmm1, (%rsp)
    vmovaps %zmm1, 0x40(%rsp)
    .p2align 6
1:
.endm
.macro epilogue
    dec %rdi
    jne 1b
    vzeroupper
    mov %rbp, %rsp
    pop %rbp
    ret
.endm
.text
.globl zen_xmm_fma_only
.p2align 6
zen_xmm_fma_only:
    prologue
    .rept 4
    vfmadd231ps %xmm8, %xmm8, %xmm0
    vfmadd231ps %xmm9, %xmm9, %xmm1
    vfmadd231ps %xmm10, %xmm10, %xmm2
    vfmadd231ps %xmm11, %xmm11, %xmm3
    vfmadd231ps %xmm12, %xmm12, %xmm4
    vfmadd231ps %xmm13, %xmm13, %xmm5
    vfmadd231ps %xmm8, %xmm8, %xmm6
    vfmadd231ps %xmm9, %xmm9, %xmm7
    .endr
    epilogue
.globl zen_vex_xmm
.p2align 6
zen_vex_xmm:
    prologue
    .rept 4
    vbroadcastss 0(%rsp), %xmm8
    vfmadd231ps %xmm8, %xmm8, %xmm0
    vbroadcastss 4(%rsp), %xmm9
    vfmadd231ps %xmm9, %xmm9, %xmm1
    vbroadcastss 8(%rsp), %xmm10
    vfmadd231ps %xmm10, %xmm10, %xmm2
    vbroadcastss 12(%rsp), %xmm11
    vfmadd231ps %xmm11, %xmm11, %xmm3
    vbroadcastss 16(%rsp), %xmm12
    vfmadd231ps %xmm12, %xmm12, %xmm4
    vbroadcastss 20(%rsp), %xmm13
    vfmadd231ps %xmm13, %xmm13, %xmm5
    vbroadcastss 24(%rsp), %xmm8
    vfmadd231ps %xmm8, %xmm8, %xmm6
    vbroadcastss 28(%rsp), %xmm9
    vfmadd231ps %xmm9, %xmm9, %xmm7
    .endr
    epilogue
.globl zen_evex_xmm
.p2align 6
zen_evex_xmm:
    prologue
    .rept 4
    vbroadcastss 0(%rsp), %xmm16
    vfmadd231ps %xmm16, %xmm16, %xmm0
    vbroadcastss 4(%rsp), %xmm17
    vfmadd231ps %xmm17, %xmm17, %xmm1
    vbroadcastss 8(%rsp), %xmm18
    vfmadd231ps %xmm18, %xmm18, %xmm2
    vbroadcastss 12(%rsp), %xmm19
    vfmadd231ps %xmm19, %xmm19, %xmm3
    vbroadcastss 16(%rsp), %xmm20
    vfmadd231ps %xmm20, %xmm20, %xmm4
    vbroadcastss 20(%rsp), %xmm21
    vfmadd231ps %xmm21, %xmm21, %xmm5
    vbroadcastss 24(%rsp), %xmm16
    vfmadd231ps %xmm16, %xmm16, %xmm6
    vbroadcastss 28(%rsp), %xmm17
    vfmadd231ps %xmm17, %xmm17, %xmm7
    .endr
    epilogue
.globl zen_evex_forced_xmm
.p2align 6
zen_evex_forced_xmm:
    prologue
    .rept 4
    {{evex}} vbroadcastss 0(%rsp), %xmm8
    vfmadd231ps %xmm8, %xmm8, %xmm0
    {{evex}} vbroadcastss 4(%rsp), %xmm9
    vfmadd231ps %xmm9, %xmm9, %xmm1
    {{evex}} vbroadcastss 8(%rsp), %xmm10
    vfmadd231ps %xmm10, %xmm10, %xmm2
    {{evex}} vbroadcastss 12(%rsp), %xmm11
    vfmadd231ps %xmm11, %xmm11, %xmm3
    {{evex}} vbroadcastss 16(%rsp), %xmm12
    vfmadd231ps %xmm12, %xmm12, %xmm4
    {{evex}} vbroadcastss 20(%rsp), %xmm13
    vfmadd231ps %xmm13, %xmm13, %xmm5
    {{evex}} vbroadcastss 24(%rsp), %xmm8
    vfmadd231ps %xmm8, %xmm8, %xmm6
    {{evex}} vbroadcastss 28(%rsp), %xmm9
    vfmadd231ps %xmm9, %xmm9, %xmm7
    .endr
    epilogue
.globl zen_fma_only
.p2align 6
zen_fma_only:
    prologue
    .rept 4
    vfmadd231ps 0x100(%rsp), %zmm16, %zmm0
    vfmadd231ps 0x140(%rsp), %zmm17, %zmm1
    vfmadd231ps 0x180(%rsp), %zmm18, %zmm2
    vfmadd231ps 0x1c0(%rsp), %zmm19, %zmm3
    vfmadd231ps 0x200(%rsp), %zmm16, %zmm4
    vfmadd231ps 0x240(%rsp), %zmm17, %zmm5
    vfmadd231ps 0x280(%rsp), %zmm18, %zmm6
    vfmadd231ps 0x2c0(%rsp), %zmm19, %zmm7
    .endr
    epilogue
.globl zen_fma_1to16
.p2align 6
zen_fma_1to16:
    prologue
    .rept 4
    vfmadd231ps 0(%rsp){{1to16}}, %zmm16, %zmm0
    vfmadd231ps 4(%rsp){{1to16}}, %zmm17, %zmm1
    vfmadd231ps 8(%rsp){{1to16}}, %zmm18, %zmm2
    vfmadd231ps 12(%rsp){{1to16}}, %zmm19, %zmm3
    vfmadd231ps 16(%rsp){{1to16}}, %zmm16, %zmm4
    vfmadd231ps 20(%rsp){{1to16}}, %zmm17, %zmm5
    vfmadd231ps 24(%rsp){{1to16}}, %zmm18, %zmm6
    vfmadd231ps 28(%rsp){{1to16}}, %zmm19, %zmm7
    .endr
    epilogue
.globl zen_zmm_bcast
.p2align 6
zen_zmm_bcast:
    prologue
    .rept 4
    vbroadcastss 0(%rsp), %zmm20
    vfmadd231ps 0x100(%rsp), %zmm20, %zmm0
    vfmadd231ps 0x140(%rsp), %zmm20, %zmm1
    vbroadcastss 4(%rsp), %zmm21
    vfmadd231ps 0x180(%rsp), %zmm21, %zmm2
    vfmadd231ps 0x1c0(%rsp), %zmm21, %zmm3
    vbroadcastss 8(%rsp), %zmm22
    vfmadd231ps 0x200(%rsp), %zmm22, %zmm4
    vfmadd231ps 0x240(%rsp), %zmm22, %zmm5
    vbroadcastss 12(%rsp), %zmm23
    vfmadd231ps 0x280(%rsp), %zmm23, %zmm6
    vfmadd231ps 0x2c0(%rsp), %zmm23, %zmm7
    .endr
    epilogue
"#,
    options(att_syntax)
);

#[cfg(target_arch = "x86_64")]
unsafe extern "C" {
    fn zen_xmm_fma_only(loops: u64);
    fn zen_vex_xmm(loops: u64);
    fn zen_evex_xmm(loops: u64);
    fn zen_evex_forced_xmm(loops: u64);
    fn zen_fma_only(loops: u64);
    fn zen_fma_1to16(loops: u64);
    fn zen_zmm_bcast(loops: u64);
}

#[cfg(target_arch = "x86_64")]
fn bench_broadcasts(c: &mut Criterion) {
    if !std::is_x86_feature_detected!("avx512f") {
        return;
    }
    type Loop = unsafe extern "C" fn(u64);
    let loops: [(&str, Loop); 7] = [
        ("baseline: 32 xmm FMAs", zen_xmm_fma_only),
        ("32 xmm FMAs, 32 VEX broadcasts (xmm8-13)", zen_vex_xmm),
        ("32 xmm FMAs, 32 EVEX broadcasts (xmm16-21)", zen_evex_xmm),
        ("32 xmm FMAs, 32 EVEX broadcasts ({evex} on xmm8-13)", zen_evex_forced_xmm),
        ("baseline: 32 zmm FMAs, weights from memory", zen_fma_only),
        ("32 zmm FMAs, {1to16} broadcasts folded in", zen_fma_1to16),
        ("32 zmm FMAs, 16 zmm broadcasts", zen_zmm_bcast),
    ];
    let mut g = c.benchmark_group("broadcast/1000 loops");
    for (name, f) in loops {
        // SAFETY: AVX-512F was detected; each routine keeps to its own stack frame,
        // restores rsp and rbp, clobbers only caller-saved registers and returns after
        // `loops` iterations.
        g.bench_function(name, |b| b.iter(|| unsafe { f(black_box(1000)) }));
    }
    g.finish();
}

#[cfg(not(target_arch = "x86_64"))]
fn bench_broadcasts(_: &mut Criterion) {}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(20);
    targets = bench_broadcasts
}
criterion_main!(benches);
