//! CVAT boxes ↔ annoqa boxes, and CVAT's interpolation between keyframes.
//!
//! A CVAT box is its unrotated corners `xtl, ytl, xbr, ybr` plus `rotation`, degrees clockwise
//! on screen about the box's centre. An annoqa box is `x, y, width, height` plus `rotation`,
//! degrees clockwise about its corner `(x, y)`. Same size, same angle: the two differ only in
//! the pivot, so annoqa's `(x, y)` is CVAT's top-left corner turned about the centre.

/// CVAT's corners and rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct CvatBox {
    pub(super) xtl: f64,
    pub(super) ytl: f64,
    pub(super) xbr: f64,
    pub(super) ybr: f64,
    pub(super) rotation: f64,
}

/// annoqa's `x, y, width, height, rotation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct AnnoqaBox {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) width: f64,
    pub(super) height: f64,
    pub(super) rotation: f64,
}

/// `(dx, dy)` turned clockwise on screen (y down) by `degrees`.
fn turn(dx: f64, dy: f64, degrees: f64) -> (f64, f64) {
    let (sin, cos) = degrees.to_radians().sin_cos();
    (dx * cos - dy * sin, dx * sin + dy * cos)
}

impl CvatBox {
    pub(super) fn to_annoqa(self) -> AnnoqaBox {
        let width = self.xbr - self.xtl;
        let height = self.ybr - self.ytl;
        if self.rotation == 0.0 {
            // Exact: no trigonometry for the common case.
            return AnnoqaBox { x: self.xtl, y: self.ytl, width, height, rotation: 0.0 };
        }
        let (cx, cy) = ((self.xtl + self.xbr) / 2.0, (self.ytl + self.ybr) / 2.0);
        let (dx, dy) = turn(-width / 2.0, -height / 2.0, self.rotation);
        AnnoqaBox { x: cx + dx, y: cy + dy, width, height, rotation: self.rotation }
    }
}

impl AnnoqaBox {
    /// CVAT stores rotations in [0, 360); annoqa takes any angle modulo 360.
    pub(super) fn to_cvat(self) -> CvatBox {
        let rotation = self.rotation.rem_euclid(360.0);
        if rotation == 0.0 {
            return CvatBox {
                xtl: self.x,
                ytl: self.y,
                xbr: self.x + self.width,
                ybr: self.y + self.height,
                rotation: 0.0,
            };
        }
        let (dx, dy) = turn(self.width / 2.0, self.height / 2.0, rotation);
        let (cx, cy) = (self.x + dx, self.y + dy);
        CvatBox {
            xtl: cx - self.width / 2.0,
            ytl: cy - self.height / 2.0,
            xbr: cx + self.width / 2.0,
            ybr: cy + self.height / 2.0,
            rotation,
        }
    }
}

/// CVAT's box between two keyframes, `t` ∈ (0, 1) of the way from `a` to `b`: corners linearly,
/// the rotation along the shorter arc (cvat `TrackManager.get_interpolated_shapes`).
pub(super) fn interpolate(a: CvatBox, b: CvatBox, t: f64) -> CvatBox {
    let lerp = |p: f64, q: f64| p + (q - p) * t;
    let arc = (b.rotation - a.rotation + 180.0).rem_euclid(360.0) - 180.0;
    CvatBox {
        xtl: lerp(a.xtl, b.xtl),
        ytl: lerp(a.ytl, b.ytl),
        xbr: lerp(a.xbr, b.xbr),
        ybr: lerp(a.ybr, b.ybr),
        rotation: (a.rotation + arc * t).rem_euclid(360.0),
    }
}
