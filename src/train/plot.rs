//! The history as an SVG picture: one panel per quantity (loss, then each metric),
//! training as dots and validation as a line, as the book's figures draw them.
//!
//! Hand-written (about a hundred lines) rather than a plotting crate: the picture is a few
//! polylines, circles and labels, and `plotters` would bring a font stack with it.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::history::History;

const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 300.0;
const MARGIN: f64 = 60.0;

/// A value for SVG: finite, with a few decimals.
fn v(x: f64) -> String {
    format!("{:.2}", if x.is_finite() { x } else { 0.0 })
}

/// A readable tick label.
fn tick(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1e5 || x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

pub(super) fn svg(history: &History) -> String {
    // Quantities: loss first, then metrics, each with its validation series if any.
    let series = history.series();
    let find = |name: &str| series.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    // (name, training values, validation values)
    type Panel<'h> = (&'static str, &'h [f64], Option<&'h [f64]>);
    let mut panels: Vec<Panel<'_>> = Vec::new();
    for name in ["loss", "accuracy", "mae", "mse"] {
        if let Some(train) = find(name) {
            let val = match name {
                "loss" => find("val_loss"),
                "accuracy" => find("val_accuracy"),
                "mae" => find("val_mae"),
                _ => find("val_mse"),
            };
            panels.push((name, train, val));
        }
    }
    let width = PANEL_W * panels.len().max(1) as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        w = v(width),
        h = v(PANEL_H)
    );
    for (k, (name, train, val)) in panels.iter().enumerate() {
        let x0 = k as f64 * PANEL_W + MARGIN;
        let (pw, ph) = (PANEL_W - 1.5 * MARGIN, PANEL_H - 2.0 * MARGIN);
        let y0 = MARGIN;
        let all = train.iter().chain(val.iter().flat_map(|v| v.iter())).copied().filter(|x| x.is_finite());
        let (mut lo, mut hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-12 {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        let epochs = history.epochs().max(2);
        let px = |e: usize| x0 + pw * e as f64 / (epochs - 1) as f64;
        let py = |y: f64| y0 + ph * (1.0 - (y - lo) / (hi - lo));
        let title = if val.is_some() {
            format!("Training and validation {name}")
        } else {
            format!("Training {name}")
        };
        out += &format!("<text x=\"{}\" y=\"{}\" font-size=\"14\">{title}</text>\n", v(x0), v(y0 - 36.0));
        out += &format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
            v(x0),
            v(y0),
            v(pw),
            v(ph)
        );
        for (label, y) in [(tick(hi), y0), (tick(lo), y0 + ph)] {
            out += &format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>\n",
                v(x0 - 4.0),
                v(y + 4.0)
            );
        }
        out += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">Epochs (1 to {})</text>\n",
            v(x0 + pw / 2.0),
            v(y0 + ph + 30.0),
            history.epochs()
        );
        // Training: blue dots.
        for (e, &y) in train.iter().enumerate() {
            out += &format!("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"#1f77b4\"/>\n", v(px(e)), v(py(y)));
        }
        // Validation: a line.
        if let Some(val) = val {
            let points: Vec<String> =
                val.iter().enumerate().map(|(e, &y)| format!("{},{}", v(px(e)), v(py(y)))).collect();
            out += &format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n",
                points.join(" ")
            );
        }
        // The legend sits between the title and the frame, clear of the data.
        let legend_y = y0 - 18.0;
        out += &format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"#1f77b4\"/><text x=\"{}\" y=\"{}\">Training {name}</text>\n",
            v(x0 + 4.0),
            v(legend_y - 4.0),
            v(x0 + 12.0),
            v(legend_y)
        );
        if val.is_some() {
            out += &format!(
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">Validation {name}</text>\n",
                v(x0 + 160.0),
                v(legend_y - 4.0),
                v(x0 + 170.0),
                v(legend_y - 4.0),
                v(x0 + 174.0),
                v(legend_y)
            );
        }
    }
    out += "</svg>\n";
    out
}
