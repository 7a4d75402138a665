"""Cut the status icons out of the Fugue icon sprite sheet.

The Fugue icons (Yusuke Kamiyamane, CC BY 3.0) are published on PyPI as the
``fugue-icons`` package: one sprite sheet plus a JSON map of icon positions.
This script writes the icons Stashboard offers as status images into
``static/images/icons/fugue/`` as separate 16x16 PNG files, so App Engine can
serve them as plain static files.

    pip download --no-deps fugue-icons==3.5.6 && tar xzf fugue-icons-3.5.6.tar.gz
    pip install pillow
    python scripts/extract_fugue_icons.py fugue-icons-3.5.6/fugue_icons/static
"""

import json
import pathlib
import sys

from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.status_image import FUGUE_ICONS  # noqa: E402

SIZE = 16


def main(sprite_dir):
    """Write one PNG per icon named in FUGUE_ICONS."""
    sprite_dir = pathlib.Path(sprite_dir)
    positions = json.loads((sprite_dir / "fugue-icons.json").read_text())
    sheet = Image.open(sprite_dir / "fugue-icons.png")
    out = ROOT / "static" / "images" / "icons" / "fugue"
    out.mkdir(parents=True, exist_ok=True)
    for name in FUGUE_ICONS:
        x, y = positions[name]
        sheet.crop((x, y, x + SIZE, y + SIZE)).save(out / f"{name}.png", optimize=True)
    print(f"wrote {len(FUGUE_ICONS)} icons to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1])
