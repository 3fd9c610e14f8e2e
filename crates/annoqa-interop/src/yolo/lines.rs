//! One label file's lines to regions in pixels.
//!
//! A line is `class` and numbers normalised to the image size: 4 for a box (`cx cy w h`), 8 for
//! an oriented box's corners or a 4-point polygon (the dataset decides, see [`Task`]), an even
//! count of 6 or more for a polygon, and `4 + k × d` in a pose dataset (`kpt_shape: [k, d]`).

use std::collections::BTreeMap;

use annoqa_core::model::{Region, RegionValue};

use super::layout::Task;
use crate::coco::{BOX_CONTROL, KEYPOINT_CONTROL, POLYGON_CONTROL};
use crate::diag::{Diagnostics, InputError};

/// What a label file's numbers mean and scale to.
pub(super) struct LabelContext<'a> {
    pub(super) names: &'a [String],
    pub(super) task: Task,
    pub(super) kpt_shape: Option<(usize, usize)>,
    pub(super) width: f64,
    pub(super) height: f64,
    /// The item, for diagnostics.
    pub(super) item: &'a str,
}

/// Corners within this fraction of the box's size of a rectangle's are an oriented box; the
/// files round to 6 decimals, so a true rectangle is off by about 1e-6 of the image.
const RECTANGLE_TOLERANCE: f64 = 1e-3;

/// The regions of one label file. `error` names the file and line of malformed input.
pub(super) fn regions(
    text: &str,
    context: &LabelContext<'_>,
    diagnostics: &mut Diagnostics,
    error: &dyn Fn(usize, String) -> InputError,
) -> Result<Vec<Region>, InputError> {
    let mut regions = Vec::new();
    let mut object = 0;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        let mut tokens = line.split_whitespace();
        let class_token = tokens.next().unwrap_or_default();
        let class: usize =
            class_token.parse().map_err(|_| error(number, format!("class `{class_token}` is not a whole number")))?;
        let values = tokens
            .map(|t| {
                t.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| error(number, format!("`{t}` is not a number")))
            })
            .collect::<Result<Vec<f64>, InputError>>()?;
        let Some(label) = context.names.get(class) else {
            let reason = format!("class index out of range of the {} class names: line not read", context.names.len());
            diagnostics.skip("class index", &reason, context.item);
            continue;
        };
        object += 1;
        let id = format!("shape-{object}");
        let shape = Shape { id: &id, label, context };
        match (values.len(), context.kpt_shape) {
            (4, _) => regions.push(shape.detect_box(&values)),
            (n, Some((count, dims))) if n == 4 + count * dims => shape.pose(&values, dims, diagnostics, &mut regions),
            (8, _) if context.task == Task::Obb => regions.push(shape.oriented_box(&values, diagnostics)),
            (8, _) => {
                if context.task == Task::Unknown {
                    diagnostics.skip(
                        "ambiguous 9-number line",
                        "an oriented box or a 4-point polygon, and the dataset does not say (no `task: obb` in \
                         data.yaml, no obb/oriented in the folder name): read as a polygon",
                        context.item,
                    );
                }
                regions.push(shape.polygon(&values));
            }
            (n, _) if n >= 6 && n % 2 == 0 => regions.push(shape.polygon(&values)),
            (n, shape) => {
                let pose = shape.map(|(k, d)| format!(", or 4 + {k}×{d} (pose)")).unwrap_or_default();
                let message = format!(
                    "{n} numbers after the class: expected 4 (box), 8 (oriented box), an even count of 6 or more \
                     (polygon){pose}"
                );
                return Err(error(number, message));
            }
        }
    }
    Ok(regions)
}

struct Shape<'a> {
    id: &'a str,
    label: &'a str,
    context: &'a LabelContext<'a>,
}

