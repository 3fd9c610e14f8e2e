use annoqa_core::text;
use yew::{classes, component, html, AttrValue, Callback, Html, MouseEvent, Properties};

use super::keep_focus;
use crate::labels::color_style;
use crate::spans::SpanMark;

#[derive(Properties, PartialEq)]
pub struct SpanListProps {
    pub text: AttrValue,
    pub marks: Vec<SpanMark>,
    pub selected: Option<String>,
    pub editable: bool,
    pub on_select: Callback<String>,
    pub on_remove: Callback<String>,
}

/// The spans drawn so far, in text order, each with a remove button.
#[component]
pub fn SpanList(props: &SpanListProps) -> Html {
    let mut marks: Vec<&SpanMark> = props.marks.iter().filter(|m| m.region.is_some()).collect();
    marks.sort_by_key(|m| (m.start, m.end));
    html! {
        <section class="span-list-panel" aria-label="spans">
            <h2>{ format!("Spans ({})", marks.len()) }</h2>
            if marks.is_empty() {
                <p class="hint">{ "No spans yet. Select text, then pick a label." }</p>
            } else {
                <ul class="span-list">
                    { for marks.into_iter().map(|mark| span_row(props, mark)) }
                </ul>
            }
        </section>
    }
}

fn span_row(props: &SpanListProps, mark: &SpanMark) -> Html {
    let id = mark.region.clone().unwrap_or_default();
    let quote = text::slice(&props.text, mark.start, mark.end).unwrap_or_default().to_string();
    let selected = props.selected.as_deref() == Some(id.as_str());
    let style = color_style(mark.color.as_deref());
    let select = {
        let on_select = props.on_select.clone();
        let id = id.clone();
        Callback::from(move |_: MouseEvent| on_select.emit(id.clone()))
    };
    let remove = {
        let on_remove = props.on_remove.clone();
        let id = id.clone();
        Callback::from(move |_: MouseEvent| on_remove.emit(id.clone()))
    };
    html! {
        <li key={id.clone()}
            class={classes!("span-row", selected.then_some("selected"), mark.classes.clone())}
            data-region={id.clone()} ~style={style}>
            <button type="button" class="span-pick" onmousedown={keep_focus()} onclick={select}
                disabled={!props.editable} aria-pressed={selected.to_string()}>
                <span class="chip">{ mark.label.clone() }</span>
                <span class="quote" dir="auto">{ quote }</span>
                <span class="offsets">{ format!("{}–{}", mark.start, mark.end) }</span>
            </button>
            <button type="button" class="span-remove" onmousedown={keep_focus()} onclick={remove}
                disabled={!props.editable} aria-label={format!("remove span {id}")} title="Remove (Delete)">
                { "×" }
            </button>
        </li>
    }
}
