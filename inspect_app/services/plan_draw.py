"""The 双随机 draw itself: pure functions over plain data, the same result on any machine.

Inputs: the register (the candidate tenants, sorted by id, each with its park, its street and the
risk factors the weights apply to), the plan's parameters (weights, how many, inspectors per task,
whether inspectors are kept from their own street), the pairing inputs (the available inspectors
with their home street, the declared inspector ↔ tenant conflicts) and a seed.

- **Randomness from sha256, never `random`** (whose algorithms may change between versions):
  each tenant's number is the first 8 bytes of sha256(seed ␟ tenant id), as u in (0, 1).
- **Weighted sampling without replacement** (Efraimidis–Spirakis): a tenant's key is ln(u) / w,
  w = 1 + Σ weight × factor; the n greatest keys are drawn (ties by tenant id). A tenant with
  twice the weight is about twice as likely to be drawn, and every tenant can be.
- **Pairs**: tenants in draw order; each gets the `per_task` eligible inspectors with the fewest
  tasks so far (ties in a random order per task, from sha256 too; `pair`), so the load is
  balanced and the pairs are random. Never a recused pair (declared conflict, or the inspector's own street when
  the plan says so); too few eligible inspectors for a tenant refuses the draw.

The register's canonical form is compact JSON (`canonical_register`); its sha256 is what the
公示 list prints, so anyone holding the register can re-run the draw (`parkinspect plan verify`).
Floating point is IEEE-754 double with `math.log`; two keys within one rounding of each other is
the only way two machines could disagree, and that has a probability of about 1e-16 per pair.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

REGISTER_VERSION = 1
# The risk factors a plan weighs, in the register's column order. Counted factors are capped.
FACTORS = ("class_a", "class_b", "people_living", "open_hazards", "overdue_hazards", "repeat_findings",
           "never_inspected", "zombie", "declining")
DEFAULT_WEIGHTS = {"class_a": 3.0, "class_b": 2.0, "people_living": 2.0, "open_hazards": 1.0,
                   "overdue_hazards": 2.0, "repeat_findings": 1.0, "never_inspected": 2.0, "zombie": 1.0,
                   "declining": 1.0}
COUNT_CAP = 3  # open hazards, repeat findings: 3 and more weigh as 3
MAX_WEIGHT = 100.0
MIN_PER_TASK = 2


class DrawError(ValueError):
    """The draw cannot be made as asked; `key` and `values` say why in the catalogue's words."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


class Candidate(NamedTuple):  # a tuple: 30,000 of them are made from the register in a few ms
    tenant_id: str
    park_id: str
    street: str  # the park's street
    factors: tuple[int, ...]  # in FACTORS order

    def weight(self, weights: Mapping[str, float]) -> float:
        return _weight(self.factors, tuple(weights.get(name, 0.0) for name in FACTORS))


def _weight(factors: tuple[int, ...], vector: tuple[float, ...]) -> float:
    return 1.0 + sum(map(operator.mul, vector, factors))


