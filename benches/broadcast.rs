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
.text
.globl zen_vex_xmm
.p2align 6
zen_vex_xmm:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
vbroadcastss 0x0(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm0
vbroadcastss 0x4(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm1
vbroadcastss 0x8(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm2
vbroadcastss 0xc(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm3
vbroadcastss 0x10(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm4
vbroadcastss 0x14(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm5
vbroadcastss 0x18(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm6
vbroadcastss 0x1c(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm7
vbroadcastss 0x20(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm0
vbroadcastss 0x24(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm1
vbroadcastss 0x28(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm2
vbroadcastss 0x2c(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm3
vbroadcastss 0x30(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm4
vbroadcastss 0x34(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm5
vbroadcastss 0x38(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm6
vbroadcastss 0x3c(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm7
vbroadcastss 0x40(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm0
vbroadcastss 0x44(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm1
vbroadcastss 0x48(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm2
vbroadcastss 0x4c(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm3
vbroadcastss 0x50(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm4
vbroadcastss 0x54(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm5
vbroadcastss 0x58(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm6
vbroadcastss 0x5c(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm7
vbroadcastss 0x60(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm0
vbroadcastss 0x64(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm1
vbroadcastss 0x68(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm2
vbroadcastss 0x6c(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm3
vbroadcastss 0x70(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm4
vbroadcastss 0x74(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm5
vbroadcastss 0x78(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm6
vbroadcastss 0x7c(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
.globl zen_evex_xmm
.p2align 6
zen_evex_xmm:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
vbroadcastss 0x0(%rsp),%xmm16
vfmadd231ps %xmm16,%xmm16,%xmm0
vbroadcastss 0x4(%rsp),%xmm17
vfmadd231ps %xmm17,%xmm17,%xmm1
vbroadcastss 0x8(%rsp),%xmm18
vfmadd231ps %xmm18,%xmm18,%xmm2
vbroadcastss 0xc(%rsp),%xmm19
vfmadd231ps %xmm19,%xmm19,%xmm3
vbroadcastss 0x10(%rsp),%xmm20
vfmadd231ps %xmm20,%xmm20,%xmm4
vbroadcastss 0x14(%rsp),%xmm21
vfmadd231ps %xmm21,%xmm21,%xmm5
vbroadcastss 0x18(%rsp),%xmm16
vfmadd231ps %xmm16,%xmm16,%xmm6
vbroadcastss 0x1c(%rsp),%xmm17
vfmadd231ps %xmm17,%xmm17,%xmm7
vbroadcastss 0x20(%rsp),%xmm18
vfmadd231ps %xmm18,%xmm18,%xmm0
vbroadcastss 0x24(%rsp),%xmm19
vfmadd231ps %xmm19,%xmm19,%xmm1
vbroadcastss 0x28(%rsp),%xmm20
vfmadd231ps %xmm20,%xmm20,%xmm2
vbroadcastss 0x2c(%rsp),%xmm21
vfmadd231ps %xmm21,%xmm21,%xmm3
vbroadcastss 0x30(%rsp),%xmm16
vfmadd231ps %xmm16,%xmm16,%xmm4
vbroadcastss 0x34(%rsp),%xmm17
vfmadd231ps %xmm17,%xmm17,%xmm5
vbroadcastss 0x38(%rsp),%xmm18
vfmadd231ps %xmm18,%xmm18,%xmm6
vbroadcastss 0x3c(%rsp),%xmm19
vfmadd231ps %xmm19,%xmm19,%xmm7
vbroadcastss 0x40(%rsp),%xmm20
vfmadd231ps %xmm20,%xmm20,%xmm0
vbroadcastss 0x44(%rsp),%xmm21
vfmadd231ps %xmm21,%xmm21,%xmm1
vbroadcastss 0x48(%rsp),%xmm16
vfmadd231ps %xmm16,%xmm16,%xmm2
vbroadcastss 0x4c(%rsp),%xmm17
vfmadd231ps %xmm17,%xmm17,%xmm3
vbroadcastss 0x50(%rsp),%xmm18
vfmadd231ps %xmm18,%xmm18,%xmm4
vbroadcastss 0x54(%rsp),%xmm19
vfmadd231ps %xmm19,%xmm19,%xmm5
vbroadcastss 0x58(%rsp),%xmm20
vfmadd231ps %xmm20,%xmm20,%xmm6
vbroadcastss 0x5c(%rsp),%xmm21
vfmadd231ps %xmm21,%xmm21,%xmm7
vbroadcastss 0x60(%rsp),%xmm16
vfmadd231ps %xmm16,%xmm16,%xmm0
vbroadcastss 0x64(%rsp),%xmm17
vfmadd231ps %xmm17,%xmm17,%xmm1
vbroadcastss 0x68(%rsp),%xmm18
vfmadd231ps %xmm18,%xmm18,%xmm2
vbroadcastss 0x6c(%rsp),%xmm19
vfmadd231ps %xmm19,%xmm19,%xmm3
vbroadcastss 0x70(%rsp),%xmm20
vfmadd231ps %xmm20,%xmm20,%xmm4
vbroadcastss 0x74(%rsp),%xmm21
vfmadd231ps %xmm21,%xmm21,%xmm5
vbroadcastss 0x78(%rsp),%xmm16
vfmadd231ps %xmm16,%xmm16,%xmm6
vbroadcastss 0x7c(%rsp),%xmm17
vfmadd231ps %xmm17,%xmm17,%xmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
.globl zen_evex_forced_xmm
.p2align 6
zen_evex_forced_xmm:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
{{evex}} vbroadcastss 0x0(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm0
{{evex}} vbroadcastss 0x4(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm1
{{evex}} vbroadcastss 0x8(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm2
{{evex}} vbroadcastss 0xc(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm3
{{evex}} vbroadcastss 0x10(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm4
{{evex}} vbroadcastss 0x14(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm5
{{evex}} vbroadcastss 0x18(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm6
{{evex}} vbroadcastss 0x1c(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm7
{{evex}} vbroadcastss 0x20(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm0
{{evex}} vbroadcastss 0x24(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm1
{{evex}} vbroadcastss 0x28(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm2
{{evex}} vbroadcastss 0x2c(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm3
{{evex}} vbroadcastss 0x30(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm4
{{evex}} vbroadcastss 0x34(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm5
{{evex}} vbroadcastss 0x38(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm6
{{evex}} vbroadcastss 0x3c(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm7
{{evex}} vbroadcastss 0x40(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm0
{{evex}} vbroadcastss 0x44(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm1
{{evex}} vbroadcastss 0x48(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm2
{{evex}} vbroadcastss 0x4c(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm3
{{evex}} vbroadcastss 0x50(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm4
{{evex}} vbroadcastss 0x54(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm5
{{evex}} vbroadcastss 0x58(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm6
{{evex}} vbroadcastss 0x5c(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm7
{{evex}} vbroadcastss 0x60(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm0
{{evex}} vbroadcastss 0x64(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm1
{{evex}} vbroadcastss 0x68(%rsp),%xmm10
vfmadd231ps %xmm10,%xmm10,%xmm2
{{evex}} vbroadcastss 0x6c(%rsp),%xmm11
vfmadd231ps %xmm11,%xmm11,%xmm3
{{evex}} vbroadcastss 0x70(%rsp),%xmm12
vfmadd231ps %xmm12,%xmm12,%xmm4
{{evex}} vbroadcastss 0x74(%rsp),%xmm13
vfmadd231ps %xmm13,%xmm13,%xmm5
{{evex}} vbroadcastss 0x78(%rsp),%xmm8
vfmadd231ps %xmm8,%xmm8,%xmm6
{{evex}} vbroadcastss 0x7c(%rsp),%xmm9
vfmadd231ps %xmm9,%xmm9,%xmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
.globl zen_fma_only
.p2align 6
zen_fma_only:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
vfmadd231ps 0x100(%rsp),%zmm16,%zmm0
vfmadd231ps 0x140(%rsp),%zmm17,%zmm1
vfmadd231ps 0x180(%rsp),%zmm18,%zmm2
vfmadd231ps 0x1c0(%rsp),%zmm19,%zmm3
vfmadd231ps 0x200(%rsp),%zmm16,%zmm4
vfmadd231ps 0x240(%rsp),%zmm17,%zmm5
vfmadd231ps 0x280(%rsp),%zmm18,%zmm6
vfmadd231ps 0x2c0(%rsp),%zmm19,%zmm7
vfmadd231ps 0x300(%rsp),%zmm16,%zmm0
vfmadd231ps 0x340(%rsp),%zmm17,%zmm1
vfmadd231ps 0x380(%rsp),%zmm18,%zmm2
vfmadd231ps 0x3c0(%rsp),%zmm19,%zmm3
vfmadd231ps 0x400(%rsp),%zmm16,%zmm4
vfmadd231ps 0x440(%rsp),%zmm17,%zmm5
vfmadd231ps 0x480(%rsp),%zmm18,%zmm6
vfmadd231ps 0x4c0(%rsp),%zmm19,%zmm7
vfmadd231ps 0x500(%rsp),%zmm16,%zmm0
vfmadd231ps 0x540(%rsp),%zmm17,%zmm1
vfmadd231ps 0x580(%rsp),%zmm18,%zmm2
vfmadd231ps 0x5c0(%rsp),%zmm19,%zmm3
vfmadd231ps 0x600(%rsp),%zmm16,%zmm4
vfmadd231ps 0x640(%rsp),%zmm17,%zmm5
vfmadd231ps 0x680(%rsp),%zmm18,%zmm6
vfmadd231ps 0x6c0(%rsp),%zmm19,%zmm7
vfmadd231ps 0x700(%rsp),%zmm16,%zmm0
vfmadd231ps 0x740(%rsp),%zmm17,%zmm1
vfmadd231ps 0x780(%rsp),%zmm18,%zmm2
vfmadd231ps 0x7c0(%rsp),%zmm19,%zmm3
vfmadd231ps 0x800(%rsp),%zmm16,%zmm4
vfmadd231ps 0x840(%rsp),%zmm17,%zmm5
vfmadd231ps 0x880(%rsp),%zmm18,%zmm6
vfmadd231ps 0x8c0(%rsp),%zmm19,%zmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
.globl zen_fma_1to16
.p2align 6
zen_fma_1to16:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
vfmadd231ps 0x0(%rsp){{1to16}},%zmm16,%zmm0
vfmadd231ps 0x4(%rsp){{1to16}},%zmm17,%zmm1
vfmadd231ps 0x8(%rsp){{1to16}},%zmm18,%zmm2
vfmadd231ps 0xc(%rsp){{1to16}},%zmm19,%zmm3
vfmadd231ps 0x10(%rsp){{1to16}},%zmm16,%zmm4
vfmadd231ps 0x14(%rsp){{1to16}},%zmm17,%zmm5
vfmadd231ps 0x18(%rsp){{1to16}},%zmm18,%zmm6
vfmadd231ps 0x1c(%rsp){{1to16}},%zmm19,%zmm7
vfmadd231ps 0x20(%rsp){{1to16}},%zmm16,%zmm0
vfmadd231ps 0x24(%rsp){{1to16}},%zmm17,%zmm1
vfmadd231ps 0x28(%rsp){{1to16}},%zmm18,%zmm2
vfmadd231ps 0x2c(%rsp){{1to16}},%zmm19,%zmm3
vfmadd231ps 0x30(%rsp){{1to16}},%zmm16,%zmm4
vfmadd231ps 0x34(%rsp){{1to16}},%zmm17,%zmm5
vfmadd231ps 0x38(%rsp){{1to16}},%zmm18,%zmm6
vfmadd231ps 0x3c(%rsp){{1to16}},%zmm19,%zmm7
vfmadd231ps 0x40(%rsp){{1to16}},%zmm16,%zmm0
vfmadd231ps 0x44(%rsp){{1to16}},%zmm17,%zmm1
vfmadd231ps 0x48(%rsp){{1to16}},%zmm18,%zmm2
vfmadd231ps 0x4c(%rsp){{1to16}},%zmm19,%zmm3
vfmadd231ps 0x50(%rsp){{1to16}},%zmm16,%zmm4
vfmadd231ps 0x54(%rsp){{1to16}},%zmm17,%zmm5
vfmadd231ps 0x58(%rsp){{1to16}},%zmm18,%zmm6
vfmadd231ps 0x5c(%rsp){{1to16}},%zmm19,%zmm7
vfmadd231ps 0x60(%rsp){{1to16}},%zmm16,%zmm0
vfmadd231ps 0x64(%rsp){{1to16}},%zmm17,%zmm1
vfmadd231ps 0x68(%rsp){{1to16}},%zmm18,%zmm2
vfmadd231ps 0x6c(%rsp){{1to16}},%zmm19,%zmm3
vfmadd231ps 0x70(%rsp){{1to16}},%zmm16,%zmm4
vfmadd231ps 0x74(%rsp){{1to16}},%zmm17,%zmm5
vfmadd231ps 0x78(%rsp){{1to16}},%zmm18,%zmm6
vfmadd231ps 0x7c(%rsp){{1to16}},%zmm19,%zmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
.globl zen_zmm_bcast
.p2align 6
zen_zmm_bcast:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
vbroadcastss 0x0(%rsp),%zmm20
vfmadd231ps 0x100(%rsp),%zmm20,%zmm0
vfmadd231ps 0x140(%rsp),%zmm20,%zmm1
vbroadcastss 0x4(%rsp),%zmm21
vfmadd231ps 0x180(%rsp),%zmm21,%zmm2
vfmadd231ps 0x1c0(%rsp),%zmm21,%zmm3
vbroadcastss 0x8(%rsp),%zmm22
vfmadd231ps 0x200(%rsp),%zmm22,%zmm4
vfmadd231ps 0x240(%rsp),%zmm22,%zmm5
vbroadcastss 0xc(%rsp),%zmm23
vfmadd231ps 0x280(%rsp),%zmm23,%zmm6
vfmadd231ps 0x2c0(%rsp),%zmm23,%zmm7
vbroadcastss 0x10(%rsp),%zmm20
vfmadd231ps 0x300(%rsp),%zmm20,%zmm0
vfmadd231ps 0x340(%rsp),%zmm20,%zmm1
vbroadcastss 0x14(%rsp),%zmm21
vfmadd231ps 0x380(%rsp),%zmm21,%zmm2
vfmadd231ps 0x3c0(%rsp),%zmm21,%zmm3
vbroadcastss 0x18(%rsp),%zmm22
vfmadd231ps 0x400(%rsp),%zmm22,%zmm4
vfmadd231ps 0x440(%rsp),%zmm22,%zmm5
vbroadcastss 0x1c(%rsp),%zmm23
vfmadd231ps 0x480(%rsp),%zmm23,%zmm6
vfmadd231ps 0x4c0(%rsp),%zmm23,%zmm7
vbroadcastss 0x20(%rsp),%zmm20
vfmadd231ps 0x500(%rsp),%zmm20,%zmm0
vfmadd231ps 0x540(%rsp),%zmm20,%zmm1
vbroadcastss 0x24(%rsp),%zmm21
vfmadd231ps 0x580(%rsp),%zmm21,%zmm2
vfmadd231ps 0x5c0(%rsp),%zmm21,%zmm3
vbroadcastss 0x28(%rsp),%zmm22
vfmadd231ps 0x600(%rsp),%zmm22,%zmm4
vfmadd231ps 0x640(%rsp),%zmm22,%zmm5
vbroadcastss 0x2c(%rsp),%zmm23
vfmadd231ps 0x680(%rsp),%zmm23,%zmm6
vfmadd231ps 0x6c0(%rsp),%zmm23,%zmm7
vbroadcastss 0x30(%rsp),%zmm20
vfmadd231ps 0x700(%rsp),%zmm20,%zmm0
vfmadd231ps 0x740(%rsp),%zmm20,%zmm1
vbroadcastss 0x34(%rsp),%zmm21
vfmadd231ps 0x780(%rsp),%zmm21,%zmm2
vfmadd231ps 0x7c0(%rsp),%zmm21,%zmm3
vbroadcastss 0x38(%rsp),%zmm22
vfmadd231ps 0x800(%rsp),%zmm22,%zmm4
vfmadd231ps 0x840(%rsp),%zmm22,%zmm5
vbroadcastss 0x3c(%rsp),%zmm23
vfmadd231ps 0x880(%rsp),%zmm23,%zmm6
vfmadd231ps 0x8c0(%rsp),%zmm23,%zmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
.globl zen_xmm_fma_only
.p2align 6
zen_xmm_fma_only:
push %rbp
mov %rsp,%rbp
and $-64,%rsp
sub $0x1100,%rsp
vxorps %xmm0,%xmm0,%xmm0
vxorps %xmm1,%xmm1,%xmm1
vxorps %xmm2,%xmm2,%xmm2
vxorps %xmm3,%xmm3,%xmm3
vxorps %xmm4,%xmm4,%xmm4
vxorps %xmm5,%xmm5,%xmm5
vxorps %xmm6,%xmm6,%xmm6
vxorps %xmm7,%xmm7,%xmm7
vxorps %xmm8,%xmm8,%xmm8
vxorps %xmm9,%xmm9,%xmm9
vxorps %xmm10,%xmm10,%xmm10
vxorps %xmm11,%xmm11,%xmm11
vxorps %xmm12,%xmm12,%xmm12
vxorps %xmm13,%xmm13,%xmm13
vxorps %xmm14,%xmm14,%xmm14
vxorps %xmm15,%xmm15,%xmm15
vxorps %xmm16,%xmm16,%xmm16
vxorps %xmm17,%xmm17,%xmm17
vxorps %xmm18,%xmm18,%xmm18
vxorps %xmm19,%xmm19,%xmm19
vxorps %xmm20,%xmm20,%xmm20
vxorps %xmm21,%xmm21,%xmm21
vxorps %xmm22,%xmm22,%xmm22
vxorps %xmm23,%xmm23,%xmm23
vxorps %xmm24,%xmm24,%xmm24
vxorps %xmm25,%xmm25,%xmm25
vxorps %xmm26,%xmm26,%xmm26
vxorps %xmm27,%xmm27,%xmm27
vxorps %xmm28,%xmm28,%xmm28
vxorps %xmm29,%xmm29,%xmm29
vxorps %xmm30,%xmm30,%xmm30
vxorps %xmm31,%xmm31,%xmm31
vmovaps %zmm1,(%rsp)
vmovaps %zmm1,0x40(%rsp)
.p2align 6
1:
vfmadd231ps %xmm8,%xmm8,%xmm0
vfmadd231ps %xmm9,%xmm9,%xmm1
vfmadd231ps %xmm10,%xmm10,%xmm2
vfmadd231ps %xmm11,%xmm11,%xmm3
vfmadd231ps %xmm12,%xmm12,%xmm4
vfmadd231ps %xmm13,%xmm13,%xmm5
vfmadd231ps %xmm8,%xmm8,%xmm6
vfmadd231ps %xmm9,%xmm9,%xmm7
vfmadd231ps %xmm10,%xmm10,%xmm0
vfmadd231ps %xmm11,%xmm11,%xmm1
vfmadd231ps %xmm12,%xmm12,%xmm2
vfmadd231ps %xmm13,%xmm13,%xmm3
vfmadd231ps %xmm8,%xmm8,%xmm4
vfmadd231ps %xmm9,%xmm9,%xmm5
vfmadd231ps %xmm10,%xmm10,%xmm6
vfmadd231ps %xmm11,%xmm11,%xmm7
vfmadd231ps %xmm12,%xmm12,%xmm0
vfmadd231ps %xmm13,%xmm13,%xmm1
vfmadd231ps %xmm8,%xmm8,%xmm2
vfmadd231ps %xmm9,%xmm9,%xmm3
vfmadd231ps %xmm10,%xmm10,%xmm4
vfmadd231ps %xmm11,%xmm11,%xmm5
vfmadd231ps %xmm12,%xmm12,%xmm6
vfmadd231ps %xmm13,%xmm13,%xmm7
vfmadd231ps %xmm8,%xmm8,%xmm0
vfmadd231ps %xmm9,%xmm9,%xmm1
vfmadd231ps %xmm10,%xmm10,%xmm2
vfmadd231ps %xmm11,%xmm11,%xmm3
vfmadd231ps %xmm12,%xmm12,%xmm4
vfmadd231ps %xmm13,%xmm13,%xmm5
vfmadd231ps %xmm8,%xmm8,%xmm6
vfmadd231ps %xmm9,%xmm9,%xmm7
dec %rdi
jne 1b
vzeroupper
mov %rbp,%rsp
pop %rbp
ret
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
