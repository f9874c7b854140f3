//! What [`Sequential::compile`](crate::nn::Sequential::compile) refuses: an optimizer
//! setting out of range, or a metric that means nothing for the loss; the model comes
//! back with the error.

use super::optim::SettingError;
use super::options::Metric;
use crate::element::Scalar;
use crate::nn::{Layers, Sequential};

/// Why [`Sequential::compile`] refused.
#[derive(Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum CompileProblem {
    /// An optimizer setting out of range.
    Setting(SettingError),
    /// A metric that means nothing with this loss and output width (accuracy of a
    /// one-output regression: its argmax always matches).
    Metric {
        /// The metric.
        metric: Metric,
        /// Keras's name of the loss.
        loss: &'static str,
        /// The last layer's width.
        outputs: usize,
    },
}

impl core::fmt::Display for CompileProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CompileProblem::Setting(e) => core::fmt::Display::fmt(e, f),
            CompileProblem::Metric { metric, loss, outputs } => write!(
                f,
                "metric `{}` means nothing for {loss} on {outputs} output(s): the argmax of one value always matches; use Metric::MeanAbsoluteError (Keras's \"mae\") for a regression",
                metric.name()
            ),
        }
    }
}

/// [`Sequential::compile`] refused the optimizer's settings or a metric. The model comes
/// back as it was, in `model`.
pub struct CompileError<N: Layers<T>, T: Scalar = f32> {
    /// What was refused.
    pub error: CompileProblem,
    /// The model, unchanged.
    pub model: Sequential<N, T>,
}

impl<N: Layers<T>, T: Scalar> core::fmt::Debug for CompileError<N, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Its message, for `fn main() -> Result<..>`: not the weights it gives back.
        core::fmt::Display::fmt(&self.error, f)
    }
}

impl<N: Layers<T>, T: Scalar> core::fmt::Display for CompileError<N, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)
    }
}

impl<N: Layers<T>, T: Scalar> std::error::Error for CompileError<N, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.error {
            CompileProblem::Setting(e) => Some(e),
            CompileProblem::Metric { .. } => None,
        }
    }
}

crate::error::debug_is_display!(CompileProblem);
