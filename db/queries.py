"""Read queries for the ledger screens and exports. Each takes a Session and returns plain rows.

(The park list's figures are in db/overview.py, in plain SQL, because start-up reads them.)
Written for 300 parks x 100 tenants: ledger pages by LIMIT/OFFSET
over an indexed ORDER BY, search in one key per tenant (db/search_key.py).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import String, and_, bindparam, case, cast, column, func, literal_column, text
from sqlmodel import Session, select

from db import search_key
from db.hazard_rules import OPEN_HAZARD_STATUSES, overdue_sql
from db.models import Hazard, Park, RectificationItem, Tenant, TenantSearch
from db.tenant_rules import IN_PARK
from forms import china_time


@dataclass(frozen=True)
class LedgerRow:
    id: str
    park_code: str
    name: str
    credit_code: str
    contact_name: str | None
    contact_phone: str | None
    location: str
    rented_area_m2: float
    headcount: int
    scale: str
    lease_use: str
    risk_points: list[str]
    status: str
    open_hazards: int
    overdue_hazards: int
    last_inspected: date | None = None  # China date of its last finished inspection (db/lookback.py)
    unfinished: bool = False  # an inspection of it was started and not finished


# Sort keys per ledger column; the tenant id ends every ORDER BY so paging is stable.
SORTABLE = {
    "name": (Tenant.name,),
    "location": (Tenant.building, Tenant.unit_no),
    "rented_area_m2": (Tenant.rented_area_m2,),
    "headcount": (Tenant.headcount,),
    "scale": (Tenant.scale,),
    "lease_use": (Tenant.lease_use,),
    "credit_code": (Tenant.credit_code,),
}


@dataclass(frozen=True)
class LedgerQuery:
    park_id: str | None = None  # None = every park
    search: str = ""
    risk_point: str | None = None
    scale: str | None = None
    include_left: bool = False
    sort: str = "name"
    descending: bool = False
    limit: int = 200
    offset: int = 0
    today: date = field(default_factory=china_time.today)  # overdue is judged by the China date


def overdue_clause(today: date, *, negated: bool = False):
    """db/hazard_rules.py's overdue rule as an ORM condition on the (unaliased) hazard and
    rectification_item tables, which the statement joins; `negated`: not overdue (SQLAlchemy
    cannot negate a text clause itself)."""
    fragment = overdue_sql(Hazard.__tablename__, RectificationItem.__tablename__, ":today")
    # unique: a statement may hold the clause more than once.
    return text(f"NOT {fragment}" if negated else fragment).bindparams(
        bindparam("today", today.isoformat(), unique=True))


def current_tenant_clause():
    """db/tenant_rules.py's current tenant as an ORM condition on the (unaliased) tenant table.

    "deleted IS NOT 1" rather than "deleted = 0" (the same rows: the column is NOT NULL): with
    "= 0" SQLite walks the whole table through the partial index ix_tenant_park_credit_code
    (WHERE deleted = 0), one row lookup per tenant, about 1.5x slower than a plain scan for a
    search over every park (30,000 tenants: 18 ms against 12 ms per scan); a park's ledger still
    goes through ix_tenant_park_name."""
    return and_(Tenant.deleted.is_not(True), Tenant.status == IN_PARK)


def _hazard_counts(today: date, tenant_ids: list[str] | None = None):
    """Per (park, tenant): unclosed hazards, and the overdue ones (db/hazard_rules.py).

    The overdue test is a correlated EXISTS (one lookup in ix_rectification_item_hazard_id per
    open hazard): a join to a DISTINCT subquery of overdue items made SQLite scan that subquery
    once per hazard, ~130 ms at 10,000 hazards, paid by every ledger page and the park list.
    `tenant_ids` restricts it to the tenants of one ledger page.
    """
    overdue_item = (
        select(RectificationItem.id)
        .where(RectificationItem.hazard_id == Hazard.id, overdue_clause(today))
        .exists()
    )
    # For a page of tenants, through ix_hazard_tenant_id: with a plain status test SQLite picks
    # ix_hazard_status, i.e. every unclosed hazard of the county for 100 tenants (3 ms at 20,000
    # hazards, 36 ms at 200,000). `status || ''` keeps the test and leaves the index out.
    status = Hazard.status if tenant_ids is None else Hazard.status + ""
    unclosed = status.in_(OPEN_HAZARD_STATUSES)
    statement = (
        select(
            Hazard.park_id,
            Hazard.tenant_id,
            func.count().label("open_hazards"),
            # One awaiting re-inspection or escalated is counted as unclosed but not as overdue:
            # the overdue rule asks for an open item.
            func.count(case((overdue_item, 1))).label("overdue_hazards"),
        )
        .where(Hazard.deleted == False, unclosed)  # noqa: E712
        .group_by(Hazard.park_id, Hazard.tenant_id)
    )
    if tenant_ids is not None:
        statement = statement.where(Hazard.tenant_id.in_(tenant_ids))
    return statement


# A search of every park counts its matches exactly up to this many; past it the count is an
# estimate ("about 12,000"): counting 290,000 matches of "1" in a province-sized file is what made
# a keystroke slow, and nobody reads on to the 5,001st row.
EXACT_COUNT_LIMIT = 5_000
ESTIMATE_SAMPLE = 2_000  # tenant rows drawn at random for the estimate (3 ms at 30,000 tenants; 14 ms at 300,000)
# When the search's index finds at most WALK_SET_LIMIT keys, the estimate draws from those keys
# instead (`_estimate_from_keys`): the keys found, times the share of KEY_SAMPLE of them whose
# tenants match. At 300,000 tenants, 精's 10,000 keys: 4 ms instead of 10, and closer (2,000 rows
# of a county where 3 % match hold some 70 matches: ±12 %; of 500 keys some 97 % match: ±1 %).
KEY_SAMPLE = 500
# Past EXACT_COUNT_LIMIT, a search whose index finds few keys for the county's size walks every
# park's tenants in name order testing each one's id against the set of its matching tenants
# rather than reading its key: with few matches the walk is long (at 300,000 tenants, 6,000
# matches: about 5,000 tenants before a page of 100), and a key read per tenant made it 35-55 ms.
# The set costs about 1.5-2 µs a key the index finds (N), the walk about 7 µs a tenant passed
# (100 × tenants / N for a page): the set is taken while N² ≤ WALK_SET_FACTOR × tenants (at
# 300,000 tenants up to ~11,000 keys; at 30,000 never, the walks being short), and never past
# WALK_SET_LIMIT keys (what the index is asked to count up to).
WALK_SET_LIMIT = 20_000
WALK_SET_FACTOR = 400
TRIGRAM = 3  # the shortest word the trigram index finds (migration 0017)


class LedgerTotal(int):
    """The number of tenants a query matches: exact, or an estimate (`estimated`) past
    EXACT_COUNT_LIMIT. An int, so it counts and compares as one; the screen says "about"."""

    estimated: bool

    def __new__(cls, value: int, *, estimated: bool = False) -> LedgerTotal:
        total = super().__new__(cls, value)
        total.estimated = estimated
        return total


def search_words(search: str) -> list[str]:
    """The words of a search box, each folded (db/search_key.py); empty words dropped."""
    return [folded for folded in map(search_key.fold, search.split()) if folded]


def _ledger_filter(query: LedgerQuery, *, few_matches: IndexMatch | None = None,
                   walk_set: IndexMatch | None = None):
    """The tenants a query asks for. `few_matches`: the index that finds at most EXACT_COUNT_LIMIT
    keys holding the search words (`_sized`), so a search of every park starts from those keys
    (`_matching_tenants`); else each tenant's key is looked up by primary key while its rows are
    walked, or, when `walk_set` is given, its id is looked up in the set of the tenants whose keys
    that index finds and hold the words (`_matching_tenants`, listed once per statement)."""
    # Live tenants, or only the current ones (deleted tested as "IS NOT 1": current_tenant_clause says why).
    conditions = [Tenant.deleted.is_not(True) if query.include_left else current_tenant_clause()]
    if query.park_id:
        conditions.append(Tenant.park_id == query.park_id)
    if query.scale:
        conditions.append(Tenant.scale == query.scale)
    if query.risk_point:
        conditions.append(cast(Tenant.risk_points, String).like(f'%"{query.risk_point}"%'))
    words = search_words(query.search)
    if words:
        if few_matches is not None and not query.park_id:
            conditions.append(Tenant.id.in_(_matching_tenants(few_matches, words)))
        elif walk_set is not None and not query.park_id:
            # First, so a tenant's row is read only when it matches. "+": not an index to look the
            # set's tenants up by (that is few_matches' plan), a test while the name order is walked.
            conditions.insert(0, literal_column("+tenant.id").in_(_matching_tenants(walk_set, words)))
        else:
            conditions.append(_key_condition(words))
    return and_(*conditions)


def _key_condition(words: list[str]):
    """Every word (folded: db/search_key.py) in the tenant's search key, which holds its name,
    contact, credit code, phone, the name's pinyin (whole and initials: "jiamei", "jm") and its
    building and unit ("2号楼", "3f301" for "3F-301" or "３Ｆ－３０１").

    The key is looked up by primary key per tenant: a park's ledger (the work stays one park's,
    however many tenants the county has), or every park's when most tenants match (the rows are
    walked in ledger order and the first page is found after a few hundred). instr() on one
    short folded string: no pattern to parse, no case folding, nothing to escape.
    """
    key = select(TenantSearch.key).where(TenantSearch.tenant_id == Tenant.id).scalar_subquery()
    return and_(*(func.instr(key, word) > 0 for word in words))


def fts_query(word: str) -> str:
    """An FTS5 query finding the keys that hold every trigram of `word` (three characters or more).

    The index keeps no positions (detail='none', migration 0017), so the trigrams are asked for
    together rather than as a phrase, and the keys found are checked with instr() (`_matching_keys_sql`).
    """
    trigrams = dict.fromkeys(word[i:i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1))
    return " AND ".join('"' + trigram.replace('"', '""') + '"' for trigram in trigrams)


@dataclass(frozen=True)
class IndexMatch:
    """An FTS5 index and the query that finds in it the keys holding some search words."""

    table: str
    match: str
    exact: bool  # the keys it finds are exactly those holding every word of the search


def index_matches(words: list[str]) -> list[IndexMatch]:
    """Where each kind of word is found: words of three characters or more in the trigram index
    (tenant_fts, migration 0017), all of them in one query; shorter ones in the index of one- and
    two-character pieces (tenant_grams, migration 0020), where a word is one token. Exact when one
    index holds every word and each is one token of it (a longer word's trigrams may be found
    apart: such keys are checked with instr())."""
    long = [word for word in words if len(word) >= TRIGRAM]
    short = [word for word in words if len(word) < TRIGRAM]
    found = []
    if long:
        found.append(IndexMatch("tenant_fts", " AND ".join(fts_query(word) for word in long),
                                not short and all(len(word) == TRIGRAM for word in long)))
    if short:
        found.append(IndexMatch("tenant_grams", " AND ".join('"' + search_key.gram_token(word) + '"' for word in short),
                                not long))
    return found


def _matching_keys_sql(index: IndexMatch, words: list[str]) -> str:
    """The keys `index` finds that hold every word (instr()), with their tenants' ids. CROSS JOIN:
    SQLite keeps the left table outer, so the index's rowids drive the lookups of the keys."""
    checks = " AND ".join(f"instr(s.key, :w{i}) > 0" for i in range(len(words)))
    return (f"SELECT s.tenant_id FROM {index.table} CROSS JOIN tenant_search AS s ON s.id = {index.table}.rowid "
            f"WHERE {index.table} MATCH :match AND {checks}")


