"""The JSON parser's depth limit alone (issue #7 item 1); via the API: tests/api/test_request_bodies.py."""

import io

import pytest
from rest_framework.exceptions import ParseError

from restapi.parsers import LimitedJSONParser, json_depth_exceeds


def test_depth_counts_objects_and_arrays_only():
    assert not json_depth_exceeds(1, 0)
    assert not json_depth_exceeds({"lines": [{"options": {"cab": "x"}}]}, 4)
    assert json_depth_exceeds({"lines": [{"options": {"cab": "x"}}]}, 3)
    assert json_depth_exceeds([[[[]]]], 3)
    assert not json_depth_exceeds([[], [[]], {}], 3)


def test_the_parser_itself_refuses_deep_json_from_a_stream(settings):
    settings.API_MAX_JSON_DEPTH = 2
    with pytest.raises(ParseError):
        LimitedJSONParser().parse(io.BytesIO(b'{"a": [[1]]}'), parser_context={})
    assert LimitedJSONParser().parse(io.BytesIO(b'{"a": [1]}'), parser_context={}) == {"a": [1]}


def test_json_past_the_decoders_recursion_limit_is_a_parse_error_not_a_recursion_error():
    with pytest.raises(ParseError):
        LimitedJSONParser().parse(io.BytesIO(b"[" * 50000 + b"]" * 50000), parser_context={})
