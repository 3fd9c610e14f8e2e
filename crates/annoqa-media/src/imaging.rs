//! Images: probe from the header, EXIF orientation, coordinate transforms, and a tile pyramid
//! built without holding the full-size decoded image.
//!
//! Probing goes through the `image` crate's decoders, which read headers (PNG: up to the first
//! `IDAT`; JPEG: up to the first scan) and the EXIF orientation, and decode no pixels.
//!
//! **Pyramid memory bound.** [`tile_pyramid`] reads the source a row at a time and halves it
//! level by level (2 × 2 box filter). Per level it keeps one band of `tile_size` rows for the
//! tiles it emits, and one pending row for the next halving. With width `W`, tile size `T` and
//! 4 bytes per RGBA pixel, the whole cascade holds at most `2 × W × 4 × (T + 1)` bytes (the
//! level widths sum to under `2W`), plus the decoder's own state. Levels below `first_level`
//! keep no band, only their pending row. A 10,000 × 10,000 PNG with 256-pixel tiles from level 0
//! therefore needs about 20 MB, against 400 MB decoded.
//! - Non-interlaced PNG is decoded row by row with the `png` crate, so the bound holds.
//! - JPEG is decoded with DCT scaling (`jpeg-decoder`'s `scale`) straight to `1/2^k` of full
//!   size for the first requested level `k ≤ 3`, so the decoded buffer is `4^k` times smaller
//!   than full size (64 × for a thumbnail level).
//! - Interlaced PNG, GIF and WebP are decoded whole (within [`Limits::max_alloc`]), since their
//!   decoders cannot hand out final rows in order.

use std::io::{BufRead, Cursor, Seek};

use serde::{Deserialize, Serialize};

use crate::error::{check_limit, MediaError};
use crate::Limits;

/// Image container formats this crate reads.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageFormat {
    fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Gif => "GIF",
            ImageFormat::Webp => "WebP",
        }
    }

    fn to_image(self) -> image::ImageFormat {
        match self {
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            ImageFormat::Gif => image::ImageFormat::Gif,
            ImageFormat::Webp => image::ImageFormat::WebP,
        }
    }
}

/// What [`crate::probe`] reports for an image.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: ImageFormat,
    /// Stored pixels, as annotations count them.
    pub width: u32,
    pub height: u32,
    /// EXIF orientation 1–8 (1 when absent).
    pub orientation: u8,
    /// Size as displayed after the orientation is applied (width and height swap for 5–8).
    pub display_width: u32,
    pub display_height: u32,
}

fn image_limits(limits: &Limits) -> image::Limits {
    let mut out = image::Limits::default();
    out.max_image_width = Some(limits.max_width);
    out.max_image_height = Some(limits.max_height);
    out.max_alloc = Some(limits.max_alloc);
    out
}

fn decode_error(format: ImageFormat, error: image::ImageError) -> MediaError {
    match error {
        image::ImageError::Limits(e) => MediaError::invalid(format.name(), format!("exceeds a limit: {e}")),
        image::ImageError::Unsupported(e) => MediaError::unsupported(format.name(), e.to_string()),
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated(format.name(), "the file ends inside the header")
        }
        other => MediaError::invalid(format.name(), other.to_string()),
    }
}

/// Checks dimensions against the limits: the decompression-bomb guard every path runs first.
pub fn check_dimensions(format: &'static str, width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::invalid(format, format!("the image is {width} × {height} pixels")));
    }
    check_limit("image width", u64::from(width), u64::from(limits.max_width))?;
    check_limit("image height", u64::from(height), u64::from(limits.max_height))?;
    check_limit("image pixels", u64::from(width) * u64::from(height), limits.max_pixels)
}

/// Probes an image from a buffered, seekable reader without decoding pixels.
pub fn probe_image<R: BufRead + Seek>(
    reader: R,
    format: ImageFormat,
    limits: &Limits,
) -> Result<ImageInfo, MediaError> {
    use image::ImageDecoder;
    let mut image_reader = image::ImageReader::with_format(reader, format.to_image());
    // Dimension limits are ours (checked below, with our message); the decoder gets the
    // allocation limit for what it buffers while reading headers (e.g. an EXIF chunk).
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    image_reader.limits(decoder_limits);
    let mut decoder = image_reader.into_decoder().map_err(|e| decode_error(format, e))?;
    let (width, height) = decoder.dimensions();
    check_dimensions(format.name(), width, height, limits)?;
    // A broken EXIF block is not worth rejecting an image over: browsers show such images
    // unrotated, and so do we.
    let orientation = Orientation::from_exif(decoder.orientation().map_or(1, |o| o.to_exif()));
    let (display_width, display_height) = orientation.display_size(width, height);
    Ok(ImageInfo { format, width, height, orientation: orientation.exif(), display_width, display_height })
}

