//! What training reports: the history, evaluations, errors, and the progress line.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use std::time::Duration;

/// Why training or evaluation stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The samples and the labels differ in number.
    LengthMismatch {
        /// Samples given.
        samples: usize,
        /// Labels given.
        labels: usize,
    },
    /// No samples to train or evaluate on.
    NoSamples,
    /// A batch size of zero.
    ZeroBatchSize,
    /// A validation split outside `[0, 1)`, or one that leaves no training samples.
    ValidationSplit(f64),
    /// The update of a batch made a weight or the optimizer's state NaN or infinite (a
    /// learning rate too large for the data, say). The weights and the optimizer are
    /// those from before that batch; `history` holds the epochs completed before it.
    NonFiniteWeights {
        /// The epoch, from 1.
        epoch: usize,
        /// The batch within the epoch, from 1.
        batch: usize,
        /// The epochs completed before.
        history: Box<History>,
    },
    /// The loss of a batch, or its gradient, was NaN or infinite. The weights are those
    /// from before that batch; `history` holds the epochs completed before it.
    NonFiniteLoss {
        /// The epoch, from 1.
        epoch: usize,
        /// The batch within the epoch, from 1.
        batch: usize,
        /// The batch's mean loss.
        loss: f64,
        /// The epochs completed before.
        history: Box<History>,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::LengthMismatch { samples, labels } => {
                write!(f, "{samples} samples but {labels} labels: each sample needs one label")
            }
            TrainError::NoSamples => write!(f, "no samples"),
            TrainError::ZeroBatchSize => write!(f, "the batch size must be at least 1"),
            TrainError::ValidationSplit(s) => {
                write!(f, "validation split {s} must be in [0, 1) and leave samples to train on")
            }
            TrainError::NonFiniteWeights { epoch, batch, .. } => write!(
                f,
                "the update at epoch {epoch}, batch {batch} made a weight NaN or infinite (is the learning rate too large?); training stopped with the weights from before that batch"
            ),
            TrainError::NonFiniteLoss { epoch, batch, loss, .. } if loss.is_finite() => write!(
                f,
                "the gradient became NaN or infinite at epoch {epoch}, batch {batch} (loss {loss}); training stopped with the weights from before that batch"
            ),
            TrainError::NonFiniteLoss { epoch, batch, loss, .. } => write!(
                f,
                "the loss became {loss} at epoch {epoch}, batch {batch}; training stopped with the weights from before that batch"
            ),
        }
    }
}

impl std::error::Error for TrainError {}

/// Loss and metrics per epoch, as Keras's `History.history`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Mean training loss of each epoch.
    pub loss: Vec<f64>,
    /// Training accuracy of each epoch (empty without [`Metric::Accuracy`](super::Metric::Accuracy)).
    pub accuracy: Vec<f64>,
    /// Validation loss after each epoch (empty without validation data).
    pub val_loss: Vec<f64>,
    /// Validation accuracy after each epoch.
    pub val_accuracy: Vec<f64>,
    /// Wall time of each epoch's training.
    pub epoch_time: Vec<Duration>,
}

impl History {
    /// Appends one epoch.
    pub(super) fn record(
        &mut self,
        loss: f64,
        accuracy: Option<f64>,
        validation: Option<Evaluation>,
        time: Duration,
    ) {
        self.loss.push(loss);
        self.accuracy.extend(accuracy);
        if let Some(v) = validation {
            self.val_loss.push(v.loss);
            self.val_accuracy.extend(v.accuracy);
        }
        self.epoch_time.push(time);
    }
}

/// The loss and metrics of [`Compiled::evaluate`](super::Compiled::evaluate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss.
    pub loss: f64,
    /// Accuracy, if [`Metric::Accuracy`](super::Metric::Accuracy) was compiled in.
    pub accuracy: Option<f64>,
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = self.accuracy {
            write!(f, "accuracy: {a:.4} - ")?;
        }
        write!(f, "loss: {:.4}", self.loss)
    }
}

/// Keras's progress bar, full.
const BAR: &str = "━━━━━━━━━━━━━━━━━━━━";

/// Keras's line at the end of an epoch: steps, time, metrics.
pub(super) fn progress_line(
    steps: usize,
    elapsed: Duration,
    accuracy: Option<f64>,
    loss: f64,
    validation: Option<Evaluation>,
) -> std::string::String {
    let secs = elapsed.as_secs_f64();
    let mut line = std::format!(
        "{steps}/{steps} {BAR} {}s {}ms/step",
        secs.round(),
        (secs * 1000.0 / steps as f64).round()
    );
    if let Some(a) = accuracy {
        line += &std::format!(" - accuracy: {a:.4}");
    }
    line += &std::format!(" - loss: {loss:.4}");
    if let Some(v) = validation {
        if let Some(a) = v.accuracy {
            line += &std::format!(" - val_accuracy: {a:.4}");
        }
        line += &std::format!(" - val_loss: {:.4}", v.loss);
    }
    line
}
