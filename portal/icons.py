"""The portal's favicon and app icons, drawn from the logotype: the shield of
templates/portal/includes/logo_mark.svg with PORTAL_BRAND's initial on it, so a brand set by
its environment variable gets its own icons without new artwork. PNGs are drawn once per
process and size (Pillow, already here for the captcha) with the portal's own font."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
# The colours of static/css/portal.css: --brand, --brand-dark, --brand-tint.
BRAND = "#0061a0"
BRAND_DARK = "#004a7a"
BRAND_TINT = "#e8f1f8"
PAGE = "#f3f6f9"  # --bg, the page behind the header
# The shield in the 48-unit square of logo_mark.svg (its path's points, the same numbers):
# the top, the shoulders, then each side's curve to the point at the bottom.
TOP, RIGHT_SHOULDER, LEFT_SHOULDER = (24.0, 2.0), (42.0, 8.0), (6.0, 8.0)
RIGHT_CURVE = ((42.0, 22.0), (42.0, 33.5), (34.5, 41.8), (24.0, 46.0))
LEFT_CURVE = ((24.0, 46.0), (13.5, 41.8), (6.0, 33.5), (6.0, 22.0))
# Where the initial's middle sits: above the shield's middle, whose bottom is a point.
LETTER_CENTRE, LETTER_HEIGHT = (24.0, 22.5), 18.0
OVERSAMPLE = 4  # drawn larger, then scaled down: Pillow's polygons have no anti-aliasing

Point = tuple[float, float]


def initial(brand: str) -> str:
    """The brand's first character, upper-case: what the header's mark shows
    (`brand|slice:":1"|upper` in templates/base.html)."""
    return brand[:1].upper()


def _bezier(points: tuple[Point, Point, Point, Point], steps: int = 24) -> list[Point]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    curve = []
    for step in range(steps + 1):
        t = step / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        curve.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return curve


def _shield(scale: float, offset: Point) -> tuple[list[Point], list[Point]]:
    """The whole shield and its right half (drawn darker), in pixels."""
    right = [TOP, RIGHT_SHOULDER, *_bezier(RIGHT_CURVE)]
    whole = right + _bezier(LEFT_CURVE)[1:] + [LEFT_SHOULDER]
    dx, dy = offset

    def place(points: list[Point]) -> list[Point]:
        return [(x * scale + dx, y * scale + dy) for x, y in points]

    return place(whole), place(right)


def _font(letter: str, size: int) -> ImageFont.FreeTypeFont:
    # Latin-1 letters are in the file every page loads; others in the Latin Extended one.
    subset = "latin" if ord(letter) <= 0xFF else "latin-ext"
    font = ImageFont.truetype(str(FONTS / f"source-sans-3-{subset}-wght-normal.woff2"), size)
    font.set_variation_by_axes([800])  # the wordmark's weight
    return font


@functools.lru_cache(maxsize=16)
def png(brand: str, size: int, *, tile: bool) -> bytes:
    """The icon as a PNG of `size` pixels square. `tile`: the home-screen icon, the white
    shield on a full --brand square (iOS and Android round its corners; the shield keeps
    inside the middle 80 %, the safe zone of a maskable icon); otherwise the favicon, the
    logotype's blue shield on a transparent ground."""
    canvas = size * OVERSAMPLE
    image = Image.new("RGBA", (canvas, canvas), BRAND if tile else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = canvas * (0.6 if tile else 1.0) / 48  # one unit of the 48-unit square
    offset = ((canvas - 48 * unit) / 2, (canvas - 48 * unit) / 2)
    whole, right = _shield(unit, offset)
    draw.polygon(whole, fill="#ffffff" if tile else BRAND)
    draw.polygon(right, fill=BRAND_TINT if tile else BRAND_DARK)
    letter = initial(brand)
    if letter:
        font = _font(letter, round(LETTER_HEIGHT * unit / 0.66))  # capitals are ~0.66 em
        left, top, right_edge, bottom = draw.textbbox((0, 0), letter, font=font)
        x = offset[0] + LETTER_CENTRE[0] * unit - (left + right_edge) / 2
        y = offset[1] + LETTER_CENTRE[1] * unit - (top + bottom) / 2
        draw.text((x, y), letter, font=font, fill=BRAND if tile else "#ffffff")
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@functools.lru_cache(maxsize=4)
def ico(brand: str) -> bytes:
    """/favicon.ico, asked for by browsers and tools that read no <link rel="icon">: the
    favicon at 16, 32 and 48 pixels."""
    image = Image.open(io.BytesIO(png(brand, 256, tile=False)))
    out = io.BytesIO()
    image.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def manifest(*, name: str, description: str, language: str) -> str:
    """The web app manifest: the name and icons a phone shows for a page added to its home
    screen."""
    icons = [
        {"src": f"/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
         "purpose": purpose}
        for size in (192, 512) for purpose in ("any", "maskable")
    ]  # fmt: skip
    document = {
        "name": name,
        "short_name": name,
        "description": description,
        "lang": language,
        "start_url": "/",
        "scope": "/",
        # A browser frame kept: people check the address before typing a password.
        "display": "minimal-ui",
        "background_color": PAGE,
        "theme_color": BRAND,
        "icons": icons,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
