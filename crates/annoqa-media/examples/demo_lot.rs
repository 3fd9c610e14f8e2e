//! Makes the parking-lot demo (`static/demo/parking-lot/`): aerial-style images of a parking
//! lot drawn here with the `image` crate (flat colours, so the PNGs stay small), with the item
//! lines that go with them — every car's exact box as gold, and a "model's" predictions that
//! jitter, miss, mislabel and invent a few, for the annotator to correct.
//!
//! `cargo run --release -p annoqa-media --example demo_lot -- static/demo/parking-lot`
//! The output is the same on every run (seeded).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() * f64::from(n)) as u32 % n.max(1)
    }
}

/// A parked vehicle: its box (pixels) and label.
struct Vehicle {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    label: &'static str,
}

const COLOURS: [[u8; 3]; 8] = [
    [200, 40, 40],
    [230, 230, 225],
    [30, 30, 35],
    [40, 80, 170],
    [150, 150, 155],
    [220, 180, 40],
    [40, 120, 70],
    [110, 60, 40],
];

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, colour: [u8; 3]) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, Rgb(colour));
        }
    }
}

/// Draws a lot of `width` × `height` with rows of stalls; returns the vehicles parked.
fn draw_lot(width: u32, height: u32, seed: u64) -> (RgbImage, Vec<Vehicle>) {
    let mut rng = Rng(seed);
    let mut img = RgbImage::from_pixel(width, height, Rgb([88, 91, 96]));
    // Patches of older and newer asphalt.
    for by in (0..height).step_by(500) {
        for bx in (0..width).step_by(500) {
            let shade = 80 + rng.below(20) as u8;
            fill(&mut img, bx, by, 500, 500, [shade, shade + 3, shade + 8]);
        }
    }
    let (stall_w, stall_h, aisle) = (220u32, 400u32, 200u32);
    let mut vehicles = Vec::new();
    let mut y = 200;
    while y + stall_h + 100 < height {
        let mut x = 200;
        while x + stall_w + 100 < width {
            fill(&mut img, x, y, 4, stall_h, [235, 235, 230]);
            match rng.below(10) {
                0 | 1 => {} // an empty stall
                2 => vehicles.push(park(&mut img, &mut rng, x, y, 190, 390, "van")),
                _ => vehicles.push(park(&mut img, &mut rng, x, y, 170, 340, "car")),
            }
            x += stall_w;
        }
        fill(&mut img, x, y, 4, stall_h, [235, 235, 230]);
        y += stall_h + aisle;
    }
    (img, vehicles)
}

/// A vehicle of `w` × `h` roughly centred in the stall at (`x`, `y`).
fn park(img: &mut RgbImage, rng: &mut Rng, x: u32, y: u32, w: u32, h: u32, label: &'static str) -> Vehicle {
    let (vx, vy) = (x + 12 + rng.below(220 - w - 20), y + 4 + rng.below(400 - h - 4));
    let colour = COLOURS[rng.below(COLOURS.len() as u32) as usize];
    fill(img, vx, vy, w, h, colour);
    // Windscreen and rear window, darker.
    let glass = [40, 50, 60];
    fill(img, vx + 14, vy + h / 5, w - 28, h / 7, glass);
    fill(img, vx + 18, vy + h * 3 / 4, w - 36, h / 10, glass);
    Vehicle { x: vx, y: vy, width: w, height: h, label }
}

fn region(id: &str, x: f64, y: f64, w: f64, h: f64, label: &str) -> String {
    format!(
        r#"{{"id": "{id}", "control": "vehicles", "type": "b_box", "x": {x}, "y": {y}, "width": {w}, "height": {h}, "label": "{label}"}}"#
    )
}

/// The model's guesses: each box jittered by a few pixels; one in twelve missed, one in
/// fifteen vans called cars, and a few boxes around nothing.
fn predictions(vehicles: &[Vehicle], seed: u64, width: u32, height: u32) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for (i, v) in vehicles.iter().enumerate() {
        if rng.below(12) == 0 {
            continue;
        }
        let mut jitter = || (rng.next() - 0.5) * 12.0;
        let (x, y) = (f64::from(v.x) + jitter(), f64::from(v.y) + jitter());
        let (w, h) = (f64::from(v.width) + jitter(), f64::from(v.height) + jitter());
        let label = if v.label == "van" && rng.below(15) == 0 { "car" } else { v.label };
        out.push(region(&format!("p{}", i + 1), x.max(0.0), y.max(0.0), w, h, label));
    }
    for k in 0..3 {
        let (x, y) = (f64::from(rng.below(width - 400) + 100), f64::from(rng.below(height - 500) + 100));
        out.push(region(&format!("p{}", vehicles.len() + k + 1), x, y, 170.0, 340.0, "car"));
    }
    out
}

fn item(id: &str, src: &str, size: (u32, u32), vehicles: &[Vehicle], mode: &str, seed: u64) -> String {
    let gold: Vec<String> = vehicles
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (x, y, w, h) = (f64::from(v.x), f64::from(v.y), f64::from(v.width), f64::from(v.height));
            region(&format!("g{}", i + 1), x, y, w, h, v.label)
        })
        .collect();
    let predicted = predictions(vehicles, seed, size.0, size.1);
    let mut line = String::new();
    let _ = write!(
        line,
        r#"{{"id": "{id}", "media": {{"type": "image", "src": "{src}", "width": {}, "height": {}}}, "predictions": [{}], "gold": {{"mode": "{mode}", "answer": [{}], "explanation": "Every car and van has one tight box; the model's boxes were close, but it missed some vehicles, called some vans cars and boxed a few empty stalls.", "guideline": "vehicles"}}}}"#,
        size.0,
        size.1,
        predicted.join(", "),
        gold.join(", ")
    );
    line
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: demo_lot OUTPUT_FOLDER")?);
    let media = out.join("media");
    std::fs::create_dir_all(&media)?;
    let mut lines = Vec::new();
    for (id, file, size, mode, seed) in [
        ("lot-small", "lot-small.png", (2000, 1400), "training", 11u64),
        ("lot-large", "lot-large.png", (8000, 6000), "honeypot", 29),
    ] {
        let (img, vehicles) = draw_lot(size.0, size.1, seed);
        save(&img, &media.join(file))?;
        lines.push(item(id, file, size, &vehicles, mode, seed * 7));
        println!("{file}: {}×{}, {} vehicles", size.0, size.1, vehicles.len());
    }
    std::fs::write(out.join("items.jsonl"), lines.join("\n") + "\n")?;
    Ok(())
}

fn save(img: &RgbImage, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        file,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    img.write_with_encoder(encoder)?;
    Ok(())
}
