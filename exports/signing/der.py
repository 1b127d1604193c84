"""Strict DER checks for the bytes of a signature no signature covers (see exports/signing/pades.py)."""

from __future__ import annotations


def der_length(data: bytes) -> int | None:
    """Length of the DER element at the start of `data` (header included), or None."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 1 <= count <= 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def is_der(blob: bytes) -> bool:
    """Every length in the TLV tree is definite and minimal, every tag short-form and not the
    end-of-contents 00 (zero padding must not be pulled into the structure), nothing left over.

    asn1crypto reads some BER variants leniently (and re-encoding to compare costs ~90 ms), so
    the encodings that could change unnoticed are refused here instead.
    """
    def walk(offset: int, end: int, depth: int) -> bool:
        while offset < end:
            if depth > 32 or end - offset < 2 or blob[offset] & 0x1F == 0x1F or blob[offset] == 0:
                return False
            constructed, first = blob[offset] & 0x20, blob[offset + 1]
            offset += 2
            if first < 0x80:
                length = first
            else:
                count = first & 0x7F
                if not 1 <= count <= 4 or end - offset < count or blob[offset] == 0:
                    return False
                length = int.from_bytes(blob[offset:offset + count], "big")
                offset += count
                if length < 0x80:
                    return False
            if length > end - offset or (constructed and not walk(offset, offset + length, depth + 1)):
                return False
            offset += length
        return offset == end

    return walk(0, len(blob), 0)
