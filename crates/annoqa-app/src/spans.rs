//! Rendering a text with (possibly overlapping) spans marked on it.
//!
//! The text is cut at every span boundary into segments; each segment is wrapped in one
//! `<mark>` per span covering it, outermost first. Only the text itself becomes text nodes, so
//! DOM offsets inside the container map one-to-one onto text offsets (see [`crate::selection`]).

use annoqa_core::{Region, RegionValue, TaskSpec};
use yew::{classes, html, Classes, Html};

use crate::labels::{color_style, label_color};

/// One span to mark.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanMark {
    /// Region id, rendered as `data-region`; `None` for the pending selection.
    pub region: Option<String>,
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub color: Option<String>,
    /// Extra classes, e.g. a verdict or `selected`.
    pub classes: Classes,
}

impl SpanMark {
    /// The text spans among `regions`, coloured by their label in `spec`.
    pub fn from_regions(spec: &TaskSpec, regions: &[Region]) -> Vec<SpanMark> {
        regions
            .iter()
            .filter_map(|region| match &region.value {
                RegionValue::TextSpan { start, end, label } => Some(SpanMark {
                    region: Some(region.id.clone()),
                    start: *start,
                    end: *end,
                    label: label.clone(),
                    color: label_color(spec, &region.control, label),
                    classes: Classes::new(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// A piece of text between two consecutive span boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    /// Indices into the spans covering this segment, outermost (earliest, then longest) first.
    pub covering: Vec<usize>,
}

/// Cuts `[0, len)` at every boundary of the valid spans (non-empty, within the text).
pub fn segments(len: usize, spans: &[SpanMark]) -> Vec<Segment> {
    let valid: Vec<usize> =
        (0..spans.len()).filter(|&i| spans[i].start < spans[i].end && spans[i].end <= len).collect();
    let mut cuts: Vec<usize> = vec![0, len];
    for &i in &valid {
        cuts.push(spans[i].start);
        cuts.push(spans[i].end);
    }
    cuts.sort_unstable();
    cuts.dedup();

    let mut nesting = valid;
    nesting.sort_by_key(|&i| (spans[i].start, std::cmp::Reverse(spans[i].end), i));
    cuts.windows(2)
        .filter(|w| w[0] < w[1])
        .map(|w| Segment {
            start: w[0],
            end: w[1],
            covering: nesting.iter().copied().filter(|&i| spans[i].start <= w[0] && w[1] <= spans[i].end).collect(),
        })
        .collect()
}

/// The marked-up text: text nodes and `<mark>` elements, nothing else.
pub fn render_span_text(text: &str, spans: &[SpanMark]) -> Html {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |scalar: usize| chars.get(scalar).map_or(text.len(), |(byte, _)| *byte);
    segments(chars.len(), spans)
        .into_iter()
        .map(|segment| {
            let piece = &text[byte_at(segment.start)..byte_at(segment.end)];
            let mut node = html! { { piece.to_string() } };
            for &i in segment.covering.iter().rev() {
                node = mark(&spans[i], segment.start == spans[i].start, segment.end == spans[i].end, node);
            }
            node
        })
        .collect()
}

fn mark(span: &SpanMark, first: bool, last: bool, inner: Html) -> Html {
    // The label chip is drawn by CSS from `data-label` on the last piece only, so a span cut by
    // an overlapping one still shows one chip, and the chip is no text node.
    let edges = classes!(first.then_some("span-start"), last.then_some("span-end"));
    let style = color_style(span.color.as_deref());
    match &span.region {
        Some(region) => html! {
            <mark class={classes!("span", edges, span.classes.clone())} data-region={region.clone()}
                data-label={span.label.clone()} ~style={style}>{ inner }</mark>
        },
        None => html! {
            <mark class={classes!("pending-selection", edges)} data-label={span.label.clone()} ~style={style}>{ inner }</mark>
        },
    }
}
