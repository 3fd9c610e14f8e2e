//! How labels look: their colour.

use annoqa_core::TaskSpec;

/// Colours for labels whose spec sets none, light enough for dark text on top.
const FALLBACK_COLORS: [&str; 8] =
    ["#f6bd60", "#84a59d", "#90caf9", "#f28482", "#b5e48c", "#cdb4db", "#ffd6a5", "#a0c4ff"];

/// The CSS colour of `label` of `control`: the spec's colour if it is a plausible CSS colour,
/// else one of a fixed palette by the label's position.
pub fn label_color(spec: &TaskSpec, control: &str, label: &str) -> Option<String> {
    let control = spec.control(control)?;
    let index = control.labels.iter().position(|l| l.value == label)?;
    let color = control.labels[index].color.as_deref().filter(|c| is_plain_css_color(c));
    Some(color.unwrap_or(FALLBACK_COLORS[index % FALLBACK_COLORS.len()]).to_string())
}

/// Whether `color` looks like a CSS colour (`#abc`, `teal`, `rgb(1 2 3 / 50%)`) and nothing
/// more. The value lands in inline CSS (see [`color_style`]), so `;`, `:`, quotes and `url(` stay out.
pub fn is_plain_css_color(color: &str) -> bool {
    !color.is_empty()
        && color.len() <= 64
        && color
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '#' | '(' | ')' | ',' | '.' | '%' | ' ' | '/'))
        && !color.to_ascii_lowercase().contains("url")
}

/// The inline CSS that gives an element its label colour (`--label-color`), or `""`.
///
/// Elements get it as the `style` *property* (`~style` in `html!`), which is CSSOM: the
/// server's Content-Security-Policy (`style-src 'self'`, nothing inline) blocks `style`
/// attributes but not scripted style changes.
pub fn color_style(color: Option<&str>) -> String {
    color.map(|c| format!("--label-color: {c}")).unwrap_or_default()
}
