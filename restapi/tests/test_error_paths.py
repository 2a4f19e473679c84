from restapi.exceptions import flatten_errors


def test_list_item_errors_keyed_by_index_become_bracket_paths():
    detail = {"lines": {2: {"quantity": ["Too big."]}, "0": {"options": {"cab": ["Required."]}}}}
    assert flatten_errors(detail) == {
        "lines[2].quantity": ["Too big."],
        "lines[0].options.cab": ["Required."],
    }


def test_list_of_dicts_errors_keep_their_positions():
    detail = {"lines": [{}, {"sku": ["Unknown SKU."]}]}
    assert flatten_errors(detail) == {"lines[1].sku": ["Unknown SKU."]}


def test_non_field_errors_at_top_level_keep_their_name():
    assert flatten_errors({"non_field_errors": ["Bad."]}) == {"non_field_errors": ["Bad."]}
