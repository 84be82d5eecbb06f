"""The synthetic population: schema, determinism, consistency, proportions, unknown facts."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
import pytest

from accord.core import population as pop
from accord.core import vocabulary as vocab
from accord.core.population import generate_population
from accord.core.records import read_people, write_people

N = 20_000
REFERENCE = dt.date(2025, 2, 5)
EIGHTEENTH = dt.date(2007, 2, 5)  # born after this, under 18 on REFERENCE
GRANTED = ("withholding_granted", "cat_granted")

EXPECTED_SCHEMA = pl.Schema(
    {
        "person_id": pl.String(),
        "family_name": pl.String(),
        "given_names": pl.String(),
        "date_of_birth": pl.Date(),
        "sex": pl.String(),
        "nationalities": pl.List(pl.String()),
        "sending_state": pl.String(),
        "status": pl.String(),
        "removal_order": pl.String(),
        "protection": pl.String(),
        "protection_countries": pl.List(pl.String()),
        "fear_screened": pl.List(pl.String()),
        "fear_found": pl.List(pl.String()),
        "legal_hold": pl.Boolean(),
        "conviction": pl.String(),
        "pending_charges": pl.Boolean(),
        "sentence_remaining_months": pl.Int32(),
        "gang": pl.String(),
        "gang_basis": pl.String(),
        "transfer_consent": pl.Boolean(),
    }
)


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return generate_population(N, 42)


def count(frame: pl.DataFrame, condition: pl.Expr) -> int:
    return frame.filter(condition).height


def assert_share(hits: int, total: int, expected: float, slack: float = 0.002) -> None:
    """Observed share within ~4.5 standard errors (plus slack for the generator's couplings)."""
    tolerance = 4.5 * math.sqrt(expected * (1 - expected) / total) + slack
    assert abs(hits / total - expected) <= tolerance, (hits / total, expected, tolerance)


# --- shape and determinism --------------------------------------------------------------------


def test_exact_columns_and_dtypes(people: pl.DataFrame) -> None:
    assert people.schema == EXPECTED_SCHEMA
    assert people.height == N


def test_same_seed_same_frame_other_seed_other_frame() -> None:
    assert generate_population(3_000, 7).equals(generate_population(3_000, 7))
    assert not generate_population(3_000, 7).equals(generate_population(3_000, 8))


def test_person_ids_unique_and_padded_to_width_of_n(people: pl.DataFrame) -> None:
    assert people["person_id"].n_unique() == N
    assert people["person_id"][0] == "P00001"
    assert people["person_id"].str.contains(r"^P[0-9]{5}$").all()
    assert generate_population(0, 1).schema == EXPECTED_SCHEMA


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate_population(-1, 1)
    with pytest.raises(ValueError):
        generate_population(10, 1, unknown_rate=1.5)


def test_values_are_in_the_vocabularies(people: pl.DataFrame) -> None:
    closed = {
        "sex": vocab.SEXES,
        "status": vocab.STATUSES,
        "removal_order": vocab.REMOVAL_ORDERS,
        "protection": vocab.PROTECTIONS,
        "conviction": vocab.CONVICTIONS,
        "gang": vocab.GANGS,
        "gang_basis": vocab.GANG_BASES,
    }
    for column, allowed in closed.items():
        assert set(people[column].unique()) <= set(allowed), column
    for column in ("nationalities", "protection_countries", "fear_screened", "fear_found"):
        assert set(people[column].explode().drop_nulls()) <= vocab.COUNTRY_CODES, column
    assert (people["sending_state"] == "US").all()
    assert (people["nationalities"].list.len() >= 1).all()
    assert (people["family_name"].str.len_chars() > 0).all()
    assert (people["given_names"].str.len_chars() > 0).all()


def test_no_unknown_facts_by_default(people: pl.DataFrame) -> None:
    nulls = people.drop("sentence_remaining_months").null_count().row(0)
    assert sum(nulls) == 0


def test_passes_the_person_record_format(tmp_path: Path) -> None:
    frame = generate_population(2_000, 5, unknown_rate=0.05)
    for name in ("people.csv", "people.parquet"):
        write_people(frame, tmp_path / name)
        assert read_people(tmp_path / name).equals(frame), name


# --- internal consistency ---------------------------------------------------------------------


def test_fear_found_is_within_fear_screened(people: pl.DataFrame) -> None:
    outside = pl.col("fear_found").list.set_difference("fear_screened").list.len() > 0
    assert count(people, outside) == 0
    assert count(people, pl.col("fear_found").list.len() > 0) > 0


def test_protection_countries_iff_withholding_or_cat(people: pl.DataFrame) -> None:
    granted = pl.col("protection").is_in(GRANTED)
    has_countries = pl.col("protection_countries").list.len() > 0
    assert count(people, granted != has_countries) == 0
    # Granted for a nationality, on a fear finding, inside a final order.
    country = pl.col("protection_countries").list.first()
    of_nationality = pl.col("nationalities").list.contains(country)
    found_there = pl.col("fear_found").list.contains(country)
    final = pl.col("removal_order") == "final"
    assert count(people, granted & ~(of_nationality & found_there & final)) == 0


def test_gang_none_iff_basis_none(people: pl.DataFrame) -> None:
    assert count(people, (pl.col("gang") == "none") != (pl.col("gang_basis") == "none")) == 0
    on_conviction = pl.col("gang_basis") == "conviction"
    assert count(people, on_conviction & (pl.col("conviction") == "none")) == 0


def test_us_nationals_are_exactly_the_citizens(people: pl.DataFrame) -> None:
    citizen = pl.col("status") == "citizen"
    us_national = pl.col("nationalities").list.contains("US")
    assert count(people, citizen != us_national) == 0
    assert count(people, citizen & (pl.col("nationalities").list.len() == 1)) > 0  # US-born
    assert count(people, citizen & (pl.col("nationalities").list.len() > 1)) > 0


def test_asylees_have_asylum_and_only_they(people: pl.DataFrame) -> None:
    asylee = pl.col("status") == "asylee"
    assert count(people, asylee != (pl.col("protection") == "asylum_granted")) == 0


def test_sentences_only_for_the_convicted(people: pl.DataFrame) -> None:
    # Format v2: 0 months is "not serving", written out; nothing is left unknown without unknown_rate.
    assert people["sentence_remaining_months"].null_count() == 0
    serving = pl.col("sentence_remaining_months") > 0
    assert count(people, serving & (pl.col("conviction") == "none")) == 0
    months = people.filter(serving)["sentence_remaining_months"]
    assert months.min() >= 1 and months.max() <= 240  # type: ignore[operator]
    assert count(people, pl.col("transfer_consent") & ~serving) == 0
    # Only some of the convicted serve.
    convicted = people.filter(pl.col("conviction") != "none")
    assert 0 < convicted.filter(serving).height < convicted.height


def test_third_country_screenings_are_not_of_a_nationality(people: pl.DataFrame) -> None:
    second = pl.col("fear_screened").list.len() == 2
    third = pl.col("fear_screened").list.last()
    assert count(people, second & pl.col("nationalities").list.contains(third)) == 0


# --- proportions ------------------------------------------------------------------------------


def test_nationality_mix_follows_the_table(people: pl.DataFrame) -> None:
    non_citizens = people.filter(pl.col("status") != "citizen")
    primary = non_citizens["nationalities"].list.first()
    for code, share in pop.NATIONALITY_SHARES.items():
        assert_share(int((primary == code).sum()), non_citizens.height, share)
    required = {"SV", "VE", "MX", "GT", "HN", "NI", "HT", "CU", "CO", "EC", "SN", "GH", "NG"}
    assert required <= set(primary)


def test_dual_nationals_around_the_stated_share(people: pl.DataFrame) -> None:
    non_citizens = people.filter(pl.col("status") != "citizen")
    dual = count(non_citizens, pl.col("nationalities").list.len() == 2)
    partnered = sum(s for c, s in pop.NATIONALITY_SHARES.items() if c in pop.DUAL_PARTNERS)
    assert_share(dual, non_citizens.height, pop.DUAL_NATIONAL_SHARE * partnered)
    assert count(people, pl.col("nationalities") == ["VE", "CO"]) > 0


def test_statuses_follow_the_table(people: pl.DataFrame) -> None:
    tps_nationals = sum(pop.NATIONALITY_SHARES[c] for c in pop.TPS_NATIONALITIES)
    for status, share in pop.STATUS_SHARES.items():
        expected = share * tps_nationals if status == "temporary_protected" else share
        if status == "undocumented":
            expected += pop.STATUS_SHARES["temporary_protected"] * (1 - tps_nationals)
        assert_share(count(people, pl.col("status") == status), N, expected)


def test_simple_shares_follow_the_table(people: pl.DataFrame) -> None:
    assert_share(count(people, pl.col("legal_hold")), N, pop.LEGAL_HOLD_SHARE)
    assert_share(count(people, pl.col("pending_charges")), N, pop.PENDING_CHARGES_SHARE)
    for sex, share in pop.SEX_SHARES.items():
        assert_share(count(people, pl.col("sex") == sex), N, share)
    for conviction, share in pop.CONVICTION_SHARES.items():
        # Gang records on a conviction turn a few "none" into felonies.
        assert_share(count(people, pl.col("conviction") == conviction), N, share, slack=0.006)


def test_protection_claims_follow_the_table(people: pl.DataFrame) -> None:
    # Asylees get asylum_granted and citizens none, whatever the draw.
    asylees, citizens = pop.STATUS_SHARES["asylee"], pop.STATUS_SHARES["citizen"]
    for protection, share in pop.PROTECTION_SHARES.items():
        expected = share * (1 - asylees - citizens) + (citizens if protection == "none" else 0)
        assert_share(count(people, pl.col("protection") == protection), N, expected)


def test_gangs_sit_where_the_table_puts_them(people: pl.DataFrame) -> None:
    def gang_share(gang: str, nationality: str) -> float:
        of = people.filter(pl.col("nationalities").list.first() == nationality)
        return count(of, pl.col("gang") == gang) / of.height

    assert gang_share("ms13", "SV") > 5 * gang_share("ms13", "MX")
    assert gang_share("tren_de_aragua", "VE") > 5 * gang_share("tren_de_aragua", "MX")
    ms13 = people.filter(pl.col("gang") == "ms13")["nationalities"].list.first()
    assert ms13.is_in(["SV", "HN", "GT"]).mean() > 0.8  # type: ignore[operator]
    members = people.filter(pl.col("gang") != "none")
    for basis, share in pop.GANG_BASIS_SHARES.items():
        assert_share(count(members, pl.col("gang_basis") == basis), members.height, share)


def test_ages_mostly_adult_with_some_minors_and_eighteenth_birthdays(people: pl.DataFrame) -> None:
    dob = pl.col("date_of_birth")
    minors = count(people, dob > EIGHTEENTH)
    expected = pop.MINOR_SHARE + pop.NEAR_18_SHARE * pop.NEAR_18_DAYS / (2 * pop.NEAR_18_DAYS + 1)
    assert_share(minors, N, expected)
    assert count(people, dob == EIGHTEENTH) > 0  # 18 today
    assert count(people, dob.is_between(EIGHTEENTH, dt.date(2007, 2, 8), closed="right")) > 0
    assert count(people, dob.is_between(dt.date(1964, 2, 6), EIGHTEENTH)) / N > 0.95  # 18-60
    assert count(people, dob > dt.date(2011, 2, 5)) == 0  # nobody under 14


def test_reference_date_moves_the_ages() -> None:
    later = generate_population(N, 42, reference_date=dt.date(2030, 6, 1))
    assert count(later, pl.col("date_of_birth") == dt.date(2012, 6, 1)) > 0  # 18 on that day
    assert_share(count(later, pl.col("date_of_birth") > dt.date(2012, 6, 1)), N, 0.024, 0.005)


# --- unknown facts ----------------------------------------------------------------------------


def test_unknown_rate_blanks_that_share_of_fact_cells_only(people: pl.DataFrame) -> None:
    blanked = generate_population(N, 42, unknown_rate=0.1)
    for column in pop.UNKNOWABLE_COLUMNS:
        assert_share(blanked[column].null_count(), N, 0.1)
        # The facts that stay known are the same as without blanking.
        known = blanked[column].is_not_null()
        assert blanked.filter(known)[column].equals(people.filter(known)[column]), column
    others = [c for c in blanked.columns if c not in pop.UNKNOWABLE_COLUMNS]
    assert blanked.select(others).equals(people.select(others))
