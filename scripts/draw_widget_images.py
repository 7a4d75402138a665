"""Draw the traffic-light images the original embeddable widget shows (statusalert.js).

Sites that embedded Stashboard 1.x's widget load /images/widget/green.png, yellow.png or
red.png from the board (green: every service normal; yellow: the worst is a warning;
red: the worst is an error or critical). These are drawn for this project, in the
colours of the status icons (static/images/icons/fugue: status.png, status-away.png,
status-busy.png), at 90x90 so the widget's 45px looks sharp on high-density screens.
Licence: CC0 1.0 (static/images/widget/LICENSE.txt). No imaging library is needed:

    python3 scripts/draw_widget_images.py
"""

import math
import pathlib
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "images" / "widget"
SIZE = 90
SAMPLES = 4  # per axis: anti-aliasing by supersampling
COLOURS = {
    "green": (0x3C, 0xB0, 0x3C),
    "yellow": (0xF5, 0xB8, 0x1C),
    "red": (0xE0, 0x3A, 0x2F),
}


def _pixel(x, y, colour):
    """RGBA of one sample: a disc with a darker rim and a soft highlight, transparent outside."""
    centre, radius = SIZE / 2, SIZE / 2 - 2
    distance = math.hypot(x - centre, y - centre)
    if distance > radius:
        return (0, 0, 0, 0)
    if distance > radius - 4:  # the rim
        return (*(int(c * 0.7) for c in colour), 255)
    # A highlight up and to the left, fading into the colour.
    glow = max(0.0, 1 - math.hypot(x - centre * 0.75, y - centre * 0.7) / (radius * 0.9))
    return (*(int(c + (255 - c) * glow * 0.55) for c in colour), 255)


def draw(colour):
    """The image's rows of RGBA bytes, each sample-averaged."""
    rows = []
    for py in range(SIZE):
        row = bytearray()
        for px in range(SIZE):
            total = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    sample = _pixel(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES, colour)
                    alpha = sample[3]
                    for i in range(3):
                        total[i] += sample[i] * alpha
                    total[3] += alpha
            alpha = total[3]
            rgb = [round(total[i] / alpha) if alpha else 0 for i in range(3)]
            row += bytes([*rgb, round(alpha / SAMPLES**2)])
        rows.append(bytes(row))
    return rows


def png(rows):
    """A PNG file (8-bit RGBA, no filter) of `rows`."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def main():
    """Write green.png, yellow.png and red.png."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, colour in COLOURS.items():
        (OUT / f"{name}.png").write_bytes(png(draw(colour)))
    print(f"wrote {', '.join(f'{name}.png' for name in COLOURS)} to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
