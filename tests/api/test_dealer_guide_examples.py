"""Every curl example in docs/dealer-api.md runs, as written, against the demo data (issue #7, "Also" 2).

The guide is read the way a dealer reads it: the `export` block names the variables ($OMS, $OMS_KEY),
the key is made with the command the guide gives (`create_api_token dealer.huatai`), and the `sh`
blocks run in order, each with bash and the real curl, against a live server holding the demo data
of `manage.py demo_data`. Within a section, the `http`/`json` blocks after a command are its
documented answers: the first is the answer to running it, each further one the answer to running it
again (an `http` block gives the status; a `json` error body gives its `code`, whose status is the
guide's error table; any other `json` body means 200). A command with no documented answer must
succeed. Each answer must have the documented status, and every key the documented body shows.

What a dealer would adapt is adapted the same way: the guide's responses come from a run on the date
it names, so dates in commands move by the days since then, document numbers take this year, and
the number of the order the guide creates is replaced by the number the server gave it. Only as many
demo orders are loaded as the highest order number the guide uses needs (the plans of demo orders
do not depend on how many are loaded).
"""

import datetime as dt
import io
import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

GUIDE = Path(__file__).resolve().parent.parent.parent / "docs" / "dealer-api.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
ORDER_NUMBER = re.compile(r"\bSO-(\d{4})-(\d{6})\b")
RUN_DATE = re.compile(r"from a run on (\d{4}-\d{2}-\d{2})")
ERROR_ROW = re.compile(r"^\|\s*(\d{3})\s*\|(.*?)\|", re.M)
EXPORT = re.compile(r"^export (\w+)=", re.M)
ELLIPSIS = "…"

CURL_WRAPPER = r"""
set -u
curl() {
  local args=() arg
  for arg in "$@"; do
    case "$arg" in -i|--include) ;; *) args+=("$arg") ;; esac
  done
  n=$(( $(cat "$OUT/count") + 1 )); echo "$n" > "$OUT/count"
  command curl -sS --max-time 60 -o "$OUT/$n.body" -D "$OUT/$n.headers" -w '%{http_code}' \
    "${args[@]}" > "$OUT/$n.status"
}
"""


@dataclass
class Answer:
    kind: str  # "http" or "json"
    text: str

    @property
    def body(self):
        text = self.text.split("\n\n", 1)[1] if self.kind == "http" else self.text
        # The guide shortens long lists as `[…]`; any other shortening is a `"…": "…"` key.
        return json.loads(text.replace(f"[{ELLIPSIS}]", "[]"))

    def headers(self) -> list[str]:
        if self.kind != "http":
            return []
        lines = self.text.split("\n\n", 1)[0].splitlines()[1:]
        return [line.split(":", 1)[0] for line in lines if ":" in line]


@dataclass
class Example:
    section: str
    command: str
    answers: list[Answer] = field(default_factory=list)


@dataclass
class Guide:
    variables: list[str]
    run_date: dt.date
    error_statuses: dict[str, int]
    examples: list[Example]
    error_bodies: list[dict]


def read_guide() -> Guide:
    text = GUIDE.read_text()
    error_statuses = {}
    for status, codes in ERROR_ROW.findall(text):
        for code in re.findall(r"`(\w+)`", codes):
            error_statuses[code] = int(status)
    examples, variables, error_bodies = [], [], []
    section = ""
    position = 0
    for match in FENCE.finditer(text):
        for heading in re.findall(r"^## (.+)$", text[position : match.start()], re.M):
            section = heading
        position = match.end()
        kind, block = match.group(1), match.group(2)
        if kind == "sh" and EXPORT.search(block):
            variables = EXPORT.findall(block)
        elif kind == "sh" and "curl " in block:
            examples.append(Example(section=section, command=block))
        elif kind in ("json", "http"):
            answer = Answer(kind=kind, text=block)
            body = answer.body
            if isinstance(body, dict) and {"code", "message"} <= set(body):
                error_bodies.append(body)
            if examples and examples[-1].section == section:
                examples[-1].answers.append(answer)
    return Guide(
        variables=variables,
        run_date=dt.date.fromisoformat(RUN_DATE.search(text).group(1)),
        error_statuses=error_statuses,
        examples=examples,
        error_bodies=error_bodies,
    )


def expected_status(answer: Answer | None, guide: Guide) -> int:
    if answer is None:
        return 200
    if answer.kind == "http":
        return int(answer.text.split()[1])
    body = answer.body
    if isinstance(body, dict) and {"code", "message"} <= set(body):
        return guide.error_statuses[body["code"]]
    return 200


