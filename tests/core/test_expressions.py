"""The sandboxed expression language: namespaces, templates, error messages, limits and escapes."""

from __future__ import annotations

import ast
import operator

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.core.expressions import (
    MAX_EXPRESSION_LENGTH,
    MAX_STEPS,
    ExpressionError,
    build_scope,
    check_expression,
    check_template,
    evaluate,
    has_template,
    iter_strings,
    render,
)


@pytest.fixture
def scope():
    return build_scope(
        input={"start_date": "2024-01-01", "end_date": "2024-01-31", "items": [3, 1, 2], "name": " Ada "},
        steps={
            "validate": {"output": {"count": 5, "ok": True, "rows": [{"id": 1}, {"id": 2}]}, "status": "succeeded"},
            "empty": {"output": None, "status": "skipped"},
        },
        vars={"threshold": 3, "region": "eu"},
        instance={"id": "i-1", "priority": 5, "started_at": "2024-02-01T00:00:00Z", "business_key": "B-7"},
    )


def error_of(text: str, scope=None) -> str:
    with pytest.raises(ExpressionError) as info:
        evaluate(text, scope or {})
    return str(info.value)


# --------------------------------------------------------------------------- namespaces


def test_it_reads_every_namespace(scope):
    assert evaluate("input.start_date", scope) == "2024-01-01"
    assert evaluate("steps.validate.output.count", scope) == 5
    assert evaluate("steps.validate.status", scope) == "succeeded"
    assert evaluate("vars.threshold", scope) == 3
    assert evaluate("instance.priority", scope) == 5
    assert evaluate("instance.business_key", scope) == "B-7"


def test_it_offers_the_seed_documents_aliases(scope):
    assert evaluate("input_data.end_date", scope) == "2024-01-31"
    assert evaluate("step_outputs.validate.count", scope) == 5
    assert evaluate("step_outputs.empty", scope) is None
    assert evaluate("context.region", scope) == "eu"


def test_it_adds_item_index_and_iteration_only_when_given():
    scope = build_scope(input={}, steps={}, vars={}, instance={}, item={"x": 1}, index=0, iteration=2)
    assert evaluate("item.x + index + iteration", scope) == 3
    plain = build_scope(input={}, steps={}, vars={}, instance={})
    assert "item" not in plain and "index" not in plain and "iteration" not in plain
    assert error_of("item", plain) == "'item' is only available inside a map"
    assert error_of("iteration", plain) == "'iteration' is only available inside a loop"


def test_it_prefers_data_keys_over_methods(scope):
    data = build_scope(input={"items": [1], "count": 2, "get": 3}, steps={}, vars={}, instance={})
    assert evaluate("input.items", data) == [1]
    assert evaluate("input.count", data) == 2
    assert evaluate("input.get", data) == 3


def test_it_evaluates_a_typical_condition(scope):
    assert evaluate("steps.validate.output.count > vars.threshold and input.start_date < input.end_date", scope)
    assert evaluate("vars.region in ['eu', 'us']", scope) is True
    assert evaluate("'big' if steps.validate.output.count > 10 else 'small'", scope) == "small"


def test_it_accepts_json_spellings_of_constants(scope):
    assert evaluate("steps.validate.output.ok == true", scope) is True
    assert evaluate("steps.empty.output == null", scope) is True
    assert evaluate("false or None", scope) is None


def test_it_builds_lists_dicts_and_comprehensions(scope):
    assert evaluate("[r.id for r in steps.validate.output.rows if r.id > 1]", scope) == [2]
    assert evaluate("{r.id: r for r in steps.validate.output.rows}", scope)[1] == {"id": 1}
    assert evaluate("{**vars, 'extra': 1}", scope) == {"threshold": 3, "region": "eu", "extra": 1}
    assert evaluate("any(x > 2 for x in input.items)", scope) is True
    assert evaluate("input.items[1:]", scope) == [1, 2]


