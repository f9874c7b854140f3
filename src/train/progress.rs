//! `fit`'s progress output, as Keras 3 prints it.
//!
//! On a terminal, with [`Verbosity::ProgressBar`], the line redraws in place while the
//! epoch runs (a carriage return, at most 10 times a second), with the estimated time
//! left:
//!
//! ```text
//! Epoch 1/5
//!  37/469 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.8712 - loss: 0.4123
//! ```
//!
//! and ends as `469/469 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: ... - val_loss: ...`
//! (the epoch's time). Anywhere else (a pipe, a file, a CI log) only that last line is
//! written, with no control characters; [`Verbosity::OneLine`] writes
//! `469/469 - 1s - 2ms/step - accuracy: ...`. Times per step below a millisecond read
//! `us/step`.

use alloc::format;
use alloc::string::String;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::history::Evaluation;
use super::options::{Output, Verbosity};

/// Redraws of the live bar are at least this far apart.
const REDRAW: Duration = Duration::from_millis(100);
/// Width of the bar in characters.
const WIDTH: usize = 20;

pub(super) struct Progress<'a> {
    verbosity: Verbosity,
    output: Output<'a>,
    terminal: bool,
    epochs: usize,
    steps: usize,
    began: Instant,
    last_draw: Option<Instant>,
}

impl<'a> Progress<'a> {
    pub fn new(verbosity: Verbosity, output: Output<'a>, epochs: usize, steps: usize) -> Self {
        let terminal = match output {
            Output::Stdout => std::io::stdout().is_terminal(),
            Output::Writer(_, terminal) => terminal,
        };
        Progress { verbosity, output, terminal, epochs, steps, began: Instant::now(), last_draw: None }
    }

    /// Writes `text`; a failure to print never stops training.
    fn write(&self, text: &str) {
        let _ = match self.output {
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|()| out.flush())
            }
            Output::Writer(w, _) => {
                w.write_text(text);
                Ok(())
            }
        };
    }

    pub fn epoch_begin(&mut self, epoch: usize) {
        self.began = Instant::now();
        self.last_draw = None;
        if self.verbosity != Verbosity::Silent {
            self.write(&format!("Epoch {epoch}/{}\n", self.epochs));
        }
    }

    /// After `done` of the epoch's steps, with the running means so far.
    pub fn batch_end(&mut self, done: usize, logs: &Evaluation) {
        if self.verbosity != Verbosity::ProgressBar || !self.terminal || done >= self.steps {
            return;
        }
        let now = Instant::now();
        if self.last_draw.is_some_and(|t| now - t < REDRAW) {
            return;
        }
        self.last_draw = Some(now);
        let elapsed = now - self.began;
        let per_step = elapsed / done.max(1) as u32;
        let eta = per_step * (self.steps - done) as u32;
        let line = format!(
            "{} {} {} {}{}",
            counter(done, self.steps),
            bar(done, self.steps, true),
            seconds(eta),
            per_step_text(per_step),
            metrics(logs, None)
        );
        // Back to the start of the line, and clear what a longer line left.
        self.write(&format!("\r{line}\x1b[K"));
    }

    pub fn epoch_end(&mut self, train: &Evaluation, validation: Option<&Evaluation>, elapsed: Duration) {
        let per_step = elapsed / self.steps.max(1) as u32;
        let text = match self.verbosity {
            Verbosity::Silent => return,
            Verbosity::OneLine => format!(
                "{}/{} - {} - {}{}\n",
                self.steps,
                self.steps,
                seconds(elapsed),
                per_step_text(per_step),
                metrics(train, validation)
            ),
            Verbosity::ProgressBar => {
                let line = format!(
                    "{} {} {} {}{}",
                    counter(self.steps, self.steps),
                    bar(self.steps, self.steps, false),
                    seconds(elapsed),
                    per_step_text(per_step),
                    metrics(train, validation)
                );
                if self.terminal { format!("\r{line}\x1b[K\n") } else { format!("{line}\n") }
            }
        };
        self.write(&text);
    }
}

/// `37/469`, padded to the width of `469/469` so the line does not jump.
fn counter(done: usize, steps: usize) -> String {
    let width = format!("{steps}").len();
    format!("{done:>width$}/{steps}")
}

/// The bar: done in `━`, the rest dim on a terminal (as Keras draws it).
fn bar(done: usize, steps: usize, terminal: bool) -> String {
    let full = (done * WIDTH).checked_div(steps).unwrap_or(WIDTH).min(WIDTH);
    let mut s = "━".repeat(full);
    if full < WIDTH {
        if terminal {
            s += &format!("\x1b[2m{}\x1b[0m", "━".repeat(WIDTH - full));
        } else {
            s += &"━".repeat(WIDTH - full);
        }
    }
    s
}