def missing_keys(documented, actual, path="") -> list[str]:
    """Keys the guide shows that the real answer lacks (recursing into objects and first list items)."""
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [path or "(body)"]
        missing = []
        for key, value in documented.items():
            if key == ELLIPSIS:
                continue
            if key not in actual:
                missing.append(f"{path}.{key}" if path else key)
            else:
                missing += missing_keys(value, actual[key], f"{path}.{key}" if path else key)
        return missing
    if isinstance(documented, list) and documented and isinstance(documented[0], (dict, list)):
        if not isinstance(actual, list):
            return [path]
        return missing_keys(documented[0], actual[0], f"{path}[0]") if actual else []
    return []


class Adapter:
    """What a dealer changes in a copied example: dates, this year's numbers, their own order's number."""

    def __init__(self, run_date: dt.date):
        self.today = timezone.localdate()
        self.shift = self.today - run_date
        self.numbers: dict[str, str] = {}

    def _date(self, match) -> str:
        day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return (day + self.shift).isoformat()

    def number(self, documented: str) -> str:
        this_year = ORDER_NUMBER.sub(lambda m: f"SO-{self.today.year}-{m.group(2)}", documented)
        return self.numbers.get(this_year, this_year)

    def command(self, text: str) -> str:
        text = DATE.sub(self._date, text)
        return ORDER_NUMBER.sub(lambda m: self.number(m.group(0)), text)


def run(command: str, *, variables: dict[str, str], out: Path) -> list[tuple[int, dict, str]]:
    """Run one example with bash and curl; each curl call's (status, headers, body) in order."""
    out.mkdir()
    (out / "count").write_text("0")
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())
    script = f"export OUT={shlex.quote(str(out))}\n{exports}{CURL_WRAPPER}\n{command}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (command, done.stderr)
    calls = []
    for n in range(1, int((out / "count").read_text()) + 1):
        headers = {}
        for line in (out / f"{n}.headers").read_text().splitlines()[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        calls.append((int((out / f"{n}.status").read_text()), headers, (out / f"{n}.body").read_text()))
    return calls


def demo_orders_needed(guide: Guide) -> int:
    used = {int(n) for example in guide.examples for _year, n in ORDER_NUMBER.findall(example.command)}
    created = {
        int(ORDER_NUMBER.match(answer.body["number"]).group(2))
        for example in guide.examples
        for answer in example.answers
        if expected_status(answer, guide) == 201
    }
    return max(used - created)


def test_the_guide_can_be_read():
    guide = read_guide()

    assert guide.variables == ["OMS", "OMS_KEY"]
    assert len(guide.examples) >= 10
    assert {"invalid", "parse_error", "not_found", "invalid_transition", "request_too_large"} <= set(
        guide.error_statuses
    )


def test_every_error_body_in_the_guide_has_the_four_keys():
    for body in read_guide().error_bodies:
        assert set(body) == {"code", "message", "fields", "extra"}, body


@pytest.mark.postgres
# Sequences restart as on a fresh database (`make run`): the guide's ids (address 1) are the demo's.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_example_in_the_guide_works_against_the_demo_data(live_server, settings, tmp_path):
    guide = read_guide()
    settings.DEBUG = True  # the demo command runs only in trial mode, as under `make run`
    call_command("demo_data", size="small", orders=demo_orders_needed(guide), stdout=io.StringIO())
    key_out = io.StringIO()
    call_command("create_api_token", "dealer.huatai", stdout=key_out, stderr=io.StringIO())
    variables = {"OMS": live_server.url, "OMS_KEY": key_out.getvalue().strip()}
    assert set(variables) == set(guide.variables)
    adapter = Adapter(guide.run_date)

    for index, example in enumerate(guide.examples):
        for attempt, answer in enumerate(example.answers or [None]):
            command = adapter.command(example.command)
            calls = run(command, variables=variables, out=tmp_path / f"{index}-{attempt}")
            where = f"{example.section}: {command}"
            assert calls, where
            status = expected_status(answer, guide)
            for got, _headers, body in calls:
                assert got == status, (where, body[:2000])
            if answer is None:
                continue
            _got, headers, body = calls[0]
            actual = json.loads(body)
            documented = answer.body
            assert not missing_keys(documented, actual), (where, missing_keys(documented, actual))
            for name in answer.headers():
                assert name.lower() in headers, (where, name)
            if isinstance(documented, dict) and "code" in documented:
                assert actual["code"] == documented["code"], where
            if status == 201 and "number" in documented:
                adapter.numbers[adapter.number(documented["number"])] = actual["number"]
