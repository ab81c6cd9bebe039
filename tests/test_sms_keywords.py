"""Reading residents' texts: language, category, commands and scores."""
import pytest

from app.webhooks.keywords import command_of, detect_language, guess_category, parse_rating


@pytest.mark.parametrize("text, code", [
    ("暖气不热", "no_heat"), ("家里没暖气了", "no_heat"), ("No heat since last night", "no_heat"),
    ("屋里温度低", "low_temperature"), ("室温低，只有15度", "low_temperature"), ("太冷了", "low_temperature"),
    ("It is cold in the flat", "low_temperature"),
    ("厨房漏水", "leak"), ("楼道爆管了", "leak"), ("pipe leak in bathroom", "leak"),
    ("暖气片有异响", "radiator_noise"), ("需要放气", "radiator_noise"), ("radiator noise at night", "radiator_noise"),
    ("缴费问题", "billing"), ("账单不对", "billing"), ("wrong bill", "billing"),
    ("投诉师傅态度", "service"),
    ("你好", "other"), ("hello", "other"), ("", "other"),
])
def test_category_is_guessed_from_chinese_and_english_words(text, code):
    assert guess_category(text) == code


def test_no_heat_wins_over_the_cold_it_causes():
    assert guess_category("暖气不热，屋里很冷") == "no_heat"


def test_english_words_match_whole_words_only():
    assert guess_category("please repair the door") == "other"  # "air" inside "repair"


@pytest.mark.parametrize("text, language", [
    ("暖气不热", "zh_Hans"), ("no heat 暖气不热", "zh_Hans"), ("no heat", "en"), ("🔥 no heat", "en"), ("", "en"),
])
def test_any_chinese_character_makes_the_message_chinese(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text, command", [
    ("STOP", "stop"), ("stop", "stop"), ("退订", "stop"), ("TD", "stop"), (" Stop. ", "stop"),
    ("START", "start"), ("订阅", "start"),
    ("HELP", "help"), ("帮助", "help"),
    ("STATUS", "status"), ("查询", "status"), ("进度", "status"), ("查询进度", "status"),
    ("暖气不热", None), ("please stop the noise", None),
])
def test_a_command_is_the_whole_message(text, command):
    assert command_of(text) == command


@pytest.mark.parametrize("text, rating", [
    ("5", (5, "")), ("5 很满意", (5, "很满意")), ("1 还是不热", (1, "还是不热")), ("5很满意", (5, "很满意")),
    ("４分", (4, "")), ("3, ok", (3, "ok")),
])
def test_a_score_may_carry_a_comment(text, rating):
    assert parse_rating(text) == rating


@pytest.mark.parametrize("text", ["3号楼暖气不热", "2单元漏水", "6", "0", "12", "暖气不热"])
def test_an_address_or_another_number_is_not_a_score(text):
    assert parse_rating(text) is None
