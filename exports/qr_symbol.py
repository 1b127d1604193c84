"""The notice's QR symbol (error correction M): the module matrix `qrcode` makes, in a fraction of its time.

Why this exists: `qrcode.QRCode.make(fit=True)` picks the mask as ISO/IEC 18004 asks — it places the data
eight times, once per mask, and scores each placement by the four penalty rules module by module in
Python. For a notice's ~300-byte payload that is about 20 ms, a third of rendering a notice. Here the
data is placed once; each mask is then an XOR of whole rows (rows as ints, bit per module), and the
penalty rules run over those ints and their '0'/'1' strings (regular expressions for the runs and the
finder-like patterns, bitwise AND for the 2×2 blocks). The scores are qrcode's own (`util.lost_point`,
with the format and version areas light while masks are tried, exactly as qrcode does), so the mask —
and with it the symbol — is the one qrcode chooses. The function patterns, format and version
information, the data codewords and their error correction all come from qrcode itself; only the
placement and the scoring are redone. tests/test_qr_symbol.py holds the two to identical matrices.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

import qrcode
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

RUN = re.compile(r"0{5,}|1{5,}")  # rule 1: five or more modules of one colour in a row or column
FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")  # rule 3, overlapping matches counted


def qr_matrix(payload: str) -> list[list[bool]]:
    """The symbol for `payload` (UTF-8, error correction M, smallest version), row by row, True = dark."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(payload)
    version = code.best_fit()
    size = version * 4 + 17
    fixed, masks, order = _layout(version)
    placed = [0] * size  # the data modules, unmasked
    bits = "".join(format(byte, "08b") for byte in util.create_data(version, ERROR_CORRECT_M, code.data_list))
    for (row, bit), value in zip(order, bits, strict=False):  # the remainder bits past the data stay light
        if value == "1":
            placed[row] |= bit
    # the mask with the lowest penalty, the first of equals (as qrcode's `best_mask_pattern`)
    scores = [_penalty([f | (p ^ m) for f, p, m in zip(fixed, placed, mask, strict=True)], size) for mask in masks]
    best = scores.index(min(scores))
    rows = [f | (p ^ m) for f, p, m in zip(_function_rows(version, best), placed, masks[best], strict=True)]
    return [[bit == "1" for bit in format(row, f"0{size}b")] for row in rows]


def _penalty(rows: list[int], size: int) -> int:
    """qrcode's `util.lost_point` of the symbol whose rows (column 0 the highest bit) are `rows`."""
    lines = [format(row, f"0{size}b") for row in rows]
    text = "\n".join(lines + ["".join(column) for column in zip(*lines, strict=True)])
    found = RUN.findall(text)
    runs = sum(map(len, found)) - 2 * len(found)
    pairs = (1 << (size - 1)) - 1  # bit p and p + 1: two neighbouring columns
    blocks = 0
    for upper, lower in pairwise(rows):
        same = ~(upper ^ lower)  # same colour above and below
        blocks += (same & (same >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    finders = len(FINDER_LIKE.findall(text))
    dark = sum(row.bit_count() for row in rows)
    balance = int(abs(float(dark) / size**2 * 100 - 50) / 5)  # qrcode's arithmetic, for identical ties
    return runs + 3 * blocks + 40 * finders + 10 * balance


@cache
def _layout(version: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...], tuple[tuple[int, int], ...]]:
    """For one version: the function patterns as rows (format and version areas light, as qrcode scores
    masks), each mask's rows limited to the data modules, and the data modules in placement order as
    (row, column bit)."""
    size = version * 4 + 17
    grid = _function_grid(version, None)
    fixed = _rows(grid)
    free = [int("".join("1" if cell is None else "0" for cell in row), 2) for row in grid]
    masks = []
    for pattern in range(8):
        inverts = util.mask_func(pattern)
        masks.append(tuple(int("".join("1" if inverts(r, c) else "0" for c in range(size)), 2) & free[r]
                           for r in range(size)))
    return fixed, tuple(masks), tuple(_placement(grid, size))


@cache
def _function_rows(version: int, mask: int) -> tuple[int, ...]:
    """The function patterns as rows with the format information of `mask` (and the version information)."""
    return _rows(_function_grid(version, mask))


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


def _rows(grid: list[list]) -> tuple[int, ...]:
    """The dark modules of `grid` as one int per row, column 0 the highest bit."""
    return tuple(int("".join("1" if cell else "0" for cell in row), 2) for row in grid)


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
                    order.append((row, 1 << (size - 1 - col)))
        upwards = not upwards
    return order
