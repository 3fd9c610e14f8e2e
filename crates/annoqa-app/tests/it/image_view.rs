//! The image workspace read-only (a reviewer's overlay, a coordinator's preview): every region
//! listed, nothing that edits, and a clear message when the image cannot be shown.

use std::rc::Rc;
use std::time::Duration;

use annoqa_app::components::ImageView;
use annoqa_core::{Item, Media, Region, RegionValue, TaskSpec};
use wasm_bindgen_test::wasm_bindgen_test;
use yew::html;

use crate::support::mount;

fn spec() -> Rc<TaskSpec> {
    let json = r#"{"media": "image", "controls": [{"name": "boxes", "type": "b_box",
        "labels": [{"value": "car", "hotkey": "1"}, {"value": "van", "hotkey": "2"}]}]}"#;
    Rc::new(serde_json::from_str(json).unwrap())
}

fn boxes() -> Vec<Region> {
    (0..3)
        .map(|i| Region {
            id: format!("b{i}"),
            control: "boxes".into(),
            value: RegionValue::BBox {
                x: 10.0 + 30.0 * f64::from(i),
                y: 10.0,
                width: 20.0,
                height: 20.0,
                rotation: 0.0,
                label: "car".into(),
            },
            attributes: Default::default(),
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_read_only_view_lists_every_region_offers_no_tools_and_says_when_the_image_is_missing() {
    let item = Item {
        id: "i1".into(),
        media: Media::Image { src: "/no-such-image.png".into(), width: 200, height: 100 },
        candidates: Vec::new(),
    };
    let root = mount(html! {
        <ImageView project_id="p" spec={spec()} item={item} regions={boxes()} />
    })
    .await;
    let mut message = None;
    for _ in 0..100 {
        yew::platform::time::sleep(Duration::from_millis(20)).await;
        message = root.query_selector("#media-error").unwrap().and_then(|e| e.text_content());
        if message.is_some() {
            break;
        }
    }
    let message = message.expect("a missing image is reported above the canvas");
    assert!(message.contains("/no-such-image.png") && message.contains("failed to load"), "{message}");
    let rows = root.query_selector_all("[role=listbox] [role=option]").unwrap();
    assert_eq!(rows.length(), 3, "every region is listed");
    assert!(root.query_selector("button.tool").unwrap().is_none(), "no drawing tools");
    assert!(root.query_selector(".read-only-note").unwrap().is_some());
}