/// Whole seconds, as Keras prints them (`0s`, `12s`).
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().round())
}

/// `2ms/step`, or `850us/step` below a millisecond, or `3s/step` above a second.
fn per_step_text(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{}us/step", us.round())
    } else if us < 1e6 {
        format!("{}ms/step", (us / 1000.0).round())
    } else {
        format!("{}s/step", (us / 1e6).round())
    }
}

/// ` - accuracy: 0.8712 - loss: 0.4123 - val_accuracy: ... - val_loss: ...`
fn metrics(train: &Evaluation, validation: Option<&Evaluation>) -> String {
    let mut s = String::new();
    for (name, v) in train.entries() {
        s += &format!(" - {name}: {v:.4}");
    }
    if let Some(val) = validation {
        for (name, v) in val.entries() {
            s += &format!(" - val_{name}: {v:.4}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::RefCell;
    use std::vec::Vec;

    fn logs() -> Evaluation {
        Evaluation { loss: 0.4123, accuracy: Some(0.87124), mae: None, mse: None }
    }

    #[test]
    fn step_times_read_as_keras_prints_them() {
        assert_eq!(per_step_text(Duration::from_micros(850)), "850us/step");
        assert_eq!(per_step_text(Duration::from_micros(2400)), "2ms/step");
        assert_eq!(per_step_text(Duration::from_millis(3100)), "3s/step");
        assert_eq!(seconds(Duration::from_millis(1600)), "2s");
        assert_eq!(counter(37, 469), " 37/469");
        assert_eq!(bar(469, 469, false), "━".repeat(20));
        assert_eq!(bar(0, 10, false).chars().count(), 20);
    }

    #[test]
    fn a_pipe_gets_one_clean_line_per_epoch() {
        let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
        let mut p = Progress::new(Verbosity::ProgressBar, Output::Writer(&sink, false), 2, 469);
        p.epoch_begin(1);
        for done in 1..=469 {
            p.batch_end(done, &logs());
        }
        p.epoch_end(
            &logs(),
            Some(&Evaluation { loss: 0.5, ..Evaluation::default() }),
            Duration::from_millis(1200),
        );
        let text = String::from_utf8(sink.into_inner()).unwrap();
        assert_eq!(
            text,
            "Epoch 1/2\n469/469 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - accuracy: 0.8712 - loss: 0.4123 - val_loss: 0.5000\n"
        );
        assert!(!text.contains('\r') && !text.contains('\x1b'));
    }

    #[test]
    fn a_terminal_gets_a_live_line_at_most_ten_times_a_second() {
        let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
        let mut p = Progress::new(Verbosity::ProgressBar, Output::Writer(&sink, true), 1, 100);
        p.epoch_begin(1);
        let began = Instant::now();
        for done in 1..100 {
            p.batch_end(done, &logs());
            std::thread::sleep(Duration::from_millis(3));
        }
        let elapsed = began.elapsed();
        p.epoch_end(&logs(), None, elapsed);
        let text = String::from_utf8(sink.into_inner()).unwrap();
        let redraws = text.matches('\r').count() - 1; // the last is the epoch's end
        let allowed = (elapsed.as_secs_f64() * 10.0).ceil() as usize + 1;
        assert!(redraws >= 2 && redraws <= allowed, "{redraws} redraws in {elapsed:?}");
        assert!(text.starts_with("Epoch 1/1\n\r  1/100 "), "{text:?}");
        assert!(text.contains(" - accuracy: 0.8712 - loss: 0.4123\x1b[K"));
        assert!(text.ends_with(" - accuracy: 0.8712 - loss: 0.4123\x1b[K\n"));
    }

    #[test]
    fn one_line_and_silent_levels() {
        let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
        let mut p = Progress::new(Verbosity::OneLine, Output::Writer(&sink, true), 3, 10);
        p.epoch_begin(2);
        p.batch_end(3, &logs());
        p.epoch_end(&logs(), None, Duration::from_micros(4000));
        let text = String::from_utf8(sink.into_inner()).unwrap();
        assert_eq!(text, "Epoch 2/3\n10/10 - 0s - 400us/step - accuracy: 0.8712 - loss: 0.4123\n");
        let sink: RefCell<Vec<u8>> = RefCell::new(Vec::new());
        let mut p = Progress::new(Verbosity::Silent, Output::Writer(&sink, true), 3, 10);
        p.epoch_begin(1);
        p.batch_end(3, &logs());
        p.epoch_end(&logs(), None, Duration::from_millis(1));
        assert!(sink.into_inner().is_empty());
    }
}
