"""SMS segment counting, GSM-7 against UCS-2 (cartera/channels/sms_segments.py)."""

from __future__ import annotations

import pytest

from cartera.channels.sms_segments import encoding_of, sms_segments


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_text_fits_160_in_one_message_and_153_per_segment_after(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == ("GSM-7", segments)


def test_extension_characters_cost_two_septets_and_are_never_split() -> None:
    assert sms_segments("€" * 80) == ("GSM-7", 1)  # 160 septets
    assert sms_segments("€" * 81) == ("GSM-7", 2)
    assert sms_segments("a" * 152 + "€" + "a" * 7) == ("GSM-7", 2)  # 161 septets
    # 306 septets would fill two segments exactly, but the € cannot straddle septets 153/154:
    # it opens segment 2, and the last septet spills into a third.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 3)
    assert sms_segments("{}[]~|^\\") == ("GSM-7", 1)


def test_spanish_n_and_e_acute_are_gsm7_but_o_acute_forces_ucs2() -> None:
    assert encoding_of("Señor Núñez? ¿Pagó?") == "UCS-2"  # ú and ó
    assert encoding_of("Estimado señor, ¡su pago es bienvenido! é à ü") == "GSM-7"
    for letter in "áíóúÁÍÓÚ":
        assert encoding_of(f"factura {letter}") == "UCS-2"
    assert sms_segments("Su pago vencerá el 5 de mayo") == ("UCS-2", 1)


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_text_fits_70_in_one_message_and_67_per_segment_after(length: int, segments: int) -> None:
    assert sms_segments("ó" * length) == ("UCS-2", segments)


def test_an_emoji_is_two_ucs2_units_and_its_pair_is_never_split() -> None:
    assert sms_segments("😀" * 35) == ("UCS-2", 1)
    assert sms_segments("😀" * 36) == ("UCS-2", 2)
    assert sms_segments("ó" * 66 + "😀" + "ó" * 10) == ("UCS-2", 2)  # 66 + 2 > 67: the emoji opens segment 2


def test_an_empty_text_is_one_gsm7_segment() -> None:
    assert sms_segments("") == ("GSM-7", 1)