def _matching_tenants(index: IndexMatch, words: list[str]):
    """The ids of the tenants (left and deleted ones included) whose key holds every word."""
    params = [bindparam("match", index.match, unique=True)]
    params += [bindparam(f"w{i}", word, unique=True) for i, word in enumerate(words)]
    return text(_matching_keys_sql(index, words)).bindparams(*params).columns(column("tenant_id"))


@dataclass(frozen=True)
class Sized:
    """How a search of every park finds its tenants (`_sized`): at most one of the first two is set."""

    few_matches: IndexMatch | None = None  # at most EXACT_COUNT_LIMIT keys: listed from this index
    walk_set: IndexMatch | None = None  # more, but few for the county: its matching tenants as a set
    # The index finding the fewest keys when it finds at most WALK_SET_LIMIT: the estimate's sample.
    candidates: IndexMatch | None = None


def _sized(session: Session, query: LedgerQuery) -> Sized:
    """For a search of every park, the index to list its matches from when at most EXACT_COUNT_LIMIT
    keys hold its words, else the index to test the walked tenants against when it finds at most
    WALK_SET_LIMIT keys and few for the county's size (neither: no search of every park, or a
    word many keys hold).

    Each index is asked how many keys it finds, up to WALK_SET_LIMIT, from the index alone (no key
    read: about a millisecond whatever the words). When each finds more than EXACT_COUNT_LIMIT and
    its answer is not exact (words of both kinds, or a word longer than a trigram), the keys the
    smaller finds are checked with instr() up to that limit: the words together may still be few."""
    words = search_words(query.search)
    if not words or query.park_id:
        return Sized()
    connection = session.connection()
    sized = []
    for index in index_matches(words):
        found = connection.execute(text(
            f"SELECT count(*) FROM (SELECT rowid FROM {index.table} WHERE {index.table} MATCH :match LIMIT :limit)"),
            {"match": index.match, "limit": max(EXACT_COUNT_LIMIT, WALK_SET_LIMIT) + 1}).scalar_one()
        sized.append((found, index))
    found, index = min(sized, key=lambda pair: pair[0])
    if found <= EXACT_COUNT_LIMIT:
        return Sized(few_matches=index)
    candidates = index if found <= WALK_SET_LIMIT else None
    walk_set = candidates if found * found <= WALK_SET_FACTOR * _top_rowid(session) else None
    if index.exact:
        return Sized(walk_set=walk_set, candidates=candidates)
    params = {"match": index.match, "limit": EXACT_COUNT_LIMIT + 1} | {f"w{i}": word for i, word in enumerate(words)}
    found = connection.execute(text(f"SELECT count(*) FROM ({_matching_keys_sql(index, words)} LIMIT :limit)"),
                               params).scalar_one()
    if found <= EXACT_COUNT_LIMIT:
        return Sized(few_matches=index)
    return Sized(walk_set=walk_set, candidates=candidates)