// ---------------------------------------------------------------------------------------------
// Orientation and coordinates

/// EXIF orientation: how stored pixels are turned to be displayed upright.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orientation(u8);

impl Orientation {
    pub const UPRIGHT: Orientation = Orientation(1);

    /// Values outside 1–8 mean "no transform", as browsers treat them.
    pub fn from_exif(value: u8) -> Orientation {
        Orientation(if (1..=8).contains(&value) { value } else { 1 })
    }

    pub fn exif(self) -> u8 {
        self.0
    }

    /// Whether width and height swap (the 90° turns, 5–8).
    pub fn swaps_axes(self) -> bool {
        self.0 >= 5
    }

    /// Displayed size of a `width × height` stored image.
    pub fn display_size(self, width: u32, height: u32) -> (u32, u32) {
        if self.swaps_axes() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Where stored pixel coordinate `(x, y)` appears on the upright display. Coordinates are
    /// continuous (a pixel's top-left corner is its integer position), so corners map to corners.
    pub fn pixel_to_display(self, x: f64, y: f64, width: f64, height: f64) -> (f64, f64) {
        match self.0 {
            2 => (width - x, y),
            3 => (width - x, height - y),
            4 => (x, height - y),
            5 => (y, x),
            6 => (height - y, x),
            7 => (height - y, width - x),
            8 => (y, width - x),
            _ => (x, y),
        }
    }

    /// The inverse of [`Orientation::pixel_to_display`]; `width` and `height` are still the
    /// stored image's.
    pub fn display_to_pixel(self, u: f64, v: f64, width: f64, height: f64) -> (f64, f64) {
        match self.0 {
            2 => (width - u, v),
            3 => (width - u, height - v),
            4 => (u, height - v),
            5 => (v, u),
            6 => (v, height - u),
            7 => (width - v, height - u),
            8 => (width - v, u),
            _ => (u, v),
        }
    }

    /// A stored-pixel rectangle as the displayed rectangle that covers the same pixels.
    pub fn rect_to_display(self, rect: Rect, width: f64, height: f64) -> Rect {
        let (x0, y0) = self.pixel_to_display(rect.x, rect.y, width, height);
        let (x1, y1) = self.pixel_to_display(rect.x + rect.width, rect.y + rect.height, width, height);
        Rect::from_corners(x0, y0, x1, y1)
    }

    /// A displayed rectangle as stored pixels.
    pub fn rect_to_pixel(self, rect: Rect, width: f64, height: f64) -> Rect {
        let (x0, y0) = self.display_to_pixel(rect.x, rect.y, width, height);
        let (x1, y1) = self.display_to_pixel(rect.x + rect.width, rect.y + rect.height, width, height);
        Rect::from_corners(x0, y0, x1, y1)
    }
}

/// An axis-aligned rectangle: in pixels, or in percent of the image (Label Studio's
/// `x, y, width, height`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    fn from_corners(x0: f64, y0: f64, x1: f64, y1: f64) -> Rect {
        Rect { x: x0.min(x1), y: y0.min(y1), width: (x1 - x0).abs(), height: (y1 - y0).abs() }
    }

    /// Pixels → percent of an image of `width × height` pixels (Label Studio's export).
    pub fn to_percent(self, width: u32, height: u32) -> Rect {
        let (w, h) = (f64::from(width), f64::from(height));
        Rect {
            x: self.x / w * 100.0,
            y: self.y / h * 100.0,
            width: self.width / w * 100.0,
            height: self.height / h * 100.0,
        }
    }

    /// Percent of an image of `width × height` pixels → pixels.
    pub fn from_percent(self, width: u32, height: u32) -> Rect {
        let (w, h) = (f64::from(width), f64::from(height));
        Rect {
            x: self.x * w / 100.0,
            y: self.y * h / 100.0,
            width: self.width * w / 100.0,
            height: self.height * h / 100.0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pyramid

/// One tile of one level: RGBA8, row-major, `width × height` pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    /// 0 is full size; level `k` is `1/2^k` of it (rounded up).
    pub level: u32,
    pub column: u32,
    pub row: u32,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// Which tiles to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyramidOptions {
    /// Tile edge in pixels (at least 16).
    pub tile_size: u32,
    /// The finest level to emit tiles for; finer levels are computed but not kept.
    pub first_level: u32,
}

impl Default for PyramidOptions {
    fn default() -> Self {
        PyramidOptions { tile_size: 256, first_level: 0 }
    }
}

/// Sizes of the levels of a pyramid: halve (rounding up) until one tile holds the level.
pub fn level_sizes(width: u32, height: u32, tile_size: u32) -> Vec<(u32, u32)> {
    let mut sizes = vec![(width, height)];
    while let Some(&(w, h)) = sizes.last() {
        if (w <= tile_size && h <= tile_size) || (w == 1 && h == 1) {
            break;
        }
        sizes.push((w.div_ceil(2), h.div_ceil(2)));
    }
    sizes
}

struct Level {
    level: u32,
    width: u32,
    height: u32,
    /// Rows of the current tile band, when this level emits tiles.
    band: Option<Vec<u8>>,
    band_rows: u32,
    band_index: u32,
    rows_seen: u32,
    /// A row waiting for its partner to be halved into the next level.
    pending: Option<Vec<u8>>,
}

/// Builds every level from rows fed top to bottom.
struct Cascade<'s> {
    levels: Vec<Level>,
    tile_size: u32,
    sink: &'s mut dyn FnMut(Tile) -> Result<(), MediaError>,
}

