//! Instruction sets and run-time dispatch: one choice per call, everything inside inlined.
//!
//! A kernel is written once as an `#[inline(always)]` body generic over `FMA` and compiled
//! three times (portable, AVX2+FMA, AVX-512) by [`dispatch`] (a [`Job`]) or by the
//! `multiversion!` macro (a free function); the best variant this CPU runs is picked at
//! run time, as matrixmultiply does.

/// Which instruction set the kernels run with on this CPU.
/// Ordered from least to most capable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// The target's baseline (SSE2 on x86-64), or whatever `-C target-feature` enables.
    Portable,
    /// AVX2 with FMA, detected at run time.
    Avx2Fma,
    /// AVX-512F and AVX-512VL (its instructions on 128- and 256-bit registers too) with
    /// FMA, detected at run time. (Every AVX-512 CPU but Xeon Phi has VL.)
    Avx512,
}

impl Isa {
    /// The cap set by `SHAPED_ISA` (`portable`, `avx2` or `avx512`; anything else, or
    /// unset, caps nothing).
    pub fn from_name(name: Option<&str>) -> Isa {
        match name {
            Some("portable") => Isa::Portable,
            Some("avx2") => Isa::Avx2Fma,
            _ => Isa::Avx512,
        }
    }
}

/// The instruction set the kernels pick on this CPU.
///
/// Without `std` there is no run-time detection: the kernels use what the build's target
/// features allow ([`Isa::Portable`]). With `std`, the environment variable `SHAPED_ISA`
/// (`portable`, `avx2` or `avx512`) can lower the choice, to measure or test the other
/// paths; it never raises it above what the CPU has. It is read once per process. (A
/// build for a target with AVX-512F, AVX-512VL and FMA, `-C target-cpu=native` on such a
/// CPU, compiles every variant with them: there the choice changes no code.)
#[inline]
pub fn isa() -> Isa {
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    {
        static CHOICE: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *CHOICE.get_or_init(|| {
            let detected = if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("fma")
            {
                Isa::Avx512
            } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                Isa::Avx2Fma
            } else {
                Isa::Portable
            };
            detected.min(Isa::from_name(std::env::var("SHAPED_ISA").ok().as_deref()))
        })
    }
    #[cfg(not(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64"))))]
    Isa::Portable
}

/// A computation made of `#[inline(always)]` kernels, run by [`dispatch`] with the best
/// instruction set of this CPU; `FMA` tells whether fused multiply-adds may be used.
pub trait Job {
    /// What it returns.
    type Out;
    /// Runs it; called from inside a function compiled for the chosen instruction set.
    fn run<const FMA: bool>(self) -> Self::Out;
}

/// Runs `job` compiled three times (portable, AVX2+FMA, AVX-512), the best one for this
/// CPU: one run-time choice for a whole computation, everything inside inlined.
#[inline(always)]
pub fn dispatch<J: Job>(job: J) -> J::Out {
    // `dispatch_at(Isa::Avx512, ..)`: capped by `isa()` alone, read once.
    dispatch_at(Isa::Avx512, job)
}

/// [`dispatch`] with at most instruction set `cap` (never more than [`isa`] reports):
/// how the tests run every variant.
///
/// Inlined always: out of line, it copied the job (three pointers for one sample's
/// forward pass) with a 16-byte load over the caller's fresh 8-byte stores, a load the
/// CPU cannot take from its store buffer. It waited for those stores to retire, so a
/// loop of small predictions ran one call at a time (16-32-32-4 through a `dyn FnMut`
/// loop: 95 → 77 ns, probe program, Zen 4).
///
/// A build whose target features already include the AVX-512 variant's (as
/// `-C target-cpu=native` on an AVX-512 CPU does) compiles all three variants to the same
/// code, so it runs the portable one in place: no run-time check, no call (16-32-32-4,
/// one sample, native: 61.7 → 56.5 ns, probe program). There `cap` changes nothing.
#[inline(always)]
pub fn dispatch_at<J: Job>(cap: Isa, job: J) -> J::Out {
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    if !cfg!(all(target_feature = "avx512f", target_feature = "avx512vl", target_feature = "fma")) {
        match cap.min(isa()) {
            // SAFETY: `isa()` reported AVX-512F, AVX-512VL and FMA on this CPU.
            Isa::Avx512 => return unsafe { run_avx512(job) },
            // SAFETY: `isa()` reported AVX2 and FMA on this CPU.
            Isa::Avx2Fma => return unsafe { run_avx2(job) },
            Isa::Portable => {}
        }
    }
    let _ = cap;
    run_portable(job)
}

/// The portable variant: FMA only where the build's target features have it.
#[inline(always)]
pub fn run_portable<J: Job>(job: J) -> J::Out {
    if cfg!(target_feature = "fma") { job.run::<true>() } else { job.run::<false>() }
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
fn run_avx512<J: Job>(job: J) -> J::Out {
    job.run::<true>()
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<J: Job>(job: J) -> J::Out {
    job.run::<true>()
}

/// Every instruction set this CPU runs, least capable first (for tests of each variant).
#[cfg(test)]
pub fn available() -> impl Iterator<Item = Isa> {
    [Isa::Portable, Isa::Avx2Fma, Isa::Avx512].into_iter().filter(|&i| i <= isa())
}

/// Defines a kernel as a public function that runs a generic `#[inline(always)]` body
/// through [`dispatch`], and a `_at` twin that takes the instruction-set cap (for tests).
///
/// Arguments are written with the lifetime `'a`, which the generated [`Job`] carries.
macro_rules! multiversion {
    (
        $(#[$doc:meta])*
        $vis:vis fn $name:ident / $name_at:ident <'a, $($g:ident: $gb:path),*; $(const $c:ident: usize),*>
            ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?
        => $body:ident
    ) => {
        $(#[$doc])*
        #[inline]
        $vis fn $name<'a, $($g: $gb,)* $(const $c: usize,)*>($($arg: $ty),*) $(-> $ret)? {
            $name_at::<$($g,)* $($c,)*>($crate::linalg::simd::isa(), $($arg),*)
        }

        /// The same kernel with at most the given instruction set.
        #[allow(dead_code)]
        #[inline]
        $vis fn $name_at<'a, $($g: $gb,)* $(const $c: usize,)*>(
            cap: $crate::linalg::simd::Isa, $($arg: $ty),*
        ) $(-> $ret)? {
            #[allow(non_camel_case_types)]
            struct Args<'a, $($g: $gb,)* $(const $c: usize,)*> { $($arg: $ty),* }
            impl<'a, $($g: $gb,)* $(const $c: usize,)*> $crate::linalg::simd::Job for Args<'a, $($g,)* $($c,)*> {
                type Out = $crate::linalg::simd::multiversion!(@ret $($ret)?);
                #[inline(always)]
                fn run<const FMA: bool>(self) -> Self::Out {
                    let Args { $($arg),* } = self;
                    $body::<$($g,)* $($c,)* FMA>($($arg),*)
                }
            }
            $crate::linalg::simd::dispatch_at(cap, Args::<$($g,)* $($c,)*> { $($arg),* })
        }
    };
    (@ret) => { () };
    (@ret $ret:ty) => { $ret };
}
pub(crate) use multiversion;