def count_ledger(session: Session, query: LedgerQuery, sized: Sized) -> LedgerTotal:
    """Exact up to EXACT_COUNT_LIMIT; past it an estimate from a sample drawn at random (seeded by
    the query, so the figure does not jump when the list is read again), rounded to two
    significant figures and, unless a scale or a risk point narrows the search, never below the
    limit. `sized`: how the search was sized (`_sized`)."""
    where = _ledger_filter(query, few_matches=sized.few_matches)
    if sized.few_matches is not None or query.park_id or not search_words(query.search):
        capped = select(Tenant.id).where(where).limit(EXACT_COUNT_LIMIT + 1).subquery()
        exact = session.exec(select(func.count()).select_from(capped)).one()
        if exact <= EXACT_COUNT_LIMIT:
            return LedgerTotal(exact)
    # else the index finds more keys than the limit (`_sized`): counting the tenants among them up
    # to the limit would read a key per tenant until then.
    draw = _draw(query)
    if sized.candidates is not None:
        # An exact index's keys each hold every word: their tenants are tested for the rest alone.
        rest = _ledger_filter(replace(query, search="")) if sized.candidates.exact else where
        estimate = _estimate_from_keys(session, sized.candidates, rest, draw)
    else:
        estimate = _estimate_from_tenants(session, where, draw)
    # Past the limit by the words alone, the figure is never below it; a scale or a risk point
    # filters the words' matches further, and nothing says how many of them pass.
    floor = 0 if query.scale or query.risk_point else EXACT_COUNT_LIMIT
    return LedgerTotal(max(_two_figures(estimate), floor), estimated=True)


