//! What training reports: the history, evaluations, errors, and the progress line.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use std::time::Duration;

/// Why training or evaluation stopped.
#[derive(Clone, PartialEq)]
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
    /// A callback refused the fit before it began (an `EarlyStopping` monitor that the
    /// fit does not record, a `min_delta` that is NaN or negative): the reason.
    Callback(String),
    /// A label the loss cannot take (a binary cross-entropy target outside `[0, 1]`).
    Label {
        /// The label's index in the data.
        index: usize,
        /// Why, naming the value.
        why: String,
    },
    /// The loss of an evaluation came out NaN or infinite: a NaN or infinite input.
    NonFiniteEvaluation {
        /// The mean loss.
        loss: f64,
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
            TrainError::Callback(why) => write!(f, "{why}"),
            TrainError::Label { index, why } => write!(f, "label {index}: {why}"),
            TrainError::NonFiniteEvaluation { loss } => write!(
                f,
                "the evaluation's loss is {loss}: an input or label is NaN or infinite (check the data)"
            ),
        }
    }
}

// What `fn main() -> Result<..>` prints: the message, not the history it carries.
crate::error::debug_is_display!(TrainError);

impl std::error::Error for TrainError {}

/// Loss and metrics per epoch, as Keras's `History.history`. A metric's list is empty if
/// it was not compiled in (or, for the `val_` lists, without validation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Mean training loss of each epoch.
    pub loss: Vec<f64>,
    /// Training accuracy of each epoch.
    pub accuracy: Vec<f64>,
    /// Training mean absolute error of each epoch (`mae`).
    pub mae: Vec<f64>,
    /// Training mean squared error of each epoch (`mse`).
    pub mse: Vec<f64>,
    /// Validation loss of each epoch.
    pub val_loss: Vec<f64>,
    /// Validation accuracy of each epoch.
    pub val_accuracy: Vec<f64>,
    /// Validation mean absolute error of each epoch.
    pub val_mae: Vec<f64>,
    /// Validation mean squared error of each epoch.
    pub val_mse: Vec<f64>,
    /// Wall time of each epoch (training and validation).
    pub epoch_time: Vec<Duration>,
}

impl History {
    pub(super) fn record(&mut self, train: Evaluation, validation: Option<Evaluation>, time: Duration) {
        self.loss.push(train.loss);
        self.accuracy.extend(train.accuracy);
        self.mae.extend(train.mae);
        self.mse.extend(train.mse);
        if let Some(v) = validation {
            self.val_loss.push(v.loss);
            self.val_accuracy.extend(v.accuracy);
            self.val_mae.extend(v.mae);
            self.val_mse.extend(v.mse);
        }
        self.epoch_time.push(time);
    }

    /// Number of epochs recorded.
    pub fn epochs(&self) -> usize {
        self.loss.len()
    }

    /// The recorded series, in Keras's column order (alphabetical, `val_` last), each
    /// with its name: only the non-empty ones.
    pub fn series(&self) -> Vec<(&'static str, &[f64])> {
        [
            ("accuracy", &self.accuracy),
            ("loss", &self.loss),
            ("mae", &self.mae),
            ("mse", &self.mse),
            ("val_accuracy", &self.val_accuracy),
            ("val_loss", &self.val_loss),
            ("val_mae", &self.val_mae),
            ("val_mse", &self.val_mse),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| (n, v.as_slice()))
        .collect()
    }

    /// The value of `name` (`"val_loss"`, `"accuracy"`, ...) at each epoch, if recorded.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.series().into_iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The history as Keras's `CSVLogger` writes it: a header `epoch,accuracy,loss,...`
    /// and a row per epoch (epochs from 0, as Keras counts them).
    pub fn to_csv(&self) -> String {
        let series = self.series();
        let mut out = String::from("epoch");
        for (name, _) in &series {
            out.push(',');
            out.push_str(name);
        }
        out.push('\n');
        for epoch in 0..self.epochs() {
            out.push_str(&format!("{epoch}"));
            for (_, values) in &series {
                out.push(',');
                if let Some(v) = values.get(epoch) {
                    out.push_str(&format!("{v}"));
                }
            }
            out.push('\n');
        }
        out
    }

    /// Writes [`to_csv`](Self::to_csv) to `path`.
    pub fn save_csv(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_csv())
    }

    /// The loss and each metric per epoch as an SVG picture, training and validation
    /// side by side (the figures of "Deep Learning with Python"), one panel per quantity.
    pub fn to_svg(&self) -> String {
        super::plot::svg(self)
    }

    /// Writes [`to_svg`](Self::to_svg) to `path`.
    pub fn save_svg(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_svg())
    }
}

/// Loss and metrics over a data set (`evaluate`, validation), or over an epoch's batches.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Mean loss.
    pub loss: f64,
    /// Accuracy, if compiled with [`Metric::Accuracy`](super::Metric::Accuracy).
    pub accuracy: Option<f64>,
    /// Mean absolute error, if compiled with [`Metric::MeanAbsoluteError`](super::Metric::MeanAbsoluteError).
    pub mae: Option<f64>,
    /// Mean squared error, if compiled with [`Metric::MeanSquaredError`](super::Metric::MeanSquaredError).
    pub mse: Option<f64>,
}

impl Evaluation {
    /// The quantities as Keras names them, in its order: `accuracy`, `loss`, `mae`, `mse`.
    pub fn entries(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        out.extend(self.accuracy.map(|a| ("accuracy", a)));
        out.push(("loss", self.loss));
        out.extend(self.mae.map(|a| ("mae", a)));
        out.extend(self.mse.map(|a| ("mse", a)));
        out
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, v)) in self.entries().into_iter().enumerate() {
            if i > 0 {
                write!(f, " - ")?;
            }
            write!(f, "{name}: {v:.4}")?;
        }
        Ok(())
    }
}
