//! The report's plots as inline SVG: a pairwise agreement heatmap, a confusion matrix and
//! confidence-interval whiskers. Each has a `<title>` and a `<desc>` for screen readers, axis
//! titles, and prints its numbers in the cells; the page puts a table of the same numbers
//! beside each plot.

use crate::html::esc;

/// ColorBrewer's sequential "Blues" (9 classes, ends and three middle stops): light for low
/// values, dark for high, readable by the colour-blind and in greyscale.
const BLUES: [(f64, f64, f64); 5] =
    [(247.0, 251.0, 255.0), (198.0, 219.0, 239.0), (107.0, 174.0, 214.0), (33.0, 113.0, 181.0), (8.0, 48.0, 107.0)];

/// The fill for a share in [0, 1] (clamped), and the text colour that contrasts with it.
pub(crate) fn fill(share: f64) -> (String, &'static str) {
    let t = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 } * (BLUES.len() - 1) as f64;
    let lower = (t.floor() as usize).min(BLUES.len() - 2);
    let f = t - lower as f64;
    let (a, b) = (BLUES[lower], BLUES[lower + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round();
    let rgb = (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
    let colour = format!("rgb({},{},{})", rgb.0, rgb.1, rgb.2);
    // The text colour with the higher WCAG contrast ratio against the fill.
    let fill = luminance(rgb);
    let on_white = 1.05 / (fill + 0.05);
    // Black rather than a softer dark grey: at the scale's middle only black still reaches 4.5:1.
    let on_black = (fill + 0.05) / 0.05;
    (colour, if on_white > on_black { "#ffffff" } else { "#000000" })
}

/// WCAG 2's relative luminance of an sRGB colour.
pub(crate) fn luminance((r, g, b): (f64, f64, f64)) -> f64 {
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// A name cut to `max` characters for an axis, with an ellipsis.
fn short(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_owned()
    } else {
        let mut cut: String = name.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn open(id: &str, width: f64, height: f64, title: &str, desc: &str) -> String {
    format!(
        // Inline SVG in HTML needs no namespace declaration, which keeps the page free of URLs.
        "<svg role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    )
}

/// A square matrix of values, rows and columns named alike (`names`), coloured by value.
/// `cell(r, c)` is the value and its text; `None` draws a grey "n/a" cell.
pub(crate) struct Matrix<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) desc: &'a str,
    pub(crate) rows: &'a [String],
    pub(crate) columns: &'a [String],
    pub(crate) row_axis: &'a str,
    pub(crate) column_axis: &'a str,
}

/// Cell side in pixels.
const CELL: f64 = 44.0;
/// Characters of a name shown on an axis.
const NAME_CHARS: usize = 14;

/// Room for names of up to `chars` characters: about 7 px a character at the tick size.
fn name_room(names: &[String]) -> f64 {
    let chars = names.iter().map(|n| n.chars().count().min(NAME_CHARS)).max().unwrap_or(1);
    16.0 + 7.0 * chars as f64
}

pub(crate) fn matrix(m: &Matrix<'_>, cell: &dyn Fn(usize, usize) -> Option<(f64, String)>) -> String {
    let (rows, cols) = (m.rows.len() as f64, m.columns.len() as f64);
    // Column names are turned 45°, so they need about 0.7 of their length in height.
    let (x0, y0) = (28.0 + name_room(m.rows), 28.0 + 0.72 * name_room(m.columns));
    // The last column's name, turned, reaches right of its cell by about 0.7 of its length.
    let width = x0 + cols * CELL + 0.72 * name_room(m.columns);
    let height = y0 + rows * CELL + 10.0;
    let mut out = open(m.id, width, height, m.title, m.desc);
    // Axis titles: the column axis above the names, the row axis turned along the left edge.
    out.push_str(&format!(
        "<text x=\"{}\" y=\"16\" class=\"axis\" text-anchor=\"middle\">{}</text>",
        x0 + cols * CELL / 2.0,
        esc(m.column_axis)
    ));
    out.push_str(&format!(
        "<text x=\"14\" y=\"{}\" class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
        y0 + rows * CELL / 2.0,
        y0 + rows * CELL / 2.0,
        esc(m.row_axis)
    ));
    for (c, name) in m.columns.iter().enumerate() {
        let x = x0 + c as f64 * CELL + CELL / 2.0;
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{}\" class=\"tick\" transform=\"rotate(-45 {x} {})\"><title>{}</title>{}</text>",
            y0 - 8.0,
            y0 - 8.0,
            esc(name),
            esc(&short(name, NAME_CHARS))
        ));
    }
    for (r, name) in m.rows.iter().enumerate() {
        let y = y0 + r as f64 * CELL + CELL / 2.0 + 4.0;
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{y}\" class=\"tick\" text-anchor=\"end\"><title>{}</title>{}</text>",
            x0 - 8.0,
            esc(name),
            esc(&short(name, NAME_CHARS))
        ));
        for c in 0..m.columns.len() {
            let (x, y) = (x0 + c as f64 * CELL, y0 + r as f64 * CELL);
            let (colour, ink, text) = match cell(r, c) {
                // NaN marks a cell that carries no value by design (an annotator with themself).
                Some((share, text)) if share.is_nan() => ("#f4f4f4".to_owned(), "#555555", text),
                Some((share, text)) => {
                    let (colour, ink) = fill(share);
                    (colour, ink, text)
                }
                None => ("#e5e5e5".to_owned(), "#444444", "n/a".to_owned()),
            };
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\" fill=\"{colour}\" stroke=\"#ffffff\">\
                 <title>{} × {}: {}</title></rect>\
                 <text x=\"{}\" y=\"{}\" class=\"cell\" fill=\"{ink}\" text-anchor=\"middle\">{}</text>",
                esc(name),
                esc(&m.columns[c]),
                esc(&text),
                x + CELL / 2.0,
                y + CELL / 2.0 + 4.0,
                esc(&text)
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// One row of the whisker plot: a name, the estimate and its interval, all in [0, 1].
pub(crate) struct Whisker {
    pub(crate) name: String,
    pub(crate) estimate: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

/// Estimates with their intervals on a shared 0–100 % axis, one row per name.
pub(crate) fn whiskers(id: &str, title: &str, desc: &str, axis: &str, rows: &[Whisker]) -> String {
    const LEFT: f64 = 130.0;
    const PLOT: f64 = 420.0;
    const ROW: f64 = 28.0;
    let height = 40.0 + rows.len() as f64 * ROW + 46.0;
    let width = LEFT + PLOT + 30.0;
    let x = |share: f64| LEFT + share.clamp(0.0, 1.0) * PLOT;
    let mut out = open(id, width, height, title, desc);
    let bottom = 30.0 + rows.len() as f64 * ROW;
    for tick in 0..=5 {
        let share = f64::from(tick) / 5.0;
        out.push_str(&format!(
            "<line x1=\"{0}\" x2=\"{0}\" y1=\"20\" y2=\"{bottom}\" stroke=\"#d0d0d0\"/>\
             <text x=\"{0}\" y=\"{1}\" class=\"tick\" text-anchor=\"middle\">{2}%</text>",
            x(share),
            bottom + 16.0,
            tick * 20
        ));
    }
    out.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
        LEFT + PLOT / 2.0,
        bottom + 38.0,
        esc(axis)
    ));
    for (i, row) in rows.iter().enumerate() {
        let y = 30.0 + i as f64 * ROW + ROW / 2.0;
        let (low, high, dot) = (x(row.low), x(row.high), x(row.estimate));
        let (top, foot) = (y - 6.0, y + 6.0);
        out.push_str(&format!(
            "<g><title>{name}: {estimate:.1}% ({lo:.1}–{hi:.1}%)</title>\
             <text x=\"{label_x}\" y=\"{label_y}\" class=\"tick\" text-anchor=\"end\">{short}</text>\
             <line x1=\"{low}\" x2=\"{high}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#08306b\" stroke-width=\"2\"/>\
             <line x1=\"{low}\" x2=\"{low}\" y1=\"{top}\" y2=\"{foot}\" stroke=\"#08306b\" stroke-width=\"2\"/>\
             <line x1=\"{high}\" x2=\"{high}\" y1=\"{top}\" y2=\"{foot}\" stroke=\"#08306b\" stroke-width=\"2\"/>\
             <circle cx=\"{dot}\" cy=\"{y}\" r=\"5\" fill=\"#d94801\"/></g>",
            name = esc(&row.name),
            estimate = row.estimate * 100.0,
            lo = row.low * 100.0,
            hi = row.high * 100.0,
            label_x = LEFT - 10.0,
            label_y = y + 4.0,
            short = esc(&short(&row.name, 16)),
        ));
    }
    out.push_str("</svg>");
    out
}
