"""The ``notify`` node in the pure core: recipients, rendering, escaping, bounds and validation.

The properties: whatever the instance's data holds, an inserted value cannot add markup to the
HTML part, cannot start a header in the subject, and the plain-text part says what the data said.
"""

from __future__ import annotations

import html
from email import message_from_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.core import recipients
from workflows.core.errors import ValidationError
from workflows.core.expressions import ExpressionError, build_scope, to_text
from workflows.core.steps import StepContext, step_types
from workflows.core.steps.notify import MAX_BODY_BYTES, MAX_RECIPIENTS, html_to_text
from workflows.core.validation import validate

notify = step_types.get("notify")


def scope(**input):
    return build_scope(input=input, steps={}, vars={}, instance={"id": "i-1"})


def prepare(config: dict, **input) -> dict:
    return notify.prepare({"to": ["ops@example.com"], "subject": "Hi", **config}, scope(**input))


# --- recipients ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("ops@example.com", "address", "ops@example.com"),
        ("  o'brien+tag@mail.example.co.uk ", "address", "o'brien+tag@mail.example.co.uk"),
        ("root@localhost", "address", "root@localhost"),
        ("anna@bücher.example", "address", "anna@bücher.example"),
        ("user:alice", "user", "alice"),
        ("user: alice.b@corp ", "user", "alice.b@corp"),
        ("group:Sales, EMEA", "group", "Sales, EMEA"),
    ],
)
def test_a_recipient_is_an_address_a_user_or_a_group(text, kind, value):
    assert recipients.parse(text) == recipients.Recipient(kind, value)


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "is empty"),
        ("bob", "is not an e-mail address"),
        ("bob@", "is not an e-mail address"),
        ("@example.com", "is not an e-mail address"),
        ("a@b@example.com", "is not an e-mail address"),
        ("Bob <bob@example.com>", "is not an e-mail address"),
        ("bob@example.com\r\nBcc: eve@example.com", "is not an e-mail address"),
        ("bob..x@example.com", "is not an e-mail address"),
        ("bob@-example.com", "is not an e-mail address"),
        ("bob@example", "is not an e-mail address"),
        ("x" * 65 + "@example.com", "is not an e-mail address"),
        ("user:", "user: needs a name"),
        ("group:  ", "group: needs a name"),
        ("user:bob\nBcc: eve@example.com", "is not a user name"),
        ("group:" + "g" * 151, "is not a group name"),
        ("team:ops", "is not an e-mail address"),
    ],
)
def test_a_recipient_that_cannot_exist_is_refused_saying_why(text, says):
    with pytest.raises(recipients.RecipientError, match=says):
        recipients.parse(text)


@given(st.text(max_size=60))
def test_no_recipient_text_can_carry_a_line_break(text):
    try:
        recipient = recipients.parse(text)
    except recipients.RecipientError:
        return
    assert not any(c in str(recipient) for c in "\r\n\x00")


def test_rendered_recipients_accept_one_a_list_or_none_and_drop_repeats():
    message = prepare(
        {"to": ["{{ input.owner }}", "{{ input.team }}", "{{ input.nobody }}", "user:alice", "ops@example.com", "{{ input.owner }}"]},
        owner="owner@example.com", team=["a@example.com", "group:reviewers"], nobody=None,
    )  # fmt: skip
    assert message["to"] == ["owner@example.com", "a@example.com", "group:reviewers", "user:alice", "ops@example.com"]


def test_a_rendered_recipient_that_is_not_one_fails_the_step_naming_the_entry():
    with pytest.raises(ValidationError, match=r"config\.to\.1: 'not-an-address' is not an e-mail address") as caught:
        prepare({"to": ["ops@example.com", "{{ input.who }}"]}, who="not-an-address")
    assert caught.value.type == "InvalidRecipient" and not caught.value.retryable
    with pytest.raises(ValidationError, match=r"config\.to\.0: a recipient must be text, not int"):
        prepare({"to": ["{{ input.who }}"]}, who=[5])


def test_recipients_that_render_to_nothing_or_too_many_fail_the_step():
    with pytest.raises(ValidationError, match="no recipients"):
        prepare({"to": ["{{ input.who }}"]}, who=[])
    many = [f"u{i}@example.com" for i in range(MAX_RECIPIENTS + 1)]
    with pytest.raises(ValidationError, match=f"more than {MAX_RECIPIENTS} recipients"):
        prepare({"to": ["{{ input.who }}"]}, who=many)
    assert len(prepare({"to": ["{{ input.who }}"]}, who=many[:-1])["to"]) == MAX_RECIPIENTS