impl Cascade<'_> {
    fn push_row(&mut self, index: usize, row: &[u8]) -> Result<(), MediaError> {
        let tile_size = self.tile_size;
        let has_next = index + 1 < self.levels.len();
        let Some(level) = self.levels.get_mut(index) else { return Ok(()) };
        level.rows_seen += 1;
        let last_row = level.rows_seen == level.height;
        if let Some(band) = level.band.as_mut() {
            let row_bytes = level.width as usize * 4;
            let at = level.band_rows as usize * row_bytes;
            band[at..at + row_bytes].copy_from_slice(row);
            level.band_rows += 1;
            if level.band_rows == tile_size || last_row {
                emit_band(level, tile_size, self.sink)?;
            }
        }
        if has_next {
            let halved = match level.pending.take() {
                None if last_row => Some(halve_rows(row, row)),
                None => {
                    level.pending = Some(row.to_vec());
                    None
                }
                Some(upper) => Some(halve_rows(&upper, row)),
            };
            if let Some(halved) = halved {
                self.push_row(index + 1, &halved)?;
            }
        }
        Ok(())
    }
}

fn emit_band(
    level: &mut Level,
    tile_size: u32,
    sink: &mut dyn FnMut(Tile) -> Result<(), MediaError>,
) -> Result<(), MediaError> {
    let Some(band) = level.band.as_ref() else { return Ok(()) };
    let row_bytes = level.width as usize * 4;
    let rows = level.band_rows;
    let mut column = 0;
    let mut x = 0;
    while x < level.width {
        let width = tile_size.min(level.width - x);
        let mut rgba = Vec::with_capacity(width as usize * rows as usize * 4);
        for r in 0..rows as usize {
            let start = r * row_bytes + x as usize * 4;
            rgba.extend_from_slice(&band[start..start + width as usize * 4]);
        }
        sink(Tile { level: level.level, column, row: level.band_index, width, height: rows, rgba })?;
        column += 1;
        x += tile_size;
    }
    level.band_rows = 0;
    level.band_index += 1;
    Ok(())
}

/// 2 × 2 box filter of two RGBA rows into one of half the width (rounded up; an odd last
/// column is averaged with itself).
fn halve_rows(upper: &[u8], lower: &[u8]) -> Vec<u8> {
    let pixels = upper.len() / 4;
    let mut out = Vec::with_capacity(pixels.div_ceil(2) * 4);
    for x in (0..pixels).step_by(2) {
        let right = if x + 1 < pixels { x + 1 } else { x };
        for c in 0..4 {
            let sum = u16::from(upper[x * 4 + c])
                + u16::from(upper[right * 4 + c])
                + u16::from(lower[x * 4 + c])
                + u16::from(lower[right * 4 + c]);
            out.push(((sum + 2) / 4) as u8);
        }
    }
    out
}

