"""records.view: a record laid out for `records show` and `render`: headings, escaping, the printed page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sharewise.records.view import RecordView, render_markdown
from tests.helpers import make_record


def test_markdown_escapes_a_digest_that_is_not_one() -> None:
    record = make_record()
    record["integrity"] = {"digest": "`\n# Approved\n<script>x</script>[link](http://x)"}
    md = render_markdown(RecordView.of(record, ["digest does not match"]))
    line = next(line for line in md.splitlines() if line.startswith("**SHA-256 digest:**"))
    assert "\\`" in line and "`" not in line.replace("\\`", "")  # escaped, so no code span opens
    assert "\\# Approved" in md and "\\<script\\>" in md and "\\[link\\](http" in md  # literal text
    real = make_record()
    real["integrity"] = {"digest": "ab" * 32}
    assert f"**SHA-256 digest:** `{'ab' * 32}`" in render_markdown(RecordView.of(real))


def test_a_refusal_or_advice_record_never_calls_a_recipient_shared_with() -> None:
    """Records made before issue 11 kept the requester of a refusal under `recipient`."""
    from sharewise.records.view import RecordView, render_markdown

    for decision, heading in (
        ("do-not-share", "The request, and why it was not shared"),
        ("seek-advice", "The request, and the advice needed first"),
    ):
        record = {
            "outcome": {"decision": decision, "title": "T", "summary": "S", "actions": []},
            "details": {"recipient": "A caller from the housing office", "reasons": "No purpose was given."},
        }
        view = RecordView.of(record)
        assert view.sharing_title == heading
        assert ("Named as recipient (nothing was shared)", "A caller from the housing office") in view.sharing
        assert "Shared with" not in render_markdown(view)
    share = RecordView.of({"outcome": {"decision": "share"}, "details": {"recipient": "Sam", "requester": "Sam"}})
    assert share.sharing_title == "What was shared, with whom"
    assert share.sharing == [("Requested by", "Sam"), ("Shared with", "Sam")]


# -- the printed record: every page says whose record it is and where it stands --------------------


def test_printed_pages_carry_the_case_record_id_and_page_numbers() -> None:
    from sharewise.records.view import RecordView, css_string, render_html

    record = make_record(case_ref='REQ-"9" </style> x')
    page = render_html(RecordView.of(record))
    running = page.split("@top-left {", 1)[1].split("}", 1)[0]
    assert css_string(f'Case REQ-"9" </style> x · record {record["id"]}') in running
    assert "</style>" not in running and '"9"' not in running  # escaped: it cannot end the rule or the element
    assert '@bottom-right { content: "Page " counter(page) " of " counter(pages);' in page
    assert css_string('a"b\\c') == '"a\\22 b\\5c c"'
    # Sign-off, integrity and the trees used print together: the integrity block is never alone.
    closing = page.split('<div class="closing">', 1)[1]
    assert closing.index("<h2>Sign-off</h2>") < closing.index("<h2>Integrity</h2>") < closing.index("</div>")
    assert (
        ".closing { break-inside: avoid-page; }" in page or ".warning, .closing { break-inside: avoid-page; }" in page
    )


_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_CHROMIUM is None or shutil.which("pdftotext") is None, reason="needs Chromium and pdftotext")
@pytest.mark.timeout(120)
def test_the_record_prints_to_pdf_with_a_running_head_and_page_numbers(tmp_path: Path) -> None:
    from sharewise.records.view import RecordView, render_html
    from tests.helpers import EMERGENCY_SHARE

    answers = dict(EMERGENCY_SHARE, **{"what-shared": EMERGENCY_SHARE["what-shared"] + "\nmore detail" * 17})
    record = make_record(answers, case_ref="CASE-PDF")
    html_file = tmp_path / "record.html"
    html_file.write_text(render_html(RecordView.of(record)), encoding="utf-8")
    pdf = tmp_path / "record.pdf"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer"]  # fmt: skip
    subprocess.run([str(_CHROMIUM), *flags, f"--print-to-pdf={pdf}", html_file.as_uri()], capture_output=True,
                   timeout=90, check=True)  # fmt: skip
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for number, content in enumerate(pages, start=1):
        assert f"Case CASE-PDF · record {record['id']}" in content
        assert f"Page {number} of {len(pages)}" in content
    [integrity_page] = [p for p in pages if "Integrity" in p]
    assert "Sign-off" in integrity_page
