"""Pictures for the demo shop, drawn when the demo is loaded: nothing is downloaded.

One simple flat picture per product: the silhouette of its category (a T-shirt, a shirt,
jeans, a dress, a shoe, a bag, a cap, a bottle) in the product's first colour on a light
background. Small PNGs (a few KB), drawn with Pillow and uploaded through
upload_product_image like a shop owner's photos.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw

SIZE = 320
COLOUR_RGB = {
    "Trắng": (245, 245, 240),
    "Đen": (35, 35, 40),
    "Xanh navy": (30, 45, 90),
    "Be": (215, 195, 160),
    "Hồng": (240, 150, 175),
    "Xanh nhạt": (140, 185, 225),
    "Xanh đậm": (35, 75, 140),
    "Đỏ": (200, 40, 45),
    "Nâu": (120, 75, 45),
    "Xám": (140, 140, 145),
    "Vàng": (240, 200, 60),
    "Kem": (240, 230, 200),
}
NEUTRAL = (13, 148, 136)  # the shop's teal, for products without a colour
Rgb = tuple[int, int, int]
Draw = ImageDraw.ImageDraw


def _outline(fill: Rgb) -> Rgb:
    """A darker edge, or a grey one on dark colours, so white and black both show."""
    if sum(fill) < 200:
        return (110, 110, 115)
    return (max(fill[0] - 60, 0), max(fill[1] - 60, 0), max(fill[2] - 60, 0))


def _tshirt(d: Draw, fill: Rgb) -> None:
    d.polygon(
        [(110, 60), (135, 75), (185, 75), (210, 60), (270, 100), (245, 140), (220, 125),
         (220, 265), (100, 265), (100, 125), (75, 140), (50, 100)],
        fill=fill, outline=_outline(fill), width=4,
    )  # fmt: skip


def _shirt(d: Draw, fill: Rgb) -> None:
    _tshirt(d, fill)
    edge = _outline(fill)
    d.line([(160, 80), (160, 265)], fill=edge, width=3)
    d.polygon([(135, 75), (160, 105), (185, 75)], fill=edge)
    for y in (130, 170, 210, 250):
        d.ellipse((154, y - 5, 166, y + 7), fill=edge)


def _jeans(d: Draw, fill: Rgb) -> None:
    d.polygon(
        [(105, 50), (215, 50), (235, 280), (180, 280), (160, 130), (140, 280), (85, 280)],
        fill=fill, outline=_outline(fill), width=4,
    )  # fmt: skip
    d.line([(105, 75), (215, 75)], fill=_outline(fill), width=3)


def _dress(d: Draw, fill: Rgb) -> None:
    d.polygon(
        [(130, 50), (190, 50), (195, 120), (255, 280), (65, 280), (125, 120)],
        fill=fill, outline=_outline(fill), width=4,
    )  # fmt: skip
    d.line([(125, 120), (195, 120)], fill=_outline(fill), width=4)


def _shoe(d: Draw, fill: Rgb) -> None:
    d.polygon(
        [(60, 150), (130, 150), (165, 190), (250, 200), (270, 235), (60, 235)],
        fill=fill, outline=_outline(fill), width=4,
    )  # fmt: skip
    d.rectangle((55, 235, 275, 255), fill=(230, 230, 225), outline=_outline(fill), width=3)


def _bag(d: Draw, fill: Rgb) -> None:
    d.arc((110, 55, 210, 165), start=180, end=360, fill=_outline(fill), width=10)
    d.rounded_rectangle((70, 110, 250, 270), radius=18, fill=fill, outline=_outline(fill), width=4)


def _cap(d: Draw, fill: Rgb) -> None:
    d.pieslice((80, 90, 240, 250), start=180, end=360, fill=fill, outline=_outline(fill), width=4)
    d.rounded_rectangle((150, 160, 285, 185), radius=10, fill=fill, outline=_outline(fill), width=4)


def _bottle(d: Draw, fill: Rgb) -> None:
    d.rounded_rectangle((115, 110, 205, 275), radius=16, fill=fill, outline=_outline(fill), width=4)
    d.rectangle((140, 60, 180, 110), fill=(60, 60, 65))
    d.rectangle((130, 160, 190, 220), fill=(250, 250, 250))


SHAPES: dict[str, Callable[[Draw, Rgb], None]] = {
    "Áo thun": _tshirt,
    "Áo sơ mi": _shirt,
    "Quần jean": _jeans,
    "Váy đầm": _dress,
    "Giày dép": _shoe,
    "Túi xách": _bag,
    "Phụ kiện": _cap,
    "Mỹ phẩm": _bottle,
}


def product_picture(category: str, colour: str | None) -> bytes:
    """A PNG of the category's silhouette in the colour (the shop's teal without one)."""
    fill = COLOUR_RGB.get(colour or "", NEUTRAL)
    background = (250, 247, 242) if sum(fill) < 600 else (225, 232, 238)
    image = Image.new("RGB", (SIZE, SIZE), background)
    SHAPES.get(category, _bag)(ImageDraw.Draw(image), fill)
    out = io.BytesIO()
    image.quantize(colors=32).save(out, format="PNG", optimize=True)
    return out.getvalue()
