"""The manifest and handover receipt documents (issue #12 §6): built from plain dataclasses,
rendered to CSV and PDF, the PDF's text read back with poppler's ``pdftotext``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from accord.movements.documents import (
    CSV_HEADER,
    Assumption,
    HandoverReceipt,
    ManifestDocument,
    ManifestLine,
    When,
    manifest_csv,
    manifest_pdf,
    receipt_pdf,
    shown_problem,
)

UTC = dt.UTC
# Words of the protection and fear screening that no manifest or receipt may ever carry.
FORBIDDEN = re.compile(r"fear|protection|asylum|refoul|persecut|tortur|refugee|miedo|protecci|asilo", re.IGNORECASE)


def line(person_ref: str, name: str, sex: str, nationality: str, clause: str, **extra: object) -> ManifestLine:
    values: dict[str, object] = {
        "person_ref": person_ref,
        "name": name,
        "sex": sex,
        "nationality": nationality,
        "agreement": "pa-co-2025",
        "clause": clause,
        "placement": "return",
        "facility": "",
        "status": "on",
        "status_label": "on the manifest",
    } | extra
    return ManifestLine(**values)  # type: ignore[arg-type]


def document(lines: tuple[ManifestLine, ...], **extra: object) -> ManifestDocument:
    leaves = dt.datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "movement_id": 7,
        "agreement": "pa-co-2025",
        "kind": "charter flight",
        "carrier": "Wingo",
        "flight_number": "P5 7301",
        "origin": "Panamá (PTY)",
        "destination_airport": "Bogotá (BOG)",
        "destination_facility": "",
        "planned_departure": When(leaves, "America/Panama"),
        "planned_arrival": When(leaves + dt.timedelta(hours=2), "America/Bogota"),
        "actual_departure": None,
        "actual_arrival": None,
        "payer": "third state",
        "payer_state": "US",
        "seats": 50,
        "escorts": 15,
        "status": "planned",
        "lines": lines,
        "by_sex": (("M", 2), ("F", 1)),
        "by_nationality": (("CO", 2), ("VE", 1)),
        "problems": ("P-3: no fit-to-travel finding recorded",),
        "assumptions": (Assumption("detainees_per_escort", "3", "No source gives an escort ratio (assumption)."),),
    } | extra
    return ManifestDocument(**values)  # type: ignore[arg-type]


LINES = (
    line("P-1", "GÓMEZ, Ana María", "F", "CO", "pa-co-2025-return-nationals"),
    line("P-2", "PÉREZ, Luis", "M", "CO", "pa-co-2025-return-nationals"),
    line(
        "P-3",
        "ÑÁÑEZ, José",
        "M",
        "VE",
        "pa-co-2025-third-country",
        status="removed",
        status_label="removed",
        removed_on="2026-12-04",
        do_not_receive=True,
    ),
)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed: ./dev test installs it"
    return subprocess.run([tool, str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_manifest_pdf_has_bilingual_headings_each_clause_counts_and_marked_assumptions(tmp_path: Path) -> None:
    text = pdf_text(manifest_pdf(document(LINES)), tmp_path)
    flat = " ".join(text.split())  # table cells may wrap
    for heading in (
        "Manifest / Manifiesto",
        "Agreement / Acuerdo",
        "Clause / Cláusula",
        "Counts / Conteos",
        "By sex / Por sexo",
        "By nationality / Por nacionalidad",
        "Payer / Pagador",
        "Validation problems / Problemas de validación",
        "ASSUMPTIONS / SUPUESTOS",
    ):
        assert heading in flat, heading
    for person, clause in (
        ("P-1", "pa-co-2025-return-nationals"),
        ("P-2", "pa-co-2025-return-nationals"),
        ("P-3", "pa-co-2025-third-country"),
    ):
        assert person in flat
        assert clause in flat, clause
    assert "GÓMEZ, Ana María" in flat and "ÑÁÑEZ, José" in flat  # Spanish letters survive
    assert "M: 2" in flat and "F: 1" in flat and "CO: 2" in flat and "VE: 1" in flat
    assert "detainees_per_escort = 3" in flat
    assert "do not receive" in flat and "2026-12-04" in flat
    assert "America/Panama (UTC-0500)" in flat  # the planned departure in its own zone
    assert "third state (US)" in flat
    assert not FORBIDDEN.search(text)


def test_counts_only_manifest_names_nobody(tmp_path: Path) -> None:
    text = pdf_text(manifest_pdf(document((), people_shown=False)), tmp_path)
    assert "Counts only for this role" in text and "M: 2" in text
    assert "P-1" not in text and "GÓMEZ" not in text and "People / Personas" not in text


def test_manifest_csv_has_a_stable_header_and_one_row_per_person() -> None:
    rows = list(csv.DictReader(io.StringIO(manifest_csv(document(LINES)))))
    assert [r["person_id"] for r in rows] == ["P-1", "P-2", "P-3"]
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[0] == {
        "movement_id": "7",
        "agreement": "pa-co-2025",
        "clause": "pa-co-2025-return-nationals",
        "person_id": "P-1",
        "name": "GÓMEZ, Ana María",
        "sex": "F",
        "nationality": "CO",
        "placement": "return",
        "facility": "",
        "status": "on",
        "removed_on": "",
    }
    assert rows[2]["status"] == "removed" and rows[2]["removed_on"] == "2026-12-04"
    assert not any(FORBIDDEN.search(h) for h in CSV_HEADER)
    assert list(csv.reader(io.StringIO(manifest_csv(document((), people_shown=False))))) == [list(CSV_HEADER)]


def test_a_problem_naming_screening_rules_loses_them() -> None:
    shown = shown_problem("barred on 2026-12-05: sv-nonrefoulement-fear, sv-protection")
    assert shown == "barred on 2026-12-05 (see the case)"
    assert shown_problem("no place reserved at the destination facility") == (
        "no place reserved at the destination facility"
    )


def receipt(**extra: object) -> HandoverReceipt:
    values: dict[str, object] = {
        "movement_id": 7,
        "movement_title": "Wingo P5 7301 · Panamá (PTY) → Bogotá (BOG)",
        "agreement": "pa-co-2025",
        "clause": "pa-co-2025-return-nationals",
        "person_ref": "P-1",
        "name": "GÓMEZ, Ana María",
        "handed_over": True,
        "at": When(dt.datetime(2026, 12, 5, 16, 20, tzinfo=UTC), "America/Bogota"),
        "place": "El Dorado, Terminal 1",
        "official": "Cap. Rocío Salazar",
    } | extra
    return HandoverReceipt(**values)  # type: ignore[arg-type]


def test_handover_receipt_pdf(tmp_path: Path) -> None:
    text = " ".join(pdf_text(receipt_pdf(receipt()), tmp_path).split())
    assert "Handover receipt / Acta de entrega" in text
    assert "Receiving official / Funcionario receptor" in text and "Cap. Rocío Salazar" in text
    assert "pa-co-2025-return-nationals" in text and "P-1" in text
    assert "2026-12-05 11:20 America/Bogota" in text  # 16:20 UTC read in Bogotá
    assert "El Dorado, Terminal 1" in text
    assert not FORBIDDEN.search(text)


def test_not_handed_over_receipt_names_the_reason(tmp_path: Path) -> None:
    text = " ".join(
        pdf_text(
            receipt_pdf(
                receipt(handed_over=False, at=None, place="", official="", not_handed_over_reason="medical", note="ER")
            ),
            tmp_path,
        ).split()
    )
    assert "Not handed over / No entregado" in text and "Reason / Motivo medical" in text
    assert "Handover receipt" not in text


@pytest.mark.parametrize("word", ["fear", "Protection", "asilo"])
def test_the_forbidden_word_check_can_fail(word: str) -> None:
    assert FORBIDDEN.search(f"a {word} claim")
