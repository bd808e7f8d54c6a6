"""Over-long expressions: one warning per log (per model, i.e. per run), with a count."""

import warnings

import pytest

from refseg.models.utils import TruncationLog, tokenize_expressions

LONG = [
    'the small dog that sits next to the red chair under the big table',
    'the tall man in a blue coat standing behind the parked white car',
]


def test_one_warning_per_log_and_a_count():
    log = TruncationLog()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        tokens = tokenize_expressions(LONG + ['dog'], 8, log)
        tokenize_expressions(LONG, 8, log)
    messages = [str(w.message) for w in caught if 'truncated' in str(w.message)]
    assert len(messages) == 1 and LONG[0] in messages[0]
    assert log.count == 4 and log.longest > 8
    assert tokens.shape == (3, 8)
    assert (tokens.argmax(dim=1)[:2] == 7).all()  # EOT kept last


def test_without_a_log_each_call_warns_about_its_first_cut():
    with pytest.warns(UserWarning, match='truncated') as record:
        tokenize_expressions(LONG, 8)
    assert sum('truncated' in str(w.message) for w in record) == 1


def test_short_expressions_count_nothing():
    log = TruncationLog()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        tokenize_expressions(['the dog', 'a cat'], 17, log)
    assert log.count == 0