def _draw(query: LedgerQuery) -> random.Random:
    """The estimate's draws, seeded by the query: the figure does not jump when the list is read again."""
    return random.Random(repr((query.park_id, query.search, query.scale, query.risk_point, query.include_left)))


def _drawn_keys(connection, index: IndexMatch, draw: random.Random) -> tuple[int, list[int]]:
    """(how many keys `index` finds, the rowids of KEY_SAMPLE of them drawn)."""
    # As one JSON array: a row per key cost Python more than SQLite's reading of them.
    keys = json.loads(connection.execute(
        text(f"SELECT json_group_array(rowid) FROM {index.table} WHERE {index.table} MATCH :match"),
        {"match": index.match}).scalar_one())
    return len(keys), draw.sample(keys, min(KEY_SAMPLE, len(keys)))


def _drawn(sample: list[int]):
    # The sample as one JSON parameter: 2,000 bound values cost the ORM some 5 ms to compile a keystroke.
    return text("SELECT value FROM json_each(:sample)").bindparams(sample=json.dumps(sample)).columns(column("value"))


def _spread(draw: random.Random, top: int) -> list[int]:
    """ESTIMATE_SAMPLE rowids of 1..top, evenly spaced from a start drawn at random: a sample of
    the whole table as good as one drawn row by row (each stretch of rows, a park's added
    together, holds its share), without 2,000 draws (random.sample: 3 ms at 300,000 rows)."""
    count = min(ESTIMATE_SAMPLE, top)
    if not count:
        return []
    step = top / count
    start = draw.random() * step
    return [1 + int(start + i * step) for i in range(count)]