impl Shape<'_> {
    fn region(&self, id: String, control: &str, value: RegionValue, attributes: BTreeMap<String, String>) -> Region {
        Region { id, control: control.to_owned(), value, attributes }
    }

    fn point(&self, x: f64, y: f64) -> [f64; 2] {
        [x * self.context.width, y * self.context.height]
    }

    /// `cx cy w h` → top-left corner and size in pixels.
    fn detect_box(&self, v: &[f64]) -> Region {
        let (w, h) = (self.context.width, self.context.height);
        let (width, height) = (v[2] * w, v[3] * h);
        let value = RegionValue::BBox {
            x: v[0] * w - width / 2.0,
            y: v[1] * h - height / 2.0,
            width,
            height,
            rotation: 0.0,
            label: self.label.to_owned(),
        };
        self.region(self.id.to_owned(), BOX_CONTROL, value, BTreeMap::new())
    }

    fn polygon(&self, v: &[f64]) -> Region {
        let points = v.chunks_exact(2).map(|p| self.point(p[0], p[1])).collect();
        let value = RegionValue::Polygon { points, label: self.label.to_owned() };
        self.region(self.id.to_owned(), POLYGON_CONTROL, value, BTreeMap::new())
    }

    /// Four corners → a box turned about its first corner: `(x, y)` = corner 1, `width` =
    /// |corner 2 − corner 1|, `rotation` = the direction of corner 1 → corner 2 (clockwise on
    /// screen, y down), `height` = |corner 4 − corner 1|. Corners listed counter-clockwise on
    /// screen are taken in reverse order, so the box is the same. Corners that are no rectangle
    /// are a polygon (reported).
    fn oriented_box(&self, v: &[f64], diagnostics: &mut Diagnostics) -> Region {
        let p: Vec<[f64; 2]> = v.chunks_exact(2).map(|c| self.point(c[0], c[1])).collect();
        let (first, mut second, third, mut fourth) = (p[0], p[1], p[2], p[3]);
        let sub = |a: [f64; 2], b: [f64; 2]| [a[0] - b[0], a[1] - b[1]];
        let (along, across) = (sub(second, first), sub(fourth, first));
        if along[0] * across[1] - along[1] * across[0] < 0.0 {
            std::mem::swap(&mut second, &mut fourth);
        }
        let (along, across) = (sub(second, first), sub(fourth, first));
        let (width, height) = (along[0].hypot(along[1]), across[0].hypot(across[1]));
        let size = width.max(height);
        let off_parallelogram = sub(third, [second[0] + across[0], second[1] + across[1]]);
        let square = (along[0] * across[0] + along[1] * across[1]).abs() <= RECTANGLE_TOLERANCE * width * height;
        let closes = off_parallelogram[0].hypot(off_parallelogram[1]) <= RECTANGLE_TOLERANCE * size;
        if !(square && closes && width > 0.0 && height > 0.0) {
            diagnostics.skip("oriented box", "its corners are no rectangle: read as a polygon", self.context.item);
            let value = RegionValue::Polygon { points: p, label: self.label.to_owned() };
            return self.region(self.id.to_owned(), POLYGON_CONTROL, value, BTreeMap::new());
        }
        let rotation = along[1].atan2(along[0]).to_degrees().rem_euclid(360.0);
        let value =
            RegionValue::BBox { x: first[0], y: first[1], width, height, rotation, label: self.label.to_owned() };
        self.region(self.id.to_owned(), BOX_CONTROL, value, BTreeMap::new())
    }

    /// A box, then `k` keypoints of `dims` numbers: `x y` or `x y v` (v = 0: not labelled, no
    /// region; 1 labelled but hidden; 2 visible). Keypoints are named by slot, `1`, `2`, ….
    fn pose(&self, v: &[f64], dims: usize, diagnostics: &mut Diagnostics, regions: &mut Vec<Region>) {
        regions.push(self.detect_box(&v[..4]));
        for (slot, keypoint) in v[4..].chunks_exact(dims).enumerate() {
            let mut attributes = BTreeMap::from([("parent".to_owned(), self.id.to_owned())]);
            if let Some(&visibility) = keypoint.get(2) {
                let text = if visibility == 0.0 {
                    continue;
                } else if visibility == 1.0 {
                    "1"
                } else if visibility == 2.0 {
                    "2"
                } else {
                    diagnostics.skip("keypoint", "visibility not 0, 1 or 2: keypoint not read", self.context.item);
                    continue;
                };
                attributes.insert("visibility".to_owned(), text.to_owned());
            }
            let [x, y] = self.point(keypoint[0], keypoint[1]);
            let value = RegionValue::Keypoint { x, y, label: (slot + 1).to_string() };
            regions.push(self.region(format!("{}-{}", self.id, slot + 1), KEYPOINT_CONTROL, value, attributes));
        }
    }
}