/// What a pyramid run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyramidInfo {
    pub width: u32,
    pub height: u32,
    /// `(width, height)` of every level, level 0 first.
    pub levels: Vec<(u32, u32)>,
}

/// Streams an image's tile pyramid into `sink`, level by level as bands complete. See the
/// module docs for the memory bound.
pub fn tile_pyramid(
    bytes: &[u8],
    options: PyramidOptions,
    limits: &Limits,
    sink: &mut dyn FnMut(Tile) -> Result<(), MediaError>,
) -> Result<PyramidInfo, MediaError> {
    if options.tile_size < 16 {
        return Err(MediaError::BadRequest(format!("tile size {} is below 16 pixels", options.tile_size)));
    }
    let format = match crate::sniff(bytes) {
        Some(crate::Sniffed::Image(format)) => format,
        _ => return Err(MediaError::BadRequest("not a PNG, JPEG, GIF or WebP image".into())),
    };
    let info = probe_image(Cursor::new(bytes), format, limits)?;
    let (width, height) = (info.width, info.height);
    let sizes = level_sizes(width, height, options.tile_size);
    let first_level = options.first_level.min(sizes.len() as u32 - 1);
    let mut source = RowSource::open(bytes, format, width, height, first_level, limits)?;
    // Levels finer than what the source delivers are skipped entirely.
    let start = source.level();
    let mut levels = Vec::new();
    for (level, &(w, h)) in sizes.iter().enumerate().skip(start as usize) {
        let level = level as u32;
        let band = (level >= first_level).then(|| vec![0; w as usize * 4 * options.tile_size.min(h) as usize]);
        levels.push(Level {
            level,
            width: w,
            height: h,
            band,
            band_rows: 0,
            band_index: 0,
            rows_seen: 0,
            pending: None,
        });
    }
    let mut cascade = Cascade { levels, tile_size: options.tile_size, sink };
    let expected_row = sizes.get(start as usize).map_or(0, |&(w, _)| w as usize * 4);
    while let Some(row) = source.next_row()? {
        if row.len() != expected_row {
            return Err(MediaError::invalid(format.name(), "rows of the wrong length"));
        }
        cascade.push_row(0, &row)?;
    }
    if cascade.levels.first().is_some_and(|l| l.rows_seen < l.height) {
        return Err(MediaError::truncated(format.name(), "the image data ends early"));
    }
    Ok(PyramidInfo { width, height, levels: sizes })
}

/// An RGBA8 thumbnail no larger than `max_side` on either edge (between half of it and it, as
/// it is a pyramid level), in stored-pixel orientation.
pub fn thumbnail(bytes: &[u8], max_side: u32, limits: &Limits) -> Result<Tile, MediaError> {
    let max_side = max_side.max(16);
    let mut last = None;
    let mut sink = |tile: Tile| {
        last = Some(tile);
        Ok(())
    };
    let options = PyramidOptions { tile_size: max_side, first_level: u32::MAX };
    tile_pyramid(bytes, options, limits, &mut sink)?;
    last.ok_or_else(|| MediaError::invalid("image", "no pixels"))
}

/// Encodes RGBA8 pixels as PNG (for thumbnails and tiles written to disk).
pub fn encode_png(tile: &Tile) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, tile.width, tile.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let error = |e: png::EncodingError| MediaError::invalid("PNG", format!("cannot encode: {e}"));
    let mut writer = encoder.write_header().map_err(error)?;
    writer.write_image_data(&tile.rgba).map_err(error)?;
    writer.finish().map_err(error)?;
    Ok(out)
}

/// Rows of RGBA8 pixels, top to bottom, of some pyramid level.
enum RowSource<'a> {
    Png { reader: Box<png::Reader<Cursor<&'a [u8]>>>, color: png::ColorType },
    Decoded { level: u32, width: usize, rgba: Vec<u8>, next: usize },
}