# --------------------------------------------------------------------------- functions and methods


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len(input.items)", 3),
        ("min(input.items)", 1),
        ("max(input.items)", 3),
        ("sum(input.items)", 6),
        ("abs(-2)", 2),
        ("round(2.567, 2)", 2.57),
        ("int('42')", 42),
        ("float('1.5')", 1.5),
        ("str(12)", "12"),
        ("str(None)", ""),
        ("str(true)", "true"),
        ("str({'a': [1, 2]})", '{"a":[1,2]}'),
        ("bool(0)", False),
        ("sorted(input.items)", [1, 2, 3]),
        ("sorted(['b', 'A'], key=lower, reverse=True)", ["b", "A"]),
        ("all([1, 2])", True),
        ("lower('AbC')", "abc"),
        ("upper('abc')", "ABC"),
        ("strip(input.name)", "Ada"),
        ("contains(input.items, 2)", True),
        ("contains(null, 2)", False),
        ("keys(vars)", ["threshold", "region"]),
        ("values(vars)", [3, "eu"]),
        ("get(vars, 'missing', 'fallback')", "fallback"),
        ("get(vars, 'region')", "eu"),
        ("get(input.items, 7, 0)", 0),
        ("get(steps.empty.output, 'x', 1)", 1),
        ("coalesce(null, steps.empty.output, 'third')", "third"),
        ("join(input.items, ', ')", "3, 1, 2"),
        ("split('a,b,c', ',')", ["a", "b", "c"]),
        ("input.name.strip().lower()", "ada"),
        ("input.start_date.startswith('2024')", True),
        ("input.start_date.replace('-', '/')", "2024/01/01"),
        ("vars.get('nope', 4)", 4),
        ("list(vars.keys())", ["threshold", "region"]),
        ("dict(vars.items())", {"threshold": 3, "region": "eu"}),
        ("input.items.index(1)", 1),
    ],
)
def test_it_offers_small_pure_functions(scope, text, expected):
    assert evaluate(text, scope) == expected


def test_it_has_no_clock_and_no_randomness():
    for name in ("now", "now_iso", "rand", "randint", "time"):
        with pytest.raises(ExpressionError, match="unknown function"):
            check_expression(f"{name}()")


# --------------------------------------------------------------------------- rendering


def test_a_lone_template_keeps_the_native_type(scope):
    assert render("{{ steps.validate.output.count }}", scope) == 5
    assert render("  {{ input.items }}\n", scope) == [3, 1, 2]
    assert render("{{ steps.validate.output.ok }}", scope) is True
    assert render("{{ steps.empty.output }}", scope) is None
    assert render("{{ {'a': {'b': 1}} }}", scope) == {"a": {"b": 1}}


def test_templates_inside_text_become_strings(scope):
    assert render("from {{ input.start_date }} to {{ input.end_date }}", scope) == "from 2024-01-01 to 2024-01-31"
    assert render("n={{ steps.empty.output }};", scope) == "n=;"
    assert render("{{ true }}/{{ false }}", scope) == "true/false"
    assert render("rows: {{ steps.validate.output.rows }}", scope) == 'rows: [{"id":1},{"id":2}]'
    assert render("{{ 1 }}{{ 2 }}", scope) == "12"


def test_it_renders_nested_values_but_not_keys(scope):
    config = {
        "{{ input.name }}": "{{ vars.region }}",
        "list": ["{{ vars.threshold }}", 7, None, {"deep": "x{{ vars.threshold }}"}],
        "flag": True,
    }
    assert render(config, scope) == {
        "{{ input.name }}": "eu",
        "list": [3, 7, None, {"deep": "x3"}],
        "flag": True,
    }


def test_non_strings_pass_through_render(scope):
    for value in (None, 1, 2.5, True, [], {}):
        assert render(value, scope) == value


def test_the_scanner_copes_with_braces_and_quotes_inside_expressions(scope):
    assert render("{{ '}}' }}", scope) == "}}"
    assert render("{{ '{{' }}", scope) == "{{"
    assert render("{{ {'a': 1}['a'] }} and {{ [1, {'b': 2}][1].b }}", scope) == "1 and 2"
    assert render('{{ "a\\"}}" }}', scope) == 'a"}}'


def test_a_render_error_names_the_path_and_the_expression(scope):
    with pytest.raises(ExpressionError) as info:
        render({"body": {"rows": ["ok", "{{ input.start_dat }}"]}}, scope)
    assert info.value.path == "body.rows.1"
    assert info.value.expression == "input.start_dat"


def test_iter_strings_yields_every_string_with_its_dotted_path():
    value = {"a": [1, "x", {"b": "y"}], "c": "z", "d": None}
    assert list(iter_strings(value, "config")) == [("config.a.1", "x"), ("config.a.2.b", "y"), ("config.c", "z")]
    assert list(iter_strings(["p"], "")) == [("0", "p")]
    assert list(iter_strings("solo", "url")) == [("url", "solo")]


def test_has_template_spots_an_opening_brace_pair():
    assert has_template("a {{ b }}")
    assert not has_template("a { b }")


