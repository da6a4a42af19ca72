import pytest

from sharewise.engine.conditions import ConditionError, evaluate, names_and_values, parse_condition


@pytest.mark.parametrize(
    ("expression", "answers", "expected"),
    [
        ("a == 'x'", {"a": "x"}, True),
        ("a == 'x'", {"a": "y"}, False),
        ("a == 'x'", {}, False),
        ("a != 'x'", {}, True),
        ("a in ['x', 'y']", {"a": "y"}, True),
        ("a not in ['x', 'y']", {"a": "y"}, False),
        ("'p' in many", {"many": ["q", "p"]}, True),
        ("'p' not in many", {"many": ["q"]}, True),
        ("'p' in many", {"many": "p"}, False),
        ("a == 'x' and not (b == 'y' or c == 'z')", {"a": "x", "b": "n", "c": "n"}, True),
        ("a == 'x' and not (b == 'y' or c == 'z')", {"a": "x", "c": "z"}, False),
        ("hm-trigger == \"request\" or x-1 == 'a'", {"hm-trigger": "request"}, True),
    ],
)
def test_evaluates(expression: str, answers: dict[str, object], expected: bool) -> None:
    assert evaluate(parse_condition(expression), answers) is expected


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("", "empty"),
        ("a ==", "expected a quoted value but found the end"),
        ("a = 'x'", "unexpected character '='"),
        ("__import__('os').system('x')", "unexpected character '_'"),
        ("a.b.c == 'x'", "unexpected character '.'"),
        ("a. == 'x'", "unexpected character '.'"),
        ("a == 'x' b", "unexpected 'b'"),
        ("(a == 'x'", "expected ')'"),
        ("a", "expected '==', '!=' or 'in' after 'a'"),
        ("a == b", "expected a quoted value but found 'b'"),
        ("a in 'x'", "expected '['"),
    ],
)
def test_bad_conditions_name_the_problem_and_expression(expression: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(expression)
    assert fragment in str(caught.value)
    assert f"'{expression}'" in str(caught.value)


def test_deep_nesting_is_limited() -> None:
    with pytest.raises(ConditionError, match="nests more than"):
        parse_condition("(" * 40 + "a == 'x'" + ")" * 40)


def test_names_and_values_lists_every_reference() -> None:
    parsed = parse_condition("a == 'x' or (b in ['y', 'z'] and 'w' in c)")
    assert sorted(names_and_values(parsed)) == [("a", ("x",)), ("b", ("y", "z")), ("c", ("w",))]