def _estimate_from_tenants(session: Session, where, draw: random.Random) -> float:
    """The county's size times the share of ESTIMATE_SAMPLE tenant rows (`_spread`) that match."""
    top = _top_rowid(session)
    sample = _spread(draw, top)
    hits = session.exec(select(func.count()).select_from(Tenant).where(
        where, literal_column("tenant.rowid").in_(_drawn(sample)))).one()
    return hits * top / len(sample)


def _estimate_from_keys(session: Session, index: IndexMatch, where, draw: random.Random) -> float:
    """The keys `index` finds times the share of KEY_SAMPLE of them (drawn) whose tenants match
    `where` (current tenants, scale, risk point; and the words, where the index may find keys
    that do not hold them)."""
    found, sample = _drawn_keys(session.connection(), index, draw)
    if not found:
        return 0
    drawn_tenants = select(TenantSearch.tenant_id).where(TenantSearch.id.in_(_drawn(sample)))
    hits = session.exec(select(func.count()).select_from(Tenant).where(Tenant.id.in_(drawn_tenants), where)).one()
    return hits * found / len(sample)


def _keys_answer(query: LedgerQuery) -> bool:
    """Whether the search keys' rows answer the query alone: a search of every park in name order
    with no scale or risk point to test (migration 0024 keeps each tenant's name, deleted flag and
    status beside its key). The search box's every keystroke, by default."""
    return (bool(search_words(query.search)) and not query.park_id and not query.scale and not query.risk_point
            and SORTABLE.get(query.sort, SORTABLE["name"]) is SORTABLE["name"])


def _page_from_keys(session: Session, query: LedgerQuery, sized: Sized) -> tuple[list[str], LedgerTotal]:
    """The ids of the page's tenants and the count, from `tenant_search` alone (`_keys_answer`).

    A match's row is read once, by the rowid its index gives: few matches (`sized.few_matches`)
    are listed and sorted whole (the count is their number). More are found by walking
    `ix_tenant_search_order` in name order (`keys_walk_sql`); past the last page the count is an
    estimate."""
    words = search_words(query.search)
    connection = session.connection()
    params = {"in_park": IN_PARK} | {f"w{i}": word for i, word in enumerate(words)}
    if sized.few_matches is not None:
        ordered = connection.execute(text(keys_listed_sql(query, sized.few_matches)),
                                     params | {"match": sized.few_matches.match}).scalars().all()
        return ordered[query.offset:query.offset + query.limit], LedgerTotal(len(ordered))
    if sized.walk_set is not None:
        params["match"] = sized.walk_set.match
    page = connection.execute(text(keys_walk_sql(query, sized.walk_set)),
                              params | {"limit": query.limit, "offset": query.offset}).scalars().all()
    if len(page) < query.limit:  # the last page: the count is known without a second scan
        return page, LedgerTotal(query.offset + len(page))
    draw = _draw(query)
    index = sized.candidates
    if index is not None:
        size, sample = _drawn_keys(connection, index, draw)
    else:
        size = connection.execute(text("SELECT max(id) FROM tenant_search")).scalar_one() or 0
        sample = _spread(draw, size)
    hits = connection.execute(text(
        "SELECT count(*) FROM tenant_search AS s WHERE s.id IN (SELECT value FROM json_each(:sample))"
        f"{_key_tests(query, words, index)}"), params | {"sample": json.dumps(sample)}).scalar_one()
    estimate = hits * size / len(sample) if sample else 0
    # Past the limit by the words alone: never below it (no scale or risk point narrows them here).
    return page, LedgerTotal(max(_two_figures(estimate), EXACT_COUNT_LIMIT), estimated=True)