# --------------------------------------------------------------------------- static checks


def test_check_expression_accepts_valid_expressions():
    check_expression("steps.validate.output.count > 3 and len(input.items) == 3")
    check_expression("[x * 2 for x in input.items]")
    check_expression("sorted(input.items, key=abs)")


def test_check_template_checks_every_expression():
    check_template("plain text, no template")
    check_template("a {{ input.x }} b {{ vars.y + 1 }}")
    with pytest.raises(ExpressionError, match="unknown name 'inptu'"):
        check_template("a {{ input.x }} b {{ inptu.y }}")


def test_it_names_the_known_namespaces_for_an_unknown_name():
    with pytest.raises(ExpressionError) as info:
        check_expression("inptu.start_date")
    message = str(info.value)
    assert message.startswith("unknown name 'inptu'; did you mean 'input'?")
    assert "input, steps, vars, instance" in message
    assert info.value.expression == "inptu.start_date"


def test_it_lists_the_functions_for_an_unknown_function():
    with pytest.raises(ExpressionError, match=r"unknown function 'lenght'; did you mean 'len'\? \(functions: len, min"):
        check_expression("lenght(input.items)")


def test_it_refuses_to_call_a_namespace():
    with pytest.raises(ExpressionError, match="'input' is not a function"):
        check_expression("input()")


def test_it_refuses_an_expression_over_the_length_limit():
    text = "1 + " * 600 + "1"
    with pytest.raises(ExpressionError) as info:
        check_expression(text)
    assert str(info.value) == f"expression is {len(text):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,}"


def test_it_reports_a_syntax_error_with_its_position():
    with pytest.raises(ExpressionError, match=r"^syntax error at character 12 \('\* 2'\): invalid syntax"):
        check_expression("  input.x +* 2")
    with pytest.raises(ExpressionError, match="^syntax error at the end"):
        check_expression("input.x >")


def test_it_refuses_an_empty_expression():
    with pytest.raises(ExpressionError, match="the expression is empty"):
        check_expression("   ")
    with pytest.raises(ExpressionError, match="the expression is empty"):
        check_template("a {{ }} b")


def test_it_refuses_non_text_expressions():
    with pytest.raises(ExpressionError, match="an expression must be text, got number"):
        check_expression(3)  # type: ignore[arg-type]


def test_it_refuses_an_unclosed_template():
    with pytest.raises(ExpressionError, match=r"'\{\{' at character 3 is not closed by '\}\}'"):
        check_template("a {{ input.x")
    with pytest.raises(ExpressionError, match="unclosed quote"):
        render("{{ 'abc }}", {})


def test_it_refuses_a_stray_closing_pair_in_check_template_but_keeps_it_literal_in_render():
    with pytest.raises(ExpressionError, match=r"'\}\}' at character 3 has no opening"):
        check_template("a }} b")
    assert render("a }} b", {}) == "a }} b"


def test_it_refuses_too_deep_nesting():
    with pytest.raises(ExpressionError, match="nested more than 100 levels deep"):
        check_expression("-" * 500 + "1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lambda: 1", "lambda functions are not allowed"),
        ("(x := 1)", "assignment (:=) is not allowed"),
        ("f'{input}'", "f-strings are not allowed"),
        ("len(*input.items)", "* unpacking is not allowed"),
        ("dict(**vars)", "** unpacking of arguments is not allowed"),
        ("{x for x in input.items}", "set comprehensions are not allowed"),
        ("1 | 2", "bitwise operators are not allowed"),
        ("~1", "bitwise operators are not allowed"),
        ("b'x'", "bytes literals are not allowed"),
        ("1j", "complex literals are not allowed"),
        ("input.items[0](1)", "only named functions and methods can be called"),
        ("_secret", "names starting with '_' are not allowed"),
    ],
)
def test_it_refuses_constructs_outside_the_language(text, message):
    with pytest.raises(ExpressionError) as info:
        check_expression(text)
    assert message in str(info.value)


# --------------------------------------------------------------------------- runtime errors


def test_a_missing_field_names_the_path_and_the_fields(scope):
    assert error_of("input.start_dat", scope) == (
        "no field 'start_dat' in input (fields: start_date, end_date, items, name); did you mean 'start_date'?"
    )
    assert error_of("steps.validat.output", scope).startswith("no field 'validat' in steps (fields: validate, empty)")
    assert error_of("input['zzz']", scope) == "no field 'zzz' in input (fields: start_date, end_date, items, name)"


