#!/usr/bin/env python3
"""Builds ../icons.svg, the platform's icon sprite, from the Lucide icons it uses.

Lucide (lucide-static on npm, ISC licence: ./LICENSE) ships 1,500 icons; pages need a few dozen,
and every public page must stay under 100 KB, so the sprite holds only the names listed here.
Each icon becomes a <symbol id="NAME">, used as <svg><use href="/static/icons.svg#NAME"/></svg>.

    npm pack lucide-static@0.469.0 && tar xzf lucide-static-0.469.0.tgz
    python3 make-sprite.py package/icons
"""
import pathlib
import re
import sys

NAMES = """
house file-text search message-square-warning megaphone siren vote users map-pin phone clock
inbox user log-out log-in settings building-2 chart-column landmark calendar check x circle-alert
triangle-alert info circle-check printer download upload plus pencil trash-2 eye menu chevron-right
chevron-down list-checks shopping-basket store qr-code wallet bell message-circle book-open
shield-check scroll-text palette send radio globe type bold italic heading list list-ordered link
image paperclip mail smartphone receipt clipboard-list circle-help arrow-left arrow-right
external-link history layout-dashboard filter map sparkles user-plus clipboard-check hourglass
""".split()

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "package/icons")
out = ['<svg xmlns="http://www.w3.org/2000/svg"><!-- Lucide 0.469.0, ISC licence: /static/lucide.LICENSE -->']
for name in NAMES:
    body = (src / f"{name}.svg").read_text()
    inner = re.search(r"<svg[^>]*>(.*)</svg>", body, re.S).group(1)
    inner = re.sub(r"\s*\n\s*", "", inner).replace(" />", "/>")
    out.append(
        f'<symbol id="{name}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{inner}</symbol>'
    )
out.append("</svg>\n")
(pathlib.Path(__file__).parent.parent / "icons.svg").write_text("\n".join(out))
print(f"{len(NAMES)} icons")