@dataclass(frozen=True)
class Parameters:
    weights: dict[str, float]
    count: int | None
    ratio: float | None
    per_task: int
    recuse_own_street: bool

    def as_json(self) -> dict:
        return {"weights": {name: self.weights.get(name, 0.0) for name in FACTORS}, "count": self.count,
                "ratio": self.ratio, "per_task": self.per_task, "recuse_own_street": self.recuse_own_street}

    @classmethod
    def from_json(cls, data: dict) -> Parameters:
        return cls(weights=dict(data["weights"]), count=data["count"], ratio=data["ratio"],
                   per_task=data["per_task"], recuse_own_street=data["recuse_own_street"])

    def how_many(self, candidates: int) -> int:
        if self.count is not None:
            return min(self.count, candidates)
        # ceil, computed on integers so that 0.3 × 10 is 3 and not 4 on any machine
        return min(candidates, -(-round(self.ratio * 1_000_000) * candidates // 1_000_000))


@dataclass(frozen=True)
class Pairing:
    inspectors: tuple[tuple[str, str], ...]  # (inspector id, home street or ""), sorted
    recused: frozenset[tuple[str, str]]  # (inspector id, tenant id)

    def as_json(self) -> dict:
        return {"inspectors": [list(i) for i in self.inspectors], "recused": sorted(list(p) for p in self.recused)}

    @classmethod
    def from_json(cls, data: dict) -> Pairing:
        return cls(inspectors=tuple((i, s) for i, s in data["inspectors"]),
                   recused=frozenset((i, t) for i, t in data["recused"]))


@dataclass(frozen=True)
class Drawn:
    tenant_id: str
    park_id: str
    inspector_ids: tuple[str, ...]


def validate_weights(weights: Mapping[str, object]) -> dict[str, float]:
    """Known factors, finite, 0..MAX_WEIGHT; raises DrawError naming the first bad one."""
    checked = dict(DEFAULT_WEIGHTS)
    for name, value in weights.items():
        if name not in FACTORS:
            raise DrawError("plans.bad_factor", name=name, factors=", ".join(FACTORS))
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or not 0 <= value <= MAX_WEIGHT:
            raise DrawError("plans.bad_weight", name=name, value=value, max=MAX_WEIGHT)
        checked[name] = float(value)
    return checked


def canonical_register(candidates: Iterable[Candidate]) -> bytes:
    """The register as compact JSON, tenants sorted by id: the bytes the draw's sha256 is of."""
    rows = sorted([c.tenant_id, c.park_id, c.street, *c.factors] for c in candidates)
    document = {"version": REGISTER_VERSION, "factors": list(FACTORS), "tenants": rows}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_register(data: bytes) -> list[Candidate]:
    document = json.loads(data.decode("utf-8"))
    if document.get("version") != REGISTER_VERSION or document.get("factors") != list(FACTORS):
        raise DrawError("plans.register_unknown")
    width = len(FACTORS)
    return [Candidate(row[0], row[1], row[2], tuple(row[3:3 + width])) for row in document["tenants"]]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


SEPARATOR = "\u241f"  # ␟ between the parts hashed


def _hasher(*parts: str):
    """sha256 fed with the parts, each followed by ␟: copied and completed per tenant or inspector."""
    return hashlib.sha256("".join(part + SEPARATOR for part in parts).encode("utf-8"))


def _number(base, last: str) -> int:
    """The first 8 bytes of sha256(parts ␟ last) as an integer."""
    h = base.copy()
    h.update(last.encode("utf-8"))
    return int.from_bytes(h.digest()[:8], "big")


def uniform(seed: str, tenant_id: str) -> float:
    """A tenant's number in (0, 1) from sha256(seed ␟ tenant id) (never 0: ln is defined)."""
    return (_number(_hasher(seed), tenant_id) + 0.5) / 18446744073709551616.0


def select(candidates: Sequence[Candidate], parameters: Parameters, seed: str) -> list[Candidate]:
    """The drawn tenants, in draw order (greatest key first)."""
    n = parameters.how_many(len(candidates))
    base = _hasher(seed)
    vector = tuple(parameters.weights.get(name, 0.0) for name in FACTORS)
    scale = 18446744073709551616.0
    keyed = ((math.log((_number(base, c.tenant_id) + 0.5) / scale) / _weight(c.factors, vector), c.tenant_id, c)
             for c in candidates)
    # Greatest key first; among equal keys the smaller tenant id (negated order via the tuple below).
    best = heapq.nsmallest(n, keyed, key=lambda k: (-k[0], k[1]))
    return [c for _, _, c in best]


def pair(drawn: Sequence[Candidate], pairing: Pairing, parameters: Parameters, seed: str) -> list[Drawn]:
    """Inspectors for each drawn tenant: balanced load, never a recused pair.

    Among inspectors of equal load the order is random per task: each inspector has a number
    sha256(seed ␟ inspector), each task a mask sha256(seed ␟ tenant ␟ "pair"); the order is by
    number XOR mask — one hash per task instead of one per inspector and task."""
    ids = [inspector_id for inspector_id, _ in pairing.inspectors]
    load = dict.fromkeys(ids, 0)
    seeded = _hasher(seed)
    numbers = {inspector_id: _number(seeded, inspector_id) for inspector_id in ids}
    recused_by: dict[str, set[str]] = {}
    for inspector_id, tenant_id in pairing.recused:
        recused_by.setdefault(tenant_id, set()).add(inspector_id)
    by_street: dict[str, set[str]] = {}
    for inspector_id, street in pairing.inspectors:
        if street and parameters.recuse_own_street:
            by_street.setdefault(street, set()).add(inspector_id)
    result = []
    for c in drawn:
        excluded = recused_by.get(c.tenant_id, set()) | by_street.get(c.street, set())
        eligible = [i for i in ids if i not in excluded] if excluded else ids
        if len(eligible) < parameters.per_task:
            raise DrawError("plans.too_few_inspectors", tenant=c.tenant_id, eligible=len(eligible),
                            needed=parameters.per_task)
        mask = _number(_hasher(seed, c.tenant_id), "pair")
        chosen = tuple(heapq.nsmallest(parameters.per_task, eligible, key=lambda i: (load[i], numbers[i] ^ mask, i)))
        for i in chosen:
            load[i] += 1
        result.append(Drawn(c.tenant_id, c.park_id, chosen))
    return result


def run_draw(register: bytes, parameters: Parameters, pairing: Pairing, seed: str) -> list[Drawn]:
    """The whole draw from its kept inputs: what `plan draw` does and `plan verify` repeats."""
    if not seed:
        raise DrawError("plans.seed_missing")
    if parameters.per_task < MIN_PER_TASK:
        raise DrawError("plans.per_task_too_small", minimum=MIN_PER_TASK)
    return pair(select(parse_register(register), parameters, seed), pairing, parameters, seed)


def result_json(drawn: Sequence[Drawn]) -> str:
    return json.dumps([[d.tenant_id, list(d.inspector_ids)] for d in drawn], separators=(",", ":"))