def keys_listed_sql(query: LedgerQuery, index: IndexMatch) -> str:
    """Every tenant the query matches among the keys `index` finds, in ledger order: each key's
    row read once by the rowid the index gives (CROSS JOIN: SQLite keeps the index outer). All
    of them, not a page and a count: a window count over them cost more than bringing them in."""
    return (f"SELECT s.tenant_id FROM {index.table} CROSS JOIN tenant_search AS s ON s.id = {index.table}.rowid "
            f"WHERE {index.table} MATCH :match{_key_tests(query, search_words(query.search), index)} {_key_order(query)}")


def keys_walk_sql(query: LedgerQuery, walk_set: IndexMatch | None) -> str:
    """A page of the tenants the query matches, `ix_tenant_search_order` walked in name order:
    each entry's rowid tested against the rowids `walk_set` finds (no key read unless it is in
    the set and the index is not exact), or, without one (most keys match), its key read and
    tested with instr()."""
    words = search_words(query.search)
    found = "1"
    if walk_set is not None:
        # "+": a test while the name order is walked, not rowids to look the keys up by.
        found = f"+s.id IN (SELECT rowid FROM {walk_set.table} WHERE {walk_set.table} MATCH :match)"
    return (f"SELECT s.tenant_id FROM tenant_search AS s INDEXED BY ix_tenant_search_order "
            f"WHERE {found}{_key_tests(query, words, walk_set)} {_key_order(query)} LIMIT :limit OFFSET :offset")


def _key_order(query: LedgerQuery) -> str:
    """The ledger's name order (`_order_by`) on the copies in `tenant_search`."""
    return f"ORDER BY s.name{' DESC' if query.descending else ''}, s.tenant_id"


def _key_tests(query: LedgerQuery, words: list[str], index: IndexMatch | None) -> str:
    """The conditions on a `tenant_search` row "s" (parameters :in_park, :w0...): its tenant live,
    or current unless `query.include_left`; and every word in its key, unless `index` found it
    and is exact."""
    tests = " AND s.deleted IS NOT 1" + ("" if query.include_left else " AND s.status = :in_park")
    if index is None or not index.exact:
        tests += "".join(f" AND instr(s.key, :w{i}) > 0" for i in range(len(words)))
    return tests


def _top_rowid(session: Session) -> int:
    """The tenant table's largest rowid (the end of its b-tree: no scan), the county's size as
    the estimate and the choice of walk read it."""
    return session.connection().execute(text("SELECT max(rowid) FROM tenant")).scalar_one() or 0


def _two_figures(value: float) -> int:
    """12,345 -> 12,000; 987 -> 990: an estimate is not read to the last digit."""
    if value < 100:
        return round(value)
    magnitude = 10 ** (len(str(int(value))) - 2)
    return int(round(value / magnitude) * magnitude)


# The columns a ledger row shows: selected as plain values, not as Tenant objects (building 100
# ORM objects per page cost about as much as the query).
_LEDGER_COLUMNS = (
    Tenant.id, Tenant.park_id, Park.code, Tenant.name, Tenant.credit_code, Tenant.contact_name,
    Tenant.contact_phone, Tenant.building, Tenant.unit_no, Tenant.rented_area_m2, Tenant.headcount,
    Tenant.scale, Tenant.lease_use, Tenant.risk_points, Tenant.status,
)


