//! Dropout's masks while training: a key per step and layer, and each row's random bits
//! from its sample's index, so that a team of threads draws what one thread draws.

use super::Workspace;
use crate::element::Scalar;
use alloc::vec::Vec;

/// The step's key and each row's sample index, for the dropout layers of one training
/// forward pass; and how many of them have drawn their masks.
#[derive(Clone, Debug, Default)]
pub(super) struct DropoutRows {
    key: u64,
    ids: Vec<u64>,
    layer: u64,
}

impl<T: Scalar> Workspace<T> {
    /// Before a training forward pass: the step's key and, for each row of the part,
    /// its sample's index in the training data. The dropout layers' masks depend on
    /// these alone, not on how the batch is split over threads. (Without a call, the
    /// key is 0 and a row's index is its position.)
    #[cfg(feature = "std")] // `fit` and `train_on_batch`
    pub(crate) fn begin_dropout(&mut self, key: u64, samples: &[usize]) {
        let d = &mut self.dropout;
        d.key = key;
        d.layer = 0;
        d.ids.clear();
        d.ids.extend(samples.iter().map(|&i| i as u64));
    }

    /// The next dropout layer's key and the rows' sample indices.
    pub(crate) fn dropout_layer(&mut self) -> (u64, &[u64]) {
        let d = &mut self.dropout;
        d.layer += 1;
        (mix(d.key ^ mix(d.layer)), &d.ids)
    }
}

/// SplitMix64's finalizer of `z + golden ratio`: a well-mixed 64-bit function of `z`.
pub(crate) fn mix(z: u64) -> u64 {
    let z = z.wrapping_add(GOLDEN);
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The random bits of one row of a dropout layer: SplitMix64 seeded by the layer's key
/// and the sample's index, 32 bits a value.
pub(crate) struct DropoutBits(u64);

impl DropoutBits {
    pub(crate) fn new(layer_key: u64, sample: u64) -> Self {
        DropoutBits(mix(layer_key ^ mix(sample)))
    }

    /// The next value's 32 bits, in the low half.
    #[inline]
    pub(crate) fn next_bits(&mut self) -> u64 {
        let bits = mix(self.0);
        self.0 = self.0.wrapping_add(GOLDEN);
        bits >> 32
    }
}
