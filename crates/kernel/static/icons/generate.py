"""Renders the app icons from the favicon's design (static/favicon.svg).

Run from anywhere with CairoSVG and Pillow installed (a throwaway virtualenv will do):
    python3 -m venv /tmp/v && /tmp/v/bin/pip install cairosvg pillow
    /tmp/v/bin/python crates/kernel/static/icons/generate.py
The PNG files are committed; this script only says how they were made.
"""

import io
import pathlib
import re

import cairosvg
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
FAVICON = (HERE.parent / "favicon.svg").read_text()
BRAND = re.search(r'fill="(#[0-9a-fA-F]{6})"', FAVICON).group(1)

# "any" icons: the favicon as drawn (rounded square, transparent corners).
ANY = FAVICON
# Maskable and Apple icons: the launcher cuts its own shape, so the colour fills the whole
# square and the letters stay inside the central safe circle (radius 40% of the side).
FULL_BLEED = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    f'<rect width="32" height="32" fill="{BRAND}"/>'
    '<text x="16" y="19.9" font-family="Arial" font-size="{size}" font-weight="700" '
    'text-anchor="middle" fill="#fff">XS</text></svg>'
)


def render(svg: str, side: int, name: str) -> None:
    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=side, output_height=side)
    img = Image.open(io.BytesIO(png))
    assert img.size == (side, side), (name, img.size)
    img.save(HERE / name, optimize=True)


render(ANY, 192, "icon-192.png")
render(ANY, 512, "icon-512.png")
render(FULL_BLEED.replace("{size}", "11"), 512, "maskable-512.png")
render(FULL_BLEED.replace("{size}", "13"), 180, "apple-touch-icon.png")