def ledger_page(session: Session, query: LedgerQuery) -> tuple[list[LedgerRow], LedgerTotal]:
    """One page and the number of rows the query matches (LedgerTotal: exact, or an estimate past
    EXACT_COUNT_LIMIT). A search of every park in name order with no scale or risk point is
    answered from the search keys' rows (`_page_from_keys`); otherwise one whose index finds few
    keys reads their tenants once, in ledger order, for both: the count is the list's length, the
    page a slice of it."""
    sized = _sized(session, query)
    if _keys_answer(query):
        page, total = _page_from_keys(session, query, sized)
        return _rows_of(session, query, page), total
    if sized.few_matches is not None:
        ordered = session.exec(select(Tenant.id).where(_ledger_filter(query, few_matches=sized.few_matches)).order_by(
            *_order_by(query))).all()
        return _rows_of(session, query, ordered[query.offset:query.offset + query.limit]), LedgerTotal(len(ordered))
    where = _ledger_filter(query, walk_set=sized.walk_set)
    rows = _with_hazard_counts(session, query, _rows_statement(query, where).limit(query.limit).offset(query.offset))
    if len(rows) < query.limit:  # the last page: the count is known without a second scan
        return rows, LedgerTotal(query.offset + len(rows))
    return rows, count_ledger(session, query, sized)


def _rows_of(session: Session, query: LedgerQuery, tenant_ids: list[str]) -> list[LedgerRow]:
    """The rows of these tenants (a page found already), in ledger order."""
    return _with_hazard_counts(session, query, _rows_statement(query, Tenant.id.in_(tenant_ids))) if tenant_ids else []


def _order_by(query: LedgerQuery) -> list:
    columns = SORTABLE.get(query.sort, SORTABLE["name"])
    return [c.desc() if query.descending else c.asc() for c in columns] + [Tenant.id]


def _rows_statement(query: LedgerQuery, where):
    return select(*_LEDGER_COLUMNS).join(Park, Park.id == Tenant.park_id).where(where).order_by(*_order_by(query))


def _with_hazard_counts(session: Session, query: LedgerQuery, statement) -> list[LedgerRow]:
    # Plain columns, no ORM objects: run on the session's connection (the ORM's own execution
    # path cost about 1.5 ms a statement, a tenth of a keystroke's read at 300,000 tenants).
    connection = session.connection()
    page = connection.execute(statement).all()
    counts = {}
    if page:
        hz = _hazard_counts(query.today, [row.id for row in page])
        counts = {(park_id, tenant_id): (open_, overdue) for park_id, tenant_id, open_, overdue in connection.execute(hz)}
    return [_ledger_row(r, *counts.get((r.park_id, r.id), (0, 0))) for r in page]


def _ledger_row(r, open_hazards: int, overdue_hazards: int) -> LedgerRow:
    return LedgerRow(
        id=r.id, park_code=r.code, name=r.name, credit_code=r.credit_code, contact_name=r.contact_name,
        contact_phone=r.contact_phone, location=" ".join(p for p in (r.building, r.unit_no) if p),
        rented_area_m2=r.rented_area_m2, headcount=r.headcount, scale=r.scale, lease_use=r.lease_use,
        risk_points=list(r.risk_points or []), status=r.status, open_hazards=open_hazards,
        overdue_hazards=overdue_hazards,
    )


def tenants_for_export(session: Session, park_id: str | None) -> list[tuple[Tenant, str]]:
    """Every live tenant (in park and left) with its park code, in ledger order."""
    statement = (
        select(Tenant, Park.code)
        .join(Park, Park.id == Tenant.park_id)
        .where(Tenant.deleted == False)  # noqa: E712
        .order_by(Park.code, Tenant.building, Tenant.unit_no, Tenant.name)
    )
    if park_id:
        statement = statement.where(Tenant.park_id == park_id)
    return list(session.exec(statement).all())


def find_park(session: Session, code: str) -> Park | None:
    return session.exec(select(Park).where(Park.code == code.strip().upper(), Park.deleted == False)).first()  # noqa: E712


def tenant_with_credit_code(session: Session, park_id: str, credit_code: str, *, except_id: str | None = None) -> Tenant | None:
    statement = select(Tenant).where(Tenant.park_id == park_id, Tenant.credit_code == credit_code,
                                     Tenant.deleted == False)  # noqa: E712
    if except_id:
        statement = statement.where(Tenant.id != except_id)
    return session.exec(statement).first()


