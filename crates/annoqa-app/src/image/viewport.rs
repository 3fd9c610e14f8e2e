//! The view of the image on the canvas: zoom and pan, and the mapping between image pixels and
//! canvas CSS pixels.
//!
//! Units: *image px* are the media's own pixels (origin top left, y down, continuous: pixel
//! `(i, j)` covers `[i, i + 1) × [j, j + 1)`); *CSS px* are the canvas's CSS pixels (origin its
//! top left). A canvas point is `offset + scale × image point`. Device pixels appear only in
//! [`super::tiles`].

use super::spatial::Rect;

/// CSS px left free around the image at fit, when the canvas has room for it.
pub const FIT_MARGIN: f64 = 16.0;
/// Largest zoom: CSS px per image px (a small image's fit may be larger still).
pub const MAX_SCALE: f64 = 32.0;
/// CSS px of the image (or the whole image, if smaller) that panning always leaves on the
/// canvas, per axis.
pub const KEEP_VISIBLE: f64 = 32.0;
/// [`Viewport::focus_on`] zooms so that the rectangle fills this share of the canvas.
pub const FOCUS_FILL: f64 = 0.6;
/// [`Viewport::focus_on`] zooms in at most this far (CSS px per image px) on a small
/// rectangle, so that a keypoint does not fill the screen with its pixel.
pub const FOCUS_MAX_SCALE: f64 = 8.0;

/// Zoom and pan of one image on one canvas.
///
/// The fields are public for reading; change them through the methods, which keep the
/// invariants: sizes and scale positive and finite, scale within
/// [`Viewport::min_scale`]..=[`Viewport::max_scale`], part of the image on the canvas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    /// Canvas size, CSS px.
    pub canvas_w: f64,
    pub canvas_h: f64,
    /// Image size, image px.
    pub image_w: f64,
    pub image_h: f64,
    /// CSS px per image px.
    pub scale: f64,
    /// Canvas position (CSS px) of the image's point (0, 0).
    pub offset_x: f64,
    pub offset_y: f64,
}

/// A size that is positive and finite, else 1.
fn positive(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        1.0
    }
}

impl Viewport {
    /// The whole image visible and centred, with [`FIT_MARGIN`] around it when the canvas is
    /// larger than four margins. Sizes that are not positive and finite count as 1.
    pub fn fit(image_w: f64, image_h: f64, canvas_w: f64, canvas_h: f64) -> Viewport {
        let mut view = Viewport {
            canvas_w: positive(canvas_w),
            canvas_h: positive(canvas_h),
            image_w: positive(image_w),
            image_h: positive(image_h),
            scale: 1.0,
            offset_x: 0.0,
            offset_y: 0.0,
        };
        view.scale = view.fit_scale();
        view.center_image();
        view
    }

    /// The scale at which the whole image fits the canvas (within the margin).
    pub fn fit_scale(&self) -> f64 {
        let room = |canvas: f64| if canvas > 4.0 * FIT_MARGIN { canvas - 2.0 * FIT_MARGIN } else { canvas };
        positive((room(self.canvas_w) / self.image_w).min(room(self.canvas_h) / self.image_h))
    }

    /// The smallest zoom: the fit, or 1:1 for an image smaller than the canvas (so that
    /// [`Viewport::actual_size`] shows it at its own size).
    pub fn min_scale(&self) -> f64 {
        self.fit_scale().min(1.0)
    }

    /// The largest zoom: [`MAX_SCALE`], or the fit of an image so small that it fits larger.
    pub fn max_scale(&self) -> f64 {
        MAX_SCALE.max(self.fit_scale())
    }

    /// Whether the view is the fit (as [`Viewport::fit`] makes it).
    pub fn is_fit(&self) -> bool {
        let fit = Viewport::fit(self.image_w, self.image_h, self.canvas_w, self.canvas_h);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        close(self.scale, fit.scale) && close(self.offset_x, fit.offset_x) && close(self.offset_y, fit.offset_y)
    }

    fn center_image(&mut self) {
        self.offset_x = (self.canvas_w - self.image_w * self.scale) / 2.0;
        self.offset_y = (self.canvas_h - self.image_h * self.scale) / 2.0;
    }

    /// Image px → canvas CSS px.
    pub fn to_canvas(&self, x: f64, y: f64) -> (f64, f64) {
        (self.offset_x + x * self.scale, self.offset_y + y * self.scale)
    }

    /// Canvas CSS px → image px (the inverse of [`Viewport::to_canvas`]).
    pub fn from_canvas(&self, cx: f64, cy: f64) -> (f64, f64) {
        ((cx - self.offset_x) / self.scale, (cy - self.offset_y) / self.scale)
    }

    /// A length in CSS px as image px at this zoom (a hit tolerance, a handle size).
    pub fn css_to_image(&self, css: f64) -> f64 {
        css / self.scale
    }

    /// Multiplies the zoom by `factor`, within the limits, keeping the image point under the
    /// canvas point `(cx, cy)` where it is (unless the pan limit moves it). A factor or point
    /// that is not finite, or a factor that is not positive, changes nothing.
    pub fn zoom_at(&mut self, factor: f64, cx: f64, cy: f64) {
        if factor.is_finite() && factor > 0.0 {
            self.zoom_to(self.scale * factor, cx, cy);
        }
    }

