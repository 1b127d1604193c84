"""The keystroke budget: from the ledger, a 3-hazard inspection with a photo to an issued notice.

Driven with real key presses at 80×24 on a small demo database, as an inspector at the door does
it: `i` on the tenant, Enter in the start dialog, `]` (next category) and arrows to each failing item, `f` and the note,
a photo (`a` opens the picker on the phone's folder used before, Enter takes the newest), `P` `y` for the rest, Ctrl+F, Enter for the 五落实, the fields each hazard
still lacks (Tab between them, Ctrl+N after each), then Ctrl+S on the notice and `e` for its PDF.
Every key that is not part of typed text is counted; the sequence is printed (`pytest -s`).
Typed text must land in a focused text field (the test checks it).
"""

from __future__ import annotations

from PIL import Image
from sqlmodel import select
from textual.widgets import DataTable, Input

from db.models import AttachmentLink, Hazard, Notice
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from inspect_app.app import make_app
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.rectification import FIVE_FIELDS, RectificationScreen
from inspect_app.services.demo import generate_demo
from inspect_app.services.photo_folder import remember_folder
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY
from tests.pilot import settle
from tests.test_tui_notices import key, keys  # noqa: F401 (fixtures: this device's signing key)

BUDGET = 40
SIZE = (80, 24)
FIRE = builtin_templates()["fire_safety"]
CODES = list(FIRE.codes())
CATEGORY_STARTS = [i for i, item in enumerate(FIRE.items) if i == 0 or item.category() != FIRE.items[i - 1].category()]
FAILURES = {"B02": "二楼疏散通道堆放纸箱", "D01": "仓库电线私拉乱接", "E03": "灭火器压力不足"}
# What the inspector agrees with the tenant, hazard by hazard; the responsible person and phone
# are typed only when the form does not offer them already.
FIVE = [
    {"responsible_person": "王建国", "responsible_phone": "13905731234", "measures": "清理通道，搬离纸箱",
     "funds_yuan": "0", "funds_reason": "自行整改，无需资金", "contingency_plan": "整改期间专人值守，配备灭火器"},
    {"responsible_person": "王建国", "responsible_phone": "13905731234", "measures": "请电工重新布线",
     "funds_yuan": "800", "funds_reason": "", "contingency_plan": "整改期间专人值守，配备灭火器"},
    {"responsible_person": "王建国", "responsible_phone": "13905731234", "measures": "更换灭火器",
     "funds_yuan": "300", "funds_reason": "", "contingency_plan": "整改期间专人值守，配备灭火器"},
]


class Keyboard:
    """Presses keys one at a time, letting the app react after each; counts those not typed as text."""

    def __init__(self, app, pilot):
        self.app, self.pilot = app, pilot
        self.sequence: list[str] = []
        self.count = 0

    async def press(self, *names: str) -> None:
        for name in names:
            self.sequence.append(name)
            self.count += 1
            await self.pilot.press(name)
            await settle(self.app, self.pilot)

    async def type(self, text: str) -> None:
        """Typed text, not counted: it goes into the text field that has the focus (inserted whole,
        which keeps the test fast; that typing never fires a binding is tests/test_tui_typing_safety.py's)."""
        self.sequence.append(f"«{text}»")
        field = self.app.screen.focused
        assert isinstance(field, Input), f"typing {text!r} with the focus on {field!r}"
        field.insert_text_at_cursor(text)
        await settle(self.app, self.pilot)


def cursor(walk: InspectionScreen) -> int:
    return walk.query_one("#items", DataTable).cursor_row


async def fill_five(keyboard: Keyboard, form: RectificationScreen, wanted: dict[str, str]) -> None:
    """As a person does: type into the focused field when it lacks its value, Tab on while a
    later field still lacks one, then Ctrl+N."""
    while True:
        focused = form.focused
        name = focused.id.removeprefix("field-") if isinstance(focused, Input) and focused.id else None
        if name in wanted and not focused.value.strip() and wanted[name]:
            await keyboard.type(wanted[name])
        names = list(FIVE_FIELDS)
        after = names[names.index(name) + 1:] if name in names else names
        if any(wanted.get(n) and not form.query_one(f"#field-{n}", Input).value.strip() for n in after):
            await keyboard.press("tab")
            continue
        await keyboard.press("ctrl+n")
        return


async def test_three_hazards_and_a_photo_to_an_issued_notice_within_the_budget(store, key, tmp_path):  # noqa: F811
    generate_demo(store, parks=1, tenants_per_park=3, seed=7, today=TODAY)
    save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    phone = tmp_path / "DCIM"  # the phone's camera folder, used on this laptop before
    phone.mkdir()
    Image.new("RGB", (8, 8), "red").save(phone / "B02.png")
    remember_folder(store, phone)
    folder = tmp_path / "pdf"
    folder.mkdir()

    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the park list to the park's ledger: where the count starts
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        tenant = app.screen.rows[0]
        keyboard = Keyboard(app, pilot)

        await keyboard.press("i")
        if not isinstance(app.screen, InspectionScreen):
            await keyboard.press("enter")  # the start dialog: checklist and inspector as offered
        walk = app.screen
        assert isinstance(walk, InspectionScreen)
        for code, note in FAILURES.items():
            while cursor(walk) < CODES.index(code):  # `]` to the item's category, then arrows
                following = next((i for i in CATEGORY_STARTS if i > cursor(walk)), len(CODES))
                await keyboard.press("right_square_bracket" if following <= CODES.index(code) else "down")
            await keyboard.press("f")
            await keyboard.type(note)
            await keyboard.press("enter")
            if code == "B02":  # the photo of the blocked corridor, on the item just failed:
                # the picker opens on the phone's folder used before, newest first; Enter takes it
                await keyboard.press("up", "a", "enter")
        await keyboard.press("P", "y", "ctrl+f", "enter")  # the rest passes; finish; on to the 五落实

        form = app.screen
        assert isinstance(form, RectificationScreen)
        hazard_ids = list(form.hazard_ids)
        assert len(hazard_ids) == 3
        for wanted in FIVE:
            assert isinstance(app.screen, RectificationScreen)
            await fill_five(keyboard, app.screen, wanted)

        notice = app.screen
        assert isinstance(notice, IssueNoticeScreen), type(notice).__name__
        notice.query_one("#field-folder", Input).value = str(folder)  # where this test's PDF goes
        await keyboard.press("ctrl+s", "e")

    print(f"\n{keyboard.count} keys: " + " ".join(keyboard.sequence))
    with store.read() as session:
        issued = session.exec(select(Notice).where(Notice.kind == "rectification",
                                                   Notice.tenant_id == tenant.id)).one()
        hazards = session.exec(select(Hazard).where(Hazard.id.in_(hazard_ids))).all()
    assert {h.notice_id for h in hazards} == {issued.id}
    assert issued.pdf and list(folder.glob("*.pdf"))
    with store.read() as session:  # the photo from the phone's folder is on the failed item
        linked = session.exec(select(AttachmentLink).where(AttachmentLink.deleted == False)).all()  # noqa: E712
    assert [link.owner_table for link in linked] == ["check_result"]
    assert keyboard.count <= BUDGET, f"{keyboard.count} keys: {' '.join(keyboard.sequence)}"
