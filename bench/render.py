"""Render Chinese text as page images (a newspaper page of columns) for OCR tests and benchmarks.

Uses a CJK font on the machine (Noto Sans/Serif CJK from Debian's fonts-noto-cjk, which
`.ci/run` installs).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

FONT_GLOBS = ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/**/*CJK*.tt[cf]", "/usr/share/fonts/**/wqy*.tt[cf]")


def cjk_font_path() -> str | None:
    """A font file with Chinese glyphs, or None."""
    for pattern in FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


def _font(size: int):
    from PIL import ImageFont
    path = cjk_font_path()
    if path is None:
        raise RuntimeError("no CJK font: apt-get install fonts-noto-cjk")
    # index 2 of the Noto CJK collections is Simplified Chinese (SC)
    try:
        return ImageFont.truetype(path, size, index=2)
    except OSError:
        return ImageFont.truetype(path, size)


@dataclass
class Block:
    text: str
    headline: bool = False     # set across all columns, larger
    space_before: int = 0      # blank lines before (a picture's place)


def blocks_from_report(raw: str) -> list[Block]:
    """The blocks of a bundled report's text: paragraphs, with the wide gaps kept."""
    out, gap = [], 0
    for para in raw.replace("\r\n", "\n").split("\n"):
        if not para.strip():
            gap += 1
            continue
        out.append(Block(para.strip(), space_before=2 if gap >= 2 and out else 0))
        gap = 0
    return out


def render_pages(blocks: list[Block], *, columns: int = 2, size: int = 26, width: int = 2000,
                 height: int = 2900, margin: int = 80, gutter: int = 60, line_gap: float = 0.55,
                 indent: bool = True, header: str | None = None, footer: str | None = None) -> list:
    """Pages (PIL images, white, black text) of ``blocks`` set in ``columns`` columns.

    A headline block spans all columns at the top of a page; body blocks flow down the
    columns, a paragraph's first line indented by two characters. ``header`` and ``footer``
    (with ``{page}``) are printed on every page.
    """
    from PIL import Image, ImageDraw
    font = _font(size)
    big = _font(int(size * 1.5))
    small = _font(int(size * 0.8))
    col_w = (width - 2 * margin - (columns - 1) * gutter) // columns
    step = int(size * (1 + line_gap))
    pages = []
    state = {}

    def new_page():
        img = Image.new("L", (width, height), 255)
        d = ImageDraw.Draw(img)
        n = len(pages) + 1
        if header:
            d.text((margin, margin // 3), header.format(page=n), font=small, fill=0)
        if footer:
            text = footer.format(page=n)
            d.text(((width - d.textlength(text, font=small)) / 2, height - margin * 2 // 3), text, font=small, fill=0)
        pages.append(img)
        state.update(img=img, draw=d, col=0, top=margin + (size if header else 0), y=margin + (size if header else 0))

    def wrap(text: str, f, w: int, first_indent: int) -> list[tuple[int, str]]:
        lines, cur, x0 = [], "", first_indent
        d = state["draw"]
        for ch in text:
            # closing punctuation never starts a line (it hangs in the margin, as typeset)
            if d.textlength(cur + ch, font=f) > w - x0 and cur and ch not in "，。、；：？！）》”’":
                lines.append((x0, cur))
                cur, x0 = "", 0
            cur += ch
        if cur:
            lines.append((x0, cur))
        return lines

    new_page()
    bottom = height - margin - (size if footer else 0)
    for b in blocks:
        if b.headline:
            full_w = width - 2 * margin
            lines = wrap(b.text, big, full_w, 0)
            need = len(lines) * int(size * 1.5 * (1 + line_gap)) + step
            if state["col"] > 0 or state["y"] + need > bottom:
                new_page()       # a headline over columns already begun starts a new page
            y = state["y"]
            for x0, text in lines:
                tw = state["draw"].textlength(text, font=big)
                state["draw"].text((margin + (full_w - tw) / 2, y), text, font=big, fill=0)
                y += int(size * 1.5 * (1 + line_gap))
            state.update(y=y + step // 2, top=y + step // 2, col=0)
            continue
        state["y"] += b.space_before * step * 2
        for x0, text in wrap(b.text, font, col_w, 2 * size if indent else 0):
            if state["y"] + step > bottom:
                state["col"] += 1
                state["y"] = state["top"]
                if state["col"] >= columns:
                    new_page()
            x = margin + state["col"] * (col_w + gutter) + x0
            state["draw"].text((x, state["y"]), text, font=font, fill=0)
            state["y"] += step
    return pages


def save_pdf(images: list, path: str | Path, dpi: int = 200) -> None:
    """Images as an image-only PDF (a scan), one page each."""
    rgb = [im.convert("RGB") for im in images]
    rgb[0].save(str(path), "PDF", resolution=dpi, save_all=True, append_images=rgb[1:])