    /// Sets the zoom (clamped to the limits), keeping the image point under `(cx, cy)` where it
    /// is. Non-finite input changes nothing.
    pub fn zoom_to(&mut self, scale: f64, cx: f64, cy: f64) {
        if !(scale.is_finite() && scale > 0.0 && cx.is_finite() && cy.is_finite()) {
            return;
        }
        let (x, y) = self.from_canvas(cx, cy);
        self.scale = scale.clamp(self.min_scale(), self.max_scale());
        self.offset_x = cx - x * self.scale;
        self.offset_y = cy - y * self.scale;
        self.clamp_pan();
    }

    /// One image px per CSS px, around the canvas point `(cx, cy)`.
    pub fn actual_size(&mut self, cx: f64, cy: f64) {
        self.zoom_to(1.0, cx, cy);
    }

    /// Back to the fit.
    pub fn refit(&mut self) {
        *self = Viewport::fit(self.image_w, self.image_h, self.canvas_w, self.canvas_h);
    }

    /// Moves the image by `(dx, dy)` CSS px, as far as [`KEEP_VISIBLE`] allows.
    pub fn pan_by(&mut self, dx: f64, dy: f64) {
        if dx.is_finite() && dy.is_finite() {
            self.offset_x += dx;
            self.offset_y += dy;
            self.clamp_pan();
        }
    }

    /// Keeps at least [`KEEP_VISIBLE`] CSS px of the image (or all of it, if less) on the
    /// canvas along each axis.
    fn clamp_pan(&mut self) {
        let clamp = |offset: f64, extent: f64, canvas: f64| {
            let keep = KEEP_VISIBLE.min(extent).min(canvas);
            offset.clamp(keep - extent, canvas - keep)
        };
        self.offset_x = clamp(self.offset_x, self.image_w * self.scale, self.canvas_w);
        self.offset_y = clamp(self.offset_y, self.image_h * self.scale, self.canvas_h);
    }

    /// The canvas got a new size: the image point at the canvas's centre stays there, at the
    /// same zoom (within the new limits); a fit view stays a fit.
    pub fn resize(&mut self, canvas_w: f64, canvas_h: f64) {
        let (canvas_w, canvas_h) = (positive(canvas_w), positive(canvas_h));
        if self.is_fit() {
            *self = Viewport::fit(self.image_w, self.image_h, canvas_w, canvas_h);
            return;
        }
        let (x, y) = self.from_canvas(self.canvas_w / 2.0, self.canvas_h / 2.0);
        self.canvas_w = canvas_w;
        self.canvas_h = canvas_h;
        self.scale = self.scale.clamp(self.min_scale(), self.max_scale());
        self.offset_x = canvas_w / 2.0 - x * self.scale;
        self.offset_y = canvas_h / 2.0 - y * self.scale;
        self.clamp_pan();
    }

    /// The part of the image on the canvas, image px.
    pub fn visible_image_rect(&self) -> Rect {
        let (x0, y0) = self.from_canvas(0.0, 0.0);
        let (x1, y1) = self.from_canvas(self.canvas_w, self.canvas_h);
        Rect::new(x0, y0, x1, y1).intersection(&Rect::new(0.0, 0.0, self.image_w, self.image_h))
    }

    /// A rectangle (image px) as canvas CSS px.
    pub fn rect_to_canvas(&self, rect: &Rect) -> Rect {
        if rect.is_empty() {
            return Rect::EMPTY;
        }
        let (x0, y0) = self.to_canvas(rect.x0, rect.y0);
        let (x1, y1) = self.to_canvas(rect.x1, rect.y1);
        Rect::new(x0, y0, x1, y1)
    }

    /// Brings a rectangle (image px; a region's bounds, a finding's place) into view.
    ///
    /// When it is already shown whole at a reasonable size (at least a quarter of the zoom
    /// that would make it fill [`FOCUS_FILL`] of the canvas), the view only pans, as little as
    /// keeps it [`FIT_MARGIN`] inside the canvas (not at all if it is). Otherwise the view
    /// centres it at the zoom where it fills [`FOCUS_FILL`] of the canvas, at most
    /// [`FOCUS_MAX_SCALE`] (a point or a tiny box) and within the zoom limits. An empty or
    /// non-finite rectangle changes nothing.
    pub fn focus_on(&mut self, rect: Rect) {
        if !rect.is_finite() {
            return;
        }
        let fill = (self.canvas_w / rect.width()).min(self.canvas_h / rect.height());
        let cap = FOCUS_MAX_SCALE.max(self.min_scale()).min(self.max_scale());
        let target = (FOCUS_FILL * fill).clamp(self.min_scale(), cap);
        if self.scale >= target / 4.0 && self.scale <= fill {
            self.pan_into_view(&rect);
        } else {
            let [x, y] = rect.center();
            self.scale = target;
            self.offset_x = self.canvas_w / 2.0 - x * target;
            self.offset_y = self.canvas_h / 2.0 - y * target;
            self.clamp_pan();
        }
    }

    /// The smallest pan that puts `rect` inside the canvas with the margin (centred on an
    /// axis where it does not fit with the margin).
    fn pan_into_view(&mut self, rect: &Rect) {
        let shown = self.rect_to_canvas(rect);
        let shift = |a: f64, b: f64, canvas: f64| {
            let pad = FIT_MARGIN.min(((canvas - (b - a)) / 2.0).max(0.0));
            if a < pad {
                pad - a
            } else if b > canvas - pad {
                canvas - pad - b
            } else {
                0.0
            }
        };
        self.pan_by(shift(shown.x0, shown.x1, self.canvas_w), shift(shown.y0, shown.y1, self.canvas_h));
    }
}