# --- subject and body -----------------------------------------------------------------------------


def test_subject_and_body_are_rendered_from_the_instances_data():
    message = prepare({"subject": "Rota for {{ input.week }}", "body": "{{ input.count }} shifts, {{ input.people }}"}, week=12, count=3, people=["Ann", "Ben"])
    assert message == {"to": ["ops@example.com"], "subject": "Rota for 12", "body": '3 shifts, ["Ann","Ben"]'}


def test_a_lone_expression_in_the_body_is_inserted_as_text():
    assert prepare({"body": "{{ input.data }}"}, data={"a": 1})["body"] == '{"a":1}'
    assert prepare({"body": "{{ input.none }}"}, none=None)["body"] == ""


def test_a_body_is_optional():
    assert prepare({})["body"] == ""


def test_a_line_break_in_an_inserted_value_cannot_start_a_header():
    message = prepare({"subject": "Order {{ input.ref }} shipped"}, ref="42\r\nBcc: eve@example.com\u2028X-A: 1")
    assert message["subject"] == "Order 42 Bcc: eve@example.com X-A: 1 shipped"


def test_a_long_subject_is_cut_to_200_characters():
    subject = prepare({"subject": "{{ input.title }}"}, title="word " * 100)["subject"]
    assert len(subject) == 200 and subject.endswith("…")


def test_html_mode_escapes_inserted_values_but_keeps_the_authors_markup():
    message = prepare(
        {"html": True, "body": '<p>Hello <b>{{ input.name }}</b></p><p><a href="https://example.com/r/{{ input.id }}">open</a></p>'},
        name='<script>alert(1)</script> & "co"', id='1" onclick="x',
    )  # fmt: skip
    assert message["html"] == (
        "<p>Hello <b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;</b></p>"
        '<p><a href="https://example.com/r/1&quot; onclick=&quot;x">open</a></p>'
    )
    assert message["body"] == 'Hello <script>alert(1)</script> & "co"\n\nopen (https://example.com/r/1" onclick="x)'


def test_without_html_the_body_is_plain_text_and_nothing_is_escaped():
    message = prepare({"body": "<b>{{ input.name }}</b>"}, name="A & B")
    assert message == {"to": ["ops@example.com"], "subject": "Hi", "body": "<b>A & B</b>"}


def test_the_plain_part_of_an_html_mail_has_a_line_per_block():
    text = html_to_text("<h1>Rota</h1><p>Week 12</p><ul><li>Ann</li><li>Ben</li></ul><p>one<br>two</p><style>p{}</style><table><tr><td>a</td><td>b</td></tr></table>")
    assert text == "Rota\n\nWeek 12\n\n- Ann\n- Ben\n\none\ntwo\n\na b"