impl<'a> RowSource<'a> {
    fn open(
        bytes: &'a [u8],
        format: ImageFormat,
        width: u32,
        height: u32,
        first_level: u32,
        limits: &Limits,
    ) -> Result<Self, MediaError> {
        match format {
            ImageFormat::Png => {
                let mut decoder = png::Decoder::new_with_limits(
                    Cursor::new(bytes),
                    png::Limits { bytes: usize::try_from(limits.max_alloc).unwrap_or(usize::MAX) },
                );
                decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
                let reader = decoder.read_info().map_err(|e| png_error(&e))?;
                if reader.info().interlaced {
                    return Self::decoded(bytes, format, limits);
                }
                let (color, _) = reader.output_color_type();
                Ok(RowSource::Png { reader: Box::new(reader), color })
            }
            ImageFormat::Jpeg if first_level > 0 => {
                // DCT scaling decodes straight to 1/2, 1/4 or 1/8 of full size.
                let level = first_level.min(3);
                let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
                decoder.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
                let (w, h) = (width.div_ceil(1 << level), height.div_ceil(1 << level));
                let (w16, h16) = (u16::try_from(w).unwrap_or(u16::MAX), u16::try_from(h).unwrap_or(u16::MAX));
                let (sw, sh) = decoder.scale(w16, h16).map_err(|e| MediaError::invalid("JPEG", e.to_string()))?;
                let pixels = decoder.decode().map_err(|e| MediaError::invalid("JPEG", e.to_string()))?;
                let format_info = decoder.info().ok_or_else(|| MediaError::invalid("JPEG", "no frame header"))?;
                if (u32::from(sw), u32::from(sh)) != (w, h) {
                    // The decoder chose another scale than the level needs: fall back.
                    return Self::decoded(bytes, format, limits);
                }
                let rgba = jpeg_to_rgba(&pixels, format_info.pixel_format)?;
                Ok(RowSource::Decoded { level, width: w as usize, rgba, next: 0 })
            }
            _ => Self::decoded(bytes, format, limits),
        }
    }

    fn decoded(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Self, MediaError> {
        let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format.to_image());
        reader.limits(image_limits(limits));
        let image = reader.decode().map_err(|e| decode_error(format, e))?;
        let width = image.width() as usize;
        Ok(RowSource::Decoded { level: 0, width, rgba: image.into_rgba8().into_raw(), next: 0 })
    }

    /// The pyramid level the rows belong to.
    fn level(&self) -> u32 {
        match self {
            RowSource::Png { .. } => 0,
            RowSource::Decoded { level, .. } => *level,
        }
    }

    fn next_row(&mut self) -> Result<Option<Vec<u8>>, MediaError> {
        match self {
            RowSource::Png { reader, color } => {
                let Some(row) = reader.next_row().map_err(|e| png_error(&e))? else { return Ok(None) };
                Ok(Some(png_row_to_rgba(row.data(), *color)))
            }
            RowSource::Decoded { width, rgba, next, .. } => {
                let row_bytes = *width * 4;
                let Some(row) = rgba.get(*next..*next + row_bytes) else { return Ok(None) };
                *next += row_bytes;
                Ok(Some(row.to_vec()))
            }
        }
    }
}

fn png_error(error: &png::DecodingError) -> MediaError {
    match error {
        png::DecodingError::LimitsExceeded => MediaError::invalid("PNG", "exceeds the allocation limit"),
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated("PNG", "the image data ends early")
        }
        other => MediaError::invalid("PNG", other.to_string()),
    }
}

fn png_row_to_rgba(row: &[u8], color: png::ColorType) -> Vec<u8> {
    match color {
        png::ColorType::Rgba => row.to_vec(),
        png::ColorType::Rgb => row.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::GrayscaleAlpha => row.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        // Indexed is expanded to RGB(A) by `EXPAND`; gray is what is left.
        png::ColorType::Grayscale | png::ColorType::Indexed => row.iter().flat_map(|&g| [g, g, g, 255]).collect(),
    }
}

fn jpeg_to_rgba(pixels: &[u8], format: jpeg_decoder::PixelFormat) -> Result<Vec<u8>, MediaError> {
    Ok(match format {
        jpeg_decoder::PixelFormat::RGB24 => pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], 255]).collect(),
        jpeg_decoder::PixelFormat::CMYK32 => {
            return Err(MediaError::unsupported("JPEG", "CMYK images have no pyramid"));
        }
    })
}
