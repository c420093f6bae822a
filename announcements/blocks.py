"""StreamField blocks of an announcement: the plain subset of the public pages' blocks.

An announcement is also sent as plain text (e-mail) and read on a phone, so it keeps
to headings, paragraphs and pictures; the public pages' blocks are reused as they are.
"""

from home.blocks import CONTENT_BLOCKS

ANNOUNCEMENT_BLOCK_NAMES = ("heading", "paragraph", "image")

ANNOUNCEMENT_BLOCKS = [
    (name, block) for name, block in CONTENT_BLOCKS if name in ANNOUNCEMENT_BLOCK_NAMES
]