def test_a_body_over_64_kb_once_rendered_fails_the_step():
    with pytest.raises(ValidationError, match="the body is 65,537 bytes once rendered; the limit is 65,536") as caught:
        prepare({"body": "{{ input.text }}"}, text="x" * (MAX_BODY_BYTES + 1))
    assert caught.value.type == "MessageTooLarge"
    with pytest.raises(ValidationError, match="the HTML body"):
        prepare({"html": True, "body": "{{ input.text }}"}, text="<" * (MAX_BODY_BYTES // 4 + 1))


def test_an_expression_that_fails_names_the_field():
    with pytest.raises(ExpressionError, match=r"^config\.subject: ") as caught:
        prepare({"subject": "{{ input.missing.x }}"})
    assert caught.value.path == "subject"
    with pytest.raises(ExpressionError, match=r"^config\.to\.0: "):
        prepare({"to": ["{{ 1 / 0 }}"]})


def test_execute_hands_the_message_to_the_injected_sender():
    sent = []
    ctx = StepContext("i-1", "mail", 1, "i-1:mail", mail=lambda message, ctx: sent.append((message, ctx.idempotency_key)) or {"sent": 1})
    message = prepare({})
    assert notify.execute({}, message, ctx) == {"sent": 1}
    assert sent == [(message, "i-1:mail")]


def test_execute_without_a_sender_is_a_configuration_error():
    from workflows.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="no mail sender") as caught:
        notify.execute({}, prepare({}), StepContext("i-1", "mail", 1, "k"))
    assert not caught.value.retryable


# --- properties: what data cannot do ----------------------------------------------------------

values = st.one_of(
    st.text(),
    st.text(alphabet="<>&\"'/=\r\n\t\x00\x0b\x0c\x85\u2028\u2029 abc:;!-{}", max_size=40),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.text(alphabet="<>&\"'\n abc", max_size=10), max_size=3),
    st.dictionaries(st.text(alphabet="<>&\"ab", max_size=4), st.text(alphabet="<>&\"\n ab", max_size=6), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(values, values)
def test_no_inserted_value_adds_markup_to_the_html_part(a, b):
    message = prepare({"html": True, "body": '<p class="x">{{ input.a }}</p><a href="/p?q={{ input.b }}">{{ input.b }}</a>'}, a=a, b=b)
    ea, eb = html.escape(to_text(a)), html.escape(to_text(b))
    assert message["html"] == f'<p class="x">{ea}</p><a href="/p?q={eb}">{eb}</a>'
    for escaped in (ea, eb):
        assert not any(c in escaped for c in "<>\"'")


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_plain_part_says_what_the_data_said(value):
    message = prepare({"html": True, "body": "<p>{{ input.v }}</p>"}, v=value)
    expected = " ".join(to_text(value).split())  # HTML collapses white space
    assert message["body"] == expected


@settings(max_examples=300, deadline=None)
@given(values)
def test_no_inserted_value_starts_a_header(value):
    from email.message import EmailMessage

    subject = prepare({"subject": "Re: {{ input.v }} done"}, v=value)["subject"]
    assert not any(c in subject for c in "\r\n\x0b\x0c\x85\u2028\u2029")
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["To"] = "ops@example.com"
    parsed = message_from_bytes(mail.as_bytes())
    assert sorted(parsed.keys()) == ["Subject", "To"]


# --- validation at publish ----------------------------------------------------------------------


def graph(config: dict) -> dict:
    return {"version": 1, "settings": {}, "nodes": [{"id": "mail", "type": "notify", "config": config}], "edges": []}


def problems(config: dict) -> list[tuple[str, str, str]]:
    return [(e.code, e.field, e.message) for e in validate(graph(config)).errors if e.node == "mail"]


def test_a_notify_node_with_recipients_and_a_subject_is_valid():
    config = {"to": ["ops@example.com", "user:alice", "group:reviewers", "{{ input.email }}"], "subject": "Done: {{ input.name }}",
              "body": "<p>{{ steps }}</p>", "html": True, "retry": {"max_attempts": 3}, "timeout_s": 30}  # fmt: skip
    assert validate(graph(config)).valid


def test_recipients_and_a_subject_are_required():
    found = problems({"body": "x"})
    assert {(code, field) for code, field, _ in found} == {("invalid_config", "config")}
    assert {message for _, _, message in found} == {"config: 'to' is a required property", "config: 'subject' is a required property"}
    assert [f for _, f, _ in problems({"to": [], "subject": "x"})] == ["config.to"]


def test_a_literal_recipient_that_cannot_exist_is_refused_on_its_entry():
    found = problems({"to": ["ops@example.com", "bob@", "{{ input.x }}", "user:"], "subject": "x"})
    assert found == [
        ("invalid_recipient", "config.to.1", "config.to.1: 'bob@' is not an e-mail address, user:USERNAME or group:GROUPNAME"),
        ("invalid_recipient", "config.to.3", "config.to.3: user: needs a name after it (user:NAME)"),
    ]


def test_a_template_that_does_not_parse_is_refused_on_its_field():
    found = problems({"to": ["{{ input. }}"], "subject": "Hi {{ input.name", "body": "{{ 1 + }}"})
    assert {(code, field) for code, field, _ in found} == {
        ("invalid_expression", "config.to.0"), ("invalid_expression", "config.subject"), ("invalid_expression", "config.body"),
    }  # fmt: skip


def test_a_subject_on_two_lines_is_refused():
    assert problems({"to": ["ops@example.com"], "subject": "Hi\nBcc: eve@example.com"}) == [
        ("invalid_config", "config.subject", "config.subject: the subject must be one line (a line break would start a new header)")
    ]


def test_too_many_literal_recipients_and_unknown_keys_are_refused():
    found = problems({"to": [f"u{i}@example.com" for i in range(MAX_RECIPIENTS + 1)], "subject": "x", "cc": ["a@example.com"]})
    assert sorted(f for _, f, _ in found) == ["config.cc", "config.to"]


def test_the_step_type_describes_itself_for_the_designer():
    described = notify.describe()
    assert (described["type"], described["category"], described["inline"]) == ("notify", "work", False)
    assert described["schema"]["required"] == ["to", "subject"]
    assert {"to", "subject", "body", "html", "retry", "timeout_s"} <= described["schema"]["properties"].keys()
