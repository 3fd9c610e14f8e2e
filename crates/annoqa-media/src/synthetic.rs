//! Deterministic synthetic media for benchmarks and fuzz seeds: the same bytes natively and in
//! the browser, made in memory without any tool or download.

/// A 16-bit mono WAV of `seconds` at `sample_rate`: a 440 Hz triangle wave under slowly
/// changing loudness plus xorshift noise, so peaks vary from pixel to pixel.
pub fn wav_i16_mono(seconds: u32, sample_rate: u32) -> Vec<u8> {
    let frames = u64::from(seconds) * u64::from(sample_rate);
    let data_len = frames * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((36 + data_len) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0");
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&[2, 0, 16, 0]);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    let period = (sample_rate / 440).max(2);
    let mut noise = 0x2545_f491_4f6c_dd1du64;
    for i in 0..frames {
        let phase = (i % u64::from(period)) as i64 * 4 * 20_000 / i64::from(period);
        let triangle = if phase < 2 * 20_000 { phase - 20_000 } else { 3 * 20_000 - phase };
        let loudness = 4 + (i / u64::from(sample_rate) % 5) as i64;
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        let sample = triangle * loudness / 8 + (noise >> 54) as i64 - 512;
        out.extend_from_slice(&(sample.clamp(-32768, 32767) as i16).to_le_bytes());
    }
    out
}

/// A `width × height` RGB PNG written row by row with the `png` crate (fast compression), so
/// even 10,000 × 10,000 never exists decoded in memory.
pub fn png_rgb(width: u32, height: u32) -> Result<Vec<u8>, crate::MediaError> {
    let out = SharedBuffer::default();
    let mut encoder = png::Encoder::new(out.clone(), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let written = encoder.write_header().and_then(|writer| {
        let mut stream = writer.into_stream_writer()?;
        let mut row = vec![0u8; width as usize * 3];
        for y in 0..height {
            for (x, pixel) in row.chunks_exact_mut(3).enumerate() {
                pixel.copy_from_slice(&[x as u8, y as u8, (x as u32 ^ y) as u8]);
            }
            std::io::Write::write_all(&mut stream, &row)?;
        }
        stream.finish()
    });
    match written {
        Ok(()) => Ok(out.0.take()),
        Err(e) => Err(crate::MediaError::invalid("PNG", format!("cannot encode: {e}"))),
    }
}

/// A PNG whose IHDR says `width × height`, with correct CRCs, and an empty IDAT: what a
/// decompression bomb's header looks like, without its pixels.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    out.extend_from_slice(b"\0\0\0\0IDAT");
    out.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
    out
}

/// PNG's chunk checksum (CRC-32, ISO 3309).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A `Write` the PNG stream writer can own (it needs `'static`) while we keep the bytes.
#[derive(Clone, Default)]
struct SharedBuffer(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