def test_a_missing_field_in_an_empty_object_says_it_is_empty():
    scope = build_scope(input={}, steps={}, vars={}, instance={})
    assert error_of("input.x", scope) == "no field 'x' in input (it is empty)"


def test_a_long_field_list_is_truncated():
    scope = build_scope(input={f"k{i}": i for i in range(40)}, steps={}, vars={}, instance={})
    assert "k9, ... (40 in all)" in error_of("input.nope", scope)


def test_a_field_of_null_says_the_value_is_null(scope):
    assert error_of("steps.empty.output.count", scope) == "steps.empty.output is null, so it has no field 'count'"


def test_a_field_of_a_list_suggests_an_index(scope):
    assert "input.items is a list, so it has no field 'x'; use an index such as input.items[0]" in error_of(
        "input.items.x", scope
    )


def test_an_index_out_of_range_gives_the_length(scope):
    assert error_of("input.items[5]", scope).startswith("index 5 is out of range for input.items (length 3)")
    assert "must be a whole number, got string" in error_of("input.items['a']", scope)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 / 0", "division by zero in 1 / 0"),
        ("1 % 0", "division by zero"),
        ("input.start_date + 1", "cannot apply '+' to string and number in input.start_date + 1"),
        ("vars + vars", "merge objects with {**a, **b}"),
        ("-input.name", "cannot apply '-' to string"),
        ("input.name < 1", "cannot compare string with number using '<'"),
        ("max([])", "max(): max() arg is an empty sequence"),
        ("int('abc')", "int(): invalid literal for int()"),
        ("keys(input.items)", "keys() needs an object, got list"),
        ("lower(1)", "lower() needs a string, got number"),
        ("'%s' % 1", "'%' formatting of strings is not available"),
        ("(-8) ** 0.5", "has no real value"),
        ("1e308 * 10 ** 400", "is too large"),
        ("float(10 ** 400)", "float(): int too large to convert to float"),
        ("round(1, -10 ** 7)", "round() takes at most 100 digits"),
        ("1 in 2", "cannot compare number with number using 'in'"),
        ("input.items[::0]", "slice step cannot be zero"),
        ("vars[1:2]", "vars is an object and cannot be sliced"),
        ("(1).real", "1 is a number, so it has no field 'real'"),
    ],
)
def test_runtime_errors_have_clear_messages(scope, text, message):
    assert message in error_of(text, scope)


def test_a_runtime_error_carries_the_expression(scope):
    with pytest.raises(ExpressionError) as info:
        evaluate("1 / 0", scope)
    assert info.value.expression == "1 / 0"


def test_a_namespace_missing_from_the_scope_is_named():
    assert error_of("steps", {"input": {}}) == "'steps' is not available here (available: input)"


# --------------------------------------------------------------------------- sandbox


def assert_refused_quickly(text: str, scope) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        evaluate(text, scope)
    assert time.perf_counter() - started < 1.0, text


