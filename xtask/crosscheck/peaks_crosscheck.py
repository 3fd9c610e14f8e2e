#!/usr/bin/env python3
"""Waveform peaks of `annoqa peaks` against numpy min/max over the same samples.

Usage: peaks_crosscheck.py ANNOQA_BINARY WORK_DIR

Writes WAV files of every sample format annoqa reads (8-bit unsigned, 16/24/32-bit signed
integer, 32-bit float; mono, stereo and 3 channels in WAVE_FORMAT_EXTENSIBLE), with this
script's own RIFF writer and seeded numpy noise plus full-scale extremes. For each, runs
`annoqa peaks FILE -o OUT.json` at several zooms, pixels-per-second and 8/16 bits, and compares
every value with numpy: samples mapped to 16 bits as libsndfile reads them for audiowaveform
(8-bit: (u - 128) * 256; 24/32-bit: the top 16 bits; float: rint(x * 32767) in single
precision, clipped), min and max per pixel and channel with the final partial pixel kept,
8-bit output as the 16-bit value / 256 truncated toward zero. Also checks the JSON header
fields. Exits 1 on the first difference, naming file, option and index.
"""

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

RATE = 8000
FRAMES = 20_011  # not a multiple of any zoom, so the last pixel is partial


def riff(channels, bits, float_format, extensible, data):
    block = channels * bits // 8
    if extensible:
        # WAVE_FORMAT_EXTENSIBLE: cbSize 22, valid bits, channel mask, sub-format GUID.
        sub = 3 if float_format else 1
        guid = struct.pack("<HHI", sub, 0x0000, 0x00100000) + bytes([0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, RATE, RATE * block, block, bits, 22, bits, 0) + guid
    else:
        fmt = struct.pack("<HHIIHH", 3 if float_format else 1, channels, RATE, RATE * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    if len(data) % 2:
        chunks += b"\0"
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def make(kind, channels, rng):
    n = FRAMES * channels
    extremes = np.arange(n) % 997 == 3
    if kind == "u8":
        raw = rng.integers(0, 256, n, dtype=np.int64)
        raw[extremes] = 0
        data = raw.astype(np.uint8).tobytes()
        as16 = (raw - 128) * 256
        bits, is_float = 8, False
    elif kind in ("i16", "i24", "i32"):
        bits = int(kind[1:])
        raw = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), n, dtype=np.int64)
        raw[extremes] = -(1 << (bits - 1))
        if bits == 24:
            little = raw.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
            data = little.tobytes()
        else:
            data = raw.astype(f"<i{bits // 8}").tobytes()
        as16 = raw >> (bits - 16)
        is_float = False
    else:
        raw = (rng.random(n, dtype=np.float32) * 2 - 1).astype(np.float32)
        raw[extremes] = np.float32(-1.5)
        raw[np.arange(n) % 1009 == 5] = np.float32(1.0)
        data = raw.astype("<f4").tobytes()
        scaled = np.rint(raw * np.float32(32767.0))  # float32 product, ties to even
        as16 = np.clip(scaled, -32768, 32767).astype(np.int64)
        bits, is_float = 32, True
    wav = riff(channels, bits, is_float, channels > 2, data)
    return wav, as16.reshape(FRAMES, channels)


def expected_peaks(samples, spp, out_bits):
    pixels = -(-samples.shape[0] // spp)
    values = []
    for p in range(pixels):
        block = samples[p * spp:(p + 1) * spp]
        for c in range(samples.shape[1]):
            lo, hi = int(block[:, c].min()), int(block[:, c].max())
            if out_bits == 8:
                lo, hi = int(np.trunc(lo / 256)), int(np.trunc(hi / 256))
            values += [lo, hi]
    return values


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    annoqa, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2859)
    checked = 0
    for kind in ("u8", "i16", "i24", "i32", "f32"):
        for channels in (1, 2, 3):
            wav, samples = make(kind, channels, rng)
            path = work / f"{kind}-{channels}ch.wav"
            path.write_bytes(wav)
            for option, spp in ((["--zoom", "2"], 2), (["--zoom", "256"], 256), (["--zoom", "333"], 333),
                                (["--pixels-per-second", "100"], RATE // 100)):
                for out_bits in (8, 16):
                    out = work / f"{path.stem}-{spp}-{out_bits}.json"
                    subprocess.run([annoqa, "peaks", str(path), "-o", str(out), *option, "--bits", str(out_bits)],
                                   check=True)
                    got = json.loads(out.read_text())
                    header = {k: got.get(k) for k in ("version", "channels", "sample_rate", "samples_per_pixel",
                                                     "bits", "length")}
                    want_header = {"version": 2, "channels": channels, "sample_rate": RATE,
                                   "samples_per_pixel": spp, "bits": out_bits, "length": -(-FRAMES // spp)}
                    where = f"{path.name} {' '.join(option)} --bits {out_bits}"
                    if header != want_header:
                        sys.exit(f"{where}: header {header} != {want_header}")
                    want = expected_peaks(samples, spp, out_bits)
                    if got["data"] != want:
                        i = next(i for i, (a, b) in enumerate(zip(got["data"], want + [None])) if a != b)
                        sys.exit(f"{where}: value {i} is {got['data'][i]}, numpy says {want[i] if i < len(want) else 'nothing'}")
                    checked += len(want)
    print(f"peaks crosscheck: {checked} values agree with numpy (5 sample formats x 1-3 channels x 4 zooms x 8/16 bits)")


if __name__ == "__main__":
    main()
