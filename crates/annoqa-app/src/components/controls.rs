use std::rc::Rc;

use annoqa_core::{Control, ControlKind, Label, TaskSpec};
use yew::{classes, component, html, Callback, Html, MouseEvent, Properties};

use super::{guideline_link, keep_focus};
use crate::labels::{color_style, is_plain_css_color, label_color};
use crate::state::LabelRef;

/// A click on a choice label: the control, the label and whether several may be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceClick {
    pub control: String,
    pub label: String,
    pub multiple: bool,
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub spec: Rc<TaskSpec>,
    pub active_label: Option<LabelRef>,
    /// Chosen labels per choice control.
    pub chosen: Vec<(String, Vec<String>)>,
    pub disabled: bool,
    pub on_label: Callback<LabelRef>,
    pub on_choice: Callback<ChoiceClick>,
    pub on_guideline: Callback<String>,
}

/// One group of buttons per control of the task: span labels and choices.
#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    html! {
        <div class="controls">
            { for props.spec.controls.iter().map(|control| control_group(props, control)) }
        </div>
    }
}

fn control_group(props: &ControlsProps, control: &Control) -> Html {
    let prompt = if control.prompt.is_empty() { control.name.clone() } else { control.prompt.clone() };
    let buttons = match control.kind {
        ControlKind::TextSpans { .. } => html! {
            <div class="label-buttons" role="group" aria-label={prompt.clone()}>
                { for control.labels.iter().map(|label| span_label_button(props, control, label)) }
            </div>
        },
        ControlKind::Choice { multiple } => html! {
            <div class="choice-buttons" role="group" aria-label={prompt.clone()}>
                { for control.labels.iter().map(|label| choice_button(props, control, label, multiple)) }
            </div>
        },
        ref other => html! {
            <p class="unsupported-control">
                { format!("The “{}” control arrives in a later release of the annotator.", other.name()) }
            </p>
        },
    };
    html! {
        <fieldset class="control" data-control={control.name.clone()}>
            <legend>
                <span class="control-prompt">{ prompt }</span>
                if control.required { <span class="required" title="required">{ " *" }</span> }
                if let Some(anchor) = &control.guideline {
                    { " " }{ guideline_link(anchor, &props.on_guideline, "guideline") }
                }
            </legend>
            { buttons }
        </fieldset>
    }
}

/// A span label always has a colour (its highlights need one); a choice shows a swatch only
/// when the spec gives it a colour.
fn button_body(label: &Label, swatch: bool) -> Html {
    html! {
        <>
            if swatch { <span class="swatch" aria-hidden="true"></span> }
            <span class="label-name">{ label.value.clone() }</span>
            if let Some(key) = &label.hotkey { <kbd>{ key.clone() }</kbd> }
        </>
    }
}

fn span_label_button(props: &ControlsProps, control: &Control, label: &Label) -> Html {
    let target = LabelRef { control: control.name.clone(), label: label.value.clone() };
    let active = props.active_label.as_ref() == Some(&target);
    let on_label = props.on_label.clone();
    let title = match &label.hotkey {
        Some(key) => format!("Label the selection {} (key {key})", label.value),
        None => format!("Label the selection {}", label.value),
    };
    html! {
        <button type="button" class={classes!("label-btn", active.then_some("active"))}
            data-label={label.value.clone()} aria-pressed={active.to_string()} title={title}
            ~style={color_style(label_color(&props.spec, &control.name, &label.value).as_deref())}
            disabled={props.disabled} onmousedown={keep_focus()}
            onclick={Callback::from(move |_: MouseEvent| on_label.emit(target.clone()))}>
            { button_body(label, true) }
        </button>
    }
}

fn choice_button(props: &ControlsProps, control: &Control, label: &Label, multiple: bool) -> Html {
    let chosen = props.chosen.iter().any(|(name, labels)| *name == control.name && labels.contains(&label.value));
    let click = ChoiceClick { control: control.name.clone(), label: label.value.clone(), multiple };
    let on_choice = props.on_choice.clone();
    let color = label.color.as_deref().filter(|c| is_plain_css_color(c));
    html! {
        <button type="button" class={classes!("choice-btn", chosen.then_some("chosen"))}
            data-label={label.value.clone()} aria-pressed={chosen.to_string()}
            ~style={color_style(color)} disabled={props.disabled} onmousedown={keep_focus()}
            onclick={Callback::from(move |_: MouseEvent| on_choice.emit(click.clone()))}>
            { button_body(label, color.is_some()) }
        </button>
    }
}