@pytest.mark.parametrize(
    "text",
    [
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "input.__class__.__mro__",
        "'{}'.format",
        "'{0.__class__}'.format(input)",
        "'{x}'.format_map(vars)",
        "__import__('os')",
        "__builtins__",
        "lambda: 0",
        "len.__self__",
        "len.__call__",
        "input.items.append(4)",
        "vars.update({'x': 1})",
        "vars.pop('region')",
        "input.items.sort()",
        "'a'.ljust(10 ** 9)",
        "'a'.center(10 ** 9)",
        "'a'.zfill(10 ** 9)",
        "'a'.encode()",
        "'a\\tb'.expandtabs(10 ** 9)",
        "getattr(input, 'x')",
        "type(input)",
        "open('/etc/passwd')",
        "eval('1')",
        "exec('1')",
        "compile('1', 'x', 'eval')",
        "globals()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ],
)
def test_it_refuses_sandbox_escapes(scope, text):
    assert_refused_quickly(text, scope)


def test_it_never_mutates_the_scope(scope):
    for text in ("input.items.append(4)", "vars.update({'x': 1})", "vars.setdefault('x', 1)", "vars.clear()"):
        with pytest.raises(ExpressionError):
            evaluate(text, scope)
    assert scope["input"]["items"] == [3, 1, 2]
    assert scope["vars"] == {"threshold": 3, "region": "eu"}
    assert evaluate("sorted(input.items)", scope) == [1, 2, 3] and scope["input"]["items"] == [3, 1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("'a' * 10 ** 9", "the result would be 1,000,000,000 characters or items long; the limit is 100,000"),
        ("[0] * 10 ** 9", "the limit is 100,000"),
        ("('a' * 60000) + ('b' * 60000)", "the limit is 100,000"),
        ("9 ** 9 ** 9", "exponent 387,420,489 is too large; the limit is 1,000"),
        ("10 ** 1000 * 10 ** 1000 * 10 ** 1000", "would exceed 4,096 bits"),
        ("999 ** 999", "would exceed 4,096 bits"),
        ("join(['x' * 1000] * 1000, '-')", "the limit is 100,000"),
        ("('a' * 100000).replace('a', 'bb')", "the limit is 100,000"),
        ("sum([[1]] * 1000)", "sum(): unsupported operand"),
        ("int('f' * 100000, 16)", "int() would return more than 4,096 bits"),
    ],
)
def test_it_refuses_huge_values_before_building_them(scope, text, message):
    started = time.perf_counter()
    assert message in error_of(text, scope)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "[[y for y in 'x' * 1000] for x in 'x' * 1000]",
        "[x * 100000 for x in ['a'] * 10000]",
        "[a for a in 'x' * 100000 for b in 'x' * 100000]",
        "[sorted('x' * 100000) for x in 'x' * 1000]",
        "[('x' * 100000) in ('y' * 100000) for x in 'x' * 1000]",
        "[('x' * 90000) == ('x' * 90000) for x in 'x' * 1000]",
        "[[1] * 100000 for x in 'x' * 1000]",
        "[[y for y in [[z for z in 'x' * 100] for z in 'x' * 100]] for x in 'x' * 100]",
        "len([1 for a in 'x' * 1000 for b in 'x' * 1000 for c in 'x' * 1000])",
        "[max(('x,' * 50000).split(',')) for i in 'x' * 1000]",
    ],
)
def test_it_stops_comprehension_bombs_by_counting_steps(scope, text):
    started = time.perf_counter()
    assert error_of(text, scope).startswith(f"expression took more than {MAX_STEPS:,} steps")
    assert time.perf_counter() - started < 1.0, text


def test_a_modest_comprehension_stays_within_budget(scope):
    assert len(evaluate("[x for x in 'x' * 1000]", scope)) == 1000


def test_each_evaluation_gets_a_fresh_step_budget(scope):
    for _ in range(5):
        assert len(evaluate("[x * 2 for x in [1] * 3000]", scope)) == 3000


# --------------------------------------------------------------------------- properties

_scope = build_scope(input={"a": 1}, steps={}, vars={}, instance={})


@given(st.text().filter(lambda s: "{{" not in s))
def test_rendering_a_string_without_templates_is_the_identity(text):
    assert render(text, _scope) == text


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("{}()[]'\"+-*/%<>=!.,:_ab01 \\\ninputsvar")), max_size=60))
def test_check_template_and_evaluate_raise_nothing_but_expression_error(text):
    for call in (lambda: check_template(text), lambda: evaluate(text, _scope), lambda: render(text, _scope)):
        try:
            call()
        except ExpressionError:
            pass


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_arbitrary_text_raises_nothing_but_expression_error(text):
    for call in (lambda: check_template(text), lambda: evaluate(text, _scope)):
        try:
            call()
        except ExpressionError:
            pass


_small = st.integers(min_value=-1000, max_value=1000)
_operators = st.sampled_from(["+", "-", "*", "//", "%", "==", "<", ">=", "!="])


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_COMPARE = {ast.Eq: operator.eq, ast.Lt: operator.lt, ast.GtE: operator.ge, ast.NotEq: operator.ne}


def _oracle(node):
    """Python's own meaning of the generated integer expression: its parse tree (precedence,
    lazily chained comparisons) interpreted with the operator module; nothing is executed."""
    if isinstance(node, ast.Expression):
        return _oracle(node.body)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_oracle(node.operand)
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_oracle(node.left), _oracle(node.right))
    if isinstance(node, ast.Compare):
        left = _oracle(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = _oracle(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise AssertionError(f"the generator made an unexpected node: {ast.dump(node)}")


@given(_small, _operators, _small, _operators, _small)
def test_integer_arithmetic_matches_python(a, op1, b, op2, c):
    text = f"({a}) {op1} ({b}) {op2} ({c})"
    try:
        expected = _oracle(ast.parse(text, mode="eval"))
    except ZeroDivisionError:
        with pytest.raises(ExpressionError, match="division by zero"):
            evaluate(text, _scope)
    else:
        assert evaluate(text, _scope) == expected
