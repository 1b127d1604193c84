"""The notice's QR symbol (error correction M): the module matrix `qrcode` makes, in a fraction of its time.

Why this exists: `qrcode.QRCode.make(fit=True)` picks the mask as ISO/IEC 18004 asks — it places the data
once per mask, eight times, and scores each placement by the four penalty rules module by module in
Python. For a notice's ~300-byte payload that is about 20 ms, a third of rendering a notice.

Here the data is placed once, and a symbol is one Python int: its rows one after another (row 0, column 0
the highest bit), then its columns the same way, so that each rule looks along rows and columns alike.
Each mask is then one XOR, and each penalty rule a handful of shifts, ANDs and bit counts over the whole
int. The scores are qrcode's own (`util.lost_point`, with the format and version areas light while
masks are tried, exactly as qrcode does), so the mask — and with it the symbol — is the one qrcode
chooses. The function patterns, the format and version information, the data codewords and their error
correction all come from qrcode itself; only the placement and the scoring are redone.
tests/test_qr_symbol.py holds the two to identical matrices.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from operator import itemgetter

import qrcode
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

FINDER_LIKE = (0b10111010000, 0b00001011101)  # rule 3: dark-light-dark×3-light-dark and 4 light beside


def qr_matrix(payload: str) -> list[list[bool]]:
    """The symbol for `payload` (UTF-8, error correction M, smallest version), row by row, True = dark."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(payload)
    version = code.best_fit()
    layout = _layout(version)
    bits = "".join(format(byte, "08b") for byte in util.create_data(version, ERROR_CORRECT_M, code.data_list))
    stream = bits.ljust(layout.capacity + 1, "0")  # remainder bits and the modules around the data: light
    placed = int("".join(layout.place(stream)), 2)  # the data modules, unmasked, in rows then columns
    # the mask with the lowest penalty, the first of equals (as qrcode's `best_mask_pattern`)
    scores = [_penalty(layout.fixed | (placed ^ mask), layout) for mask in layout.masks]
    best = scores.index(min(scores))
    symbol = (_function_modules(version, best) | (placed ^ layout.masks[best])) >> layout.area
    text = format(symbol, f"0{layout.area}b")
    return [[bit == "1" for bit in text[start:start + layout.size]] for start in range(0, layout.area, layout.size)]


def _penalty(symbol: int, layout: Layout) -> int:
    """qrcode's `util.lost_point` of `symbol` (rows, then columns)."""
    # rule 1: a run of L ≥ 5 modules of one colour in a line costs L - 2. `same` marks each module equal to
    # its neighbour in the line; a run of L is L - 1 marks, which hold L - 4 windows of four marks
    same = ~(symbol ^ (symbol >> 1)) & layout.pairs
    four = same & (same >> 1) & (same >> 2) & (same >> 3)
    runs = four.bit_count() + 2 * (four & ~(four >> 1)).bit_count()
    # rule 2: 3 for each 2×2 block of one colour (rows only, or each block would count twice)
    rows = symbol >> layout.area
    above = ~(rows ^ (rows >> layout.size))  # equal to the module above
    blocks = (above & (above >> 1) & ~(rows ^ (rows >> 1)) & layout.blocks).bit_count()
    # rule 3: 40 for each finder-like pattern in a row or column (overlapping ones too)
    finders = 0
    for pattern in FINDER_LIKE:
        found = layout.windows
        for shift in range(11):
            found &= (symbol >> shift) if pattern >> shift & 1 else ~(symbol >> shift)
        finders += found.bit_count()
    # rule 4: 10 for each 5 % the dark modules are away from half; qrcode's arithmetic, for identical ties
    balance = int(abs(float(rows.bit_count()) / layout.area * 100 - 50) / 5)
    return runs + 3 * blocks + 40 * finders + 10 * balance


@dataclass(frozen=True)
class Layout:
    """What one version's symbols share: sizes, the function patterns as qrcode has them while it tries
    masks, each mask limited to the data modules, where the data bits go, and the bit masks of the rules."""

    size: int  # modules a side
    area: int  # modules in the symbol: bits of its rows, and again of its columns
    capacity: int  # data modules
    fixed: int
    masks: tuple[int, ...]
    place: itemgetter  # the placed bits, rows then columns, from the data bits (index `capacity`: light)
    pairs: int  # a module and its neighbour (the next lower bit) in the same line
    blocks: int  # a pair in the rows with a row above it: the lower right module of a 2×2 block
    windows: int  # the first bits of 11 in the same line


@cache
def _layout(version: int) -> Layout:
    size = version * 4 + 17
    area = size * size
    grid = _function_grid(version, None)
    order = _placement(grid, size)  # (row, col) of the k-th data bit
    index = {cell: k for k, cell in enumerate(order)}
    cells = [(r, c) for r in range(size) for c in range(size)] + [(r, c) for c in range(size) for r in range(size)]
    free = _lines(grid, lambda cell: cell is None)
    masks = []
    for pattern in range(8):
        inverts = util.mask_func(pattern)
        masks.append(_lines([[inverts(r, c) for c in range(size)] for r in range(size)], bool) & free)
    line = (1 << size) - 1
    every_line = sum(1 << (size * n) for n in range(2 * size))  # bit 0 of each line
    return Layout(
        size=size, area=area, capacity=len(order), fixed=_lines(grid, bool), masks=tuple(masks),
        place=itemgetter(*(index.get(cell, len(order)) for cell in cells)),
        pairs=every_line * (line >> 1),
        blocks=(every_line * (line >> 1)) & ((1 << (area - size)) - 1),
        windows=every_line * (line >> 10),
    )


@cache
def _function_modules(version: int, mask: int) -> int:
    """The function patterns with the format information of `mask` (and the version information)."""
    return _lines(_function_grid(version, mask), bool)


def _lines(grid: list[list], dark) -> int:
    """The modules of `grid` for which `dark` holds as one int: rows, then columns."""
    rows = ["".join("1" if dark(cell) else "0" for cell in row) for row in grid]
    return int("".join(rows) + "".join("".join(column) for column in zip(*rows, strict=True)), 2)


def _function_grid(version: int, mask: int | None) -> list[list]:
    """qrcode's function patterns for `version`, data modules None; `mask` None: format and version areas
    light, as qrcode has them while it tries the masks."""
    size = version * 4 + 17
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M)
    code.modules_count = size
    code.modules = [[None] * size for _ in range(size)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(size - 7, 0)
    code.setup_position_probe_pattern(0, size - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(mask is None, mask or 0)
    if version >= 7:
        code.setup_type_number(mask is None)
    return code.modules


def _placement(grid: list[list], size: int) -> list[tuple[int, int]]:
    """The free modules in the order qrcode's `map_data` fills them: two-column strips from the right,
    upwards then downwards, skipping the vertical timing column."""
    order = []
    upwards = True
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for row in range(size - 1, -1, -1) if upwards else range(size):
            for col in (right, right - 1):
                if grid[row][col] is None:
                    order.append((row, col))
        upwards = not upwards
    return order
